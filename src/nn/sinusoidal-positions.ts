// Fixed sinusoidal position encodings (Vaswani et al. 2017, §3.5): for position p
// and frequency index i < ⌈d/2⌉,
//   PE(p, 2i) = sin(p / base^(2i/d)),   PE(p, 2i + 1) = cos(p / base^(2i/d)),   base 10000,
// added to the token embeddings; nothing is learned. Two layouts of the same
// numbers: "interleaved" (the paper: sin and cos alternate) and "halves" (all the
// sines, then all the cosines: Hugging Face's MarianSinusoidalPositionalEmbedding).
// Angles are computed in float64, then rounded to float32.

import { constant, type Variable } from "../autograd/variable.js";
import type { Backend } from "../backend/backend.js";
import { InputError } from "../errors.js";
import type { AbsolutePositions } from "./absolute-positions.js";
import type { TapeContext } from "./tape-context.js";

export type SinusoidalLayout = "interleaved" | "halves";

export interface SinusoidalOptions {
  /** Default "interleaved" (Vaswani et al.). */
  layout?: SinusoidalLayout;
  /** Default 10000. */
  base?: number;
}

/** out [count, dim] = the encodings of positions first … first + count − 1. */
export function sinusoidalPositions(out: Float32Array, first: number, count: number, dim: number, options: SinusoidalOptions = {}): void {
  const layout = options.layout ?? "interleaved";
  const base = options.base ?? 10000;
  const sines = Math.ceil(dim / 2);
  for (let p = 0; p < count; p++) {
    const position = first + p;
    const row = p * dim;
    for (let j = 0; j < dim; j++) {
      const frequency = 1 / base ** ((2 * Math.floor(j / 2)) / dim);
      const angle = position * frequency;
      const value = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
      const column = layout === "interleaved" ? j : j % 2 === 0 ? j / 2 : sines + (j - 1) / 2;
      out[row + column] = value;
    }
  }
}

/** Table rows computed at least, so that short sequences do not regrow it step by step. */
const INITIAL_POSITIONS = 256;

/** The encodings as a model's absolute positions: a table of the positions used so far, grown (doubling) on demand. */
export class SinusoidalPositionEmbedding implements AbsolutePositions {
  /** [positions, dim] */
  private table = new Float32Array(0);

  constructor(
    readonly dim: number,
    /** Positions from this on are refused (the model's context length). */
    readonly maxPositions: number,
    readonly options: SinusoidalOptions = {},
  ) {}

  /** Positions the table covers now. */
  get positions(): number {
    return this.table.length / this.dim;
  }

  forward(_backend: Backend, out: Float32Array, positions: ArrayLike<number>): void {
    let last = 0;
    for (let i = 0; i < positions.length; i++) last = Math.max(last, positions[i]!);
    this.reserve(last + 1);
    for (let i = 0; i < positions.length; i++) {
      const p = positions[i]!;
      out.set(this.table.subarray(p * this.dim, (p + 1) * this.dim), i * this.dim);
    }
  }

  forwardRange(out: Float32Array, first: number, count: number): void {
    this.reserve(first + count);
    out.set(this.table.subarray(first * this.dim, (first + count) * this.dim));
  }

  forwardOnTape(_ctx: TapeContext, positions: readonly number[]): Variable {
    const out = new Float32Array(positions.length * this.dim); // [n, dim], a constant: nothing to learn
    this.reserve(positions.reduce((max, p) => Math.max(max, p), 0) + 1);
    positions.forEach((p, i) => out.set(this.table.subarray(p * this.dim, (p + 1) * this.dim), i * this.dim));
    return constant(out, [positions.length, this.dim]);
  }

  private reserve(count: number): void {
    if (count <= this.positions) return;
    if (count > this.maxPositions) throw new InputError(`position ${count - 1} is beyond the context length ${this.maxPositions}`);
    const target = Math.min(this.maxPositions, Math.max(count, 2 * this.positions, INITIAL_POSITIONS));
    const table = new Float32Array(target * this.dim);
    table.set(this.table);
    const from = this.positions;
    sinusoidalPositions(table.subarray(from * this.dim), from, target - from, this.dim, this.options);
    this.table = table;
  }
}
