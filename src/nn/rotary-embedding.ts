// Rotary position embedding (RoPE) tables and their application to queries and
// keys. Frequencies follow Hugging Face `_compute_default_rope_parameters`
// (inv_freq_i = θ^(−2i/d)) and the `linear` and `llama3` rope_scaling rules of
// `modeling_rope_utils.py`; angles are computed in float64, then rounded. The
// tables cover the positions used so far, grown (doubling) when a longer sequence
// arrives: a model's context length (possibly 10⁶ or a lying 2³²) never sizes them.

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
  /** The model's context length: positions from it on are refused. */
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

/** Table rows computed at least, so that short sequences do not regrow them step by step. */
const INITIAL_POSITIONS = 256;

export class RotaryEmbedding {
  /** [positions, rotaryDim/2] */
  private cosTable = new Float32Array(0);
  /** [positions, rotaryDim/2] */
  private sinTable = new Float32Array(0);
  private readonly inverse: Float64Array;

  constructor(readonly config: RotaryConfig) {
    if (config.rotaryDim <= 0 || config.rotaryDim % 2 !== 0) throw new RangeError(`rotary dimension ${config.rotaryDim} must be even and positive`);
    this.inverse = inverseFrequencies(config.rotaryDim, config.theta, config.scaling);
  }

  /** Positions the tables cover now. */
  get positions(): number {
    return this.cosTable.length / (this.config.rotaryDim / 2);
  }

  /** Makes the tables cover positions 0 … count − 1 (at most the context length). */
  reserve(count: number): void {
    if (count <= this.positions) return;
    if (count > this.config.maxPositions) {
      throw new RangeError(`position ${count - 1} is beyond the context length ${this.config.maxPositions}`);
    }
    const target = Math.min(this.config.maxPositions, Math.max(count, 2 * this.positions, INITIAL_POSITIONS));
    const half = this.config.rotaryDim / 2;
    const cos = new Float32Array(target * half);
    const sin = new Float32Array(target * half);
    cos.set(this.cosTable);
    sin.set(this.sinTable);
    for (let p = this.positions; p < target; p++) {
      for (let i = 0; i < half; i++) {
        const angle = p * this.inverse[i]!;
        cos[p * half + i] = Math.cos(angle);
        sin[p * half + i] = Math.sin(angle);
      }
    }
    this.cosTable = cos;
    this.sinTable = sin;
  }

  /** Rotates x [rows, nHeads, headDim] in place; row i is at position firstPosition + i. */
  apply(backend: Backend, x: Float32Array, rows: number, nHeads: number, headDim: number, firstPosition: number): void {
    const { rotaryDim, layout } = this.config;
    this.reserve(firstPosition + rows);
    backend.rope(x, rows, nHeads, headDim, firstPosition, this.cosTable, this.sinTable, rotaryDim, layout);
  }

  /** Rotates x [batch · seq, nHeads · headDim] on a tape; each sequence starts at position 0. */
  applyOnTape(ctx: TapeContext, x: Variable, nHeads: number, headDim: number, batch: number): Variable {
    const { rotaryDim, layout } = this.config;
    this.reserve(x.size / (nHeads * headDim) / batch);
    const { cosTable: cos, sinTable: sin } = this;
    return rope(ctx.tape, x, { nHeads, headDim, cos, sin, rotaryDim, layout, firstPosition: 0, batch });
  }
}
