// Rotary position embedding (RoPE) tables and their application to queries and
// keys. Frequencies follow Hugging Face `_compute_default_rope_parameters`
// (inv_freq_i = θ^(−2i/d)) and the `linear` and `llama3` rope_scaling rules of
// `modeling_rope_utils.py`; angles are computed in float64, then rounded.

import { rope } from "../autograd/rope.js";
import type { Variable } from "../autograd/variable.js";
import type { Backend, RopeLayout } from "../backend/backend.js";
import type { TapeContext } from "./tape-context.js";

export type RopeScaling =
  | { type: "linear"; factor: number }
  | {
      type: "llama3";
      factor: number;
      lowFreqFactor: number;
      highFreqFactor: number;
      originalMaxPositionEmbeddings: number;
    };

export interface RotaryConfig {
  /** Dimensions of each head that rotate (the head size unless partial rotary). */
  rotaryDim: number;
  theta: number;
  /** Positions the tables cover (the context length). */
  maxPositions: number;
  layout: RopeLayout;
  scaling: RopeScaling | null;
}

export function inverseFrequencies(rotaryDim: number, theta: number, scaling: RopeScaling | null): Float64Array {
  const half = rotaryDim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / theta ** ((2 * i) / rotaryDim);
  if (scaling?.type === "linear") {
    for (let i = 0; i < half; i++) inv[i] = inv[i]! / scaling.factor;
  } else if (scaling?.type === "llama3") {
    const { factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings: oldContext } = scaling;
    const lowFreqWavelength = oldContext / lowFreqFactor;
    const highFreqWavelength = oldContext / highFreqFactor;
    for (let i = 0; i < half; i++) {
      const f = inv[i]!;
      const wavelength = (2 * Math.PI) / f;
      if (wavelength > lowFreqWavelength) {
        inv[i] = f / factor;
      } else if (wavelength >= highFreqWavelength) {
        const smooth = (oldContext / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
        inv[i] = (1 - smooth) * (f / factor) + smooth * f;
      }
    }
  }
  return inv;
}

export class RotaryEmbedding {
  /** [maxPositions, rotaryDim/2] */
  readonly cos: Float32Array;
  /** [maxPositions, rotaryDim/2] */
  readonly sin: Float32Array;

  constructor(readonly config: RotaryConfig) {
    const half = config.rotaryDim / 2;
    const inv = inverseFrequencies(config.rotaryDim, config.theta, config.scaling);
    this.cos = new Float32Array(config.maxPositions * half);
    this.sin = new Float32Array(config.maxPositions * half);
    for (let p = 0; p < config.maxPositions; p++) {
      for (let i = 0; i < half; i++) {
        const angle = p * inv[i]!;
        this.cos[p * half + i] = Math.cos(angle);
        this.sin[p * half + i] = Math.sin(angle);
      }
    }
  }

  /** Rotates x [rows, nHeads, headDim] in place; row i is at position firstPosition + i. */
  apply(backend: Backend, x: Float32Array, rows: number, nHeads: number, headDim: number, firstPosition: number): void {
    const { rotaryDim, layout } = this.config;
    backend.rope(x, rows, nHeads, headDim, firstPosition, this.cos, this.sin, rotaryDim, layout);
  }

  /** Rotates x [batch · seq, nHeads · headDim] on a tape; each sequence starts at position 0. */
  applyOnTape(ctx: TapeContext, x: Variable, nHeads: number, headDim: number, batch: number): Variable {
    const { rotaryDim, layout } = this.config;
    return rope(ctx.tape, x, { nHeads, headDim, cos: this.cos, sin: this.sin, rotaryDim, layout, firstPosition: 0, batch });
  }
}
