// Sinusoidal position encodings (Vaswani et al. 2017, §3.5): fixed, not learned,
// PE(p, 2i) = sin(p / 10000^(2i/d)) and PE(p, 2i+1) = cos(p / 10000^(2i/d)),
// added to the token embeddings. Two layouts are in use:
//
//   interleaved   sin and cos alternate, as the paper writes it (2i → sin, 2i+1 → cos)
//   concatenated  all sines, then all cosines (tensor2tensor, fairseq, Marian:
//                 HF MarianSinusoidalPositionalEmbedding; with an odd d the sine
//                 half has the extra feature)
//
// Angles are computed in float64 and rounded once. The table covers the positions
// a model allows and is computed on construction. As a model's AbsolutePositions
// (lmscope-decoder / -encoder "sinusoidal"), the encodings are looked up by range,
// by position ids, or on a tape as constants.

import { add } from "../autograd/elementwise.js";
import { constant, type Variable } from "../autograd/variable.js";
import type { Backend } from "../backend/backend.js";
import { InputError } from "../errors.js";
import type { AbsolutePositions } from "./absolute-positions.js";
import type { TapeContext } from "./tape-context.js";

export type SinusoidLayout = "interleaved" | "concatenated";

/** The frequency of feature pair i: 1 / base^(2i/dim). */
function inverseFrequency(i: number, dim: number, base: number): number {
  return 1 / base ** ((2 * i) / dim);
}

export class SinusoidalPositions implements AbsolutePositions {
  /** [maxPositions, dim] */
  readonly table: Float32Array;

  constructor(
    readonly maxPositions: number,
    readonly dim: number,
    readonly layout: SinusoidLayout,
    readonly base = 10000,
  ) {
    if (!Number.isSafeInteger(maxPositions) || maxPositions < 1 || !Number.isSafeInteger(dim) || dim < 1) {
      throw new RangeError(`sinusoidal positions need positive sizes, got ${maxPositions} positions of ${dim}`);
    }
    const table = new Float32Array(maxPositions * dim);
    const sines = Math.ceil(dim / 2); // features of the sine half (concatenated layout)
    for (let p = 0; p < maxPositions; p++) {
      const row = p * dim;
      for (let j = 0; j < dim; j++) {
        if (layout === "interleaved") {
          const angle = p * inverseFrequency(Math.floor(j / 2), dim, base);
          table[row + j] = j % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
        } else if (j < sines) {
          table[row + j] = Math.sin(p * inverseFrequency(j, dim, base)); // the angle of feature 2j
        } else {
          table[row + j] = Math.cos(p * inverseFrequency(j - sines, dim, base)); // of feature 2(j − sines) + 1
        }
      }
    }
    this.table = table;
  }

  /** out [count, dim] = the encodings of positions first … first + count − 1. */
  forwardRange(out: Float32Array, first: number, count: number): void {
    this.check(first, count);
    out.set(this.table.subarray(first * this.dim, (first + count) * this.dim));
  }

  /** out [positions.length, dim] = the encodings of `positions`. */
  forward(_backend: Backend, out: Float32Array, positions: ArrayLike<number>): void {
    this.gather(out, positions);
  }

  /** The encodings of `positions` as a tape constant [positions.length, dim] (nothing to learn). */
  forwardOnTape(_ctx: TapeContext, positions: readonly number[]): Variable {
    const data = new Float32Array(positions.length * this.dim);
    this.gather(data, positions);
    return constant(data, [positions.length, this.dim]);
  }

  /** x [rows, dim] + the encodings of `positions` (one per row), on a tape; the encodings are constants. */
  addOnTape(ctx: TapeContext, x: Variable, positions: readonly number[]): Variable {
    return add(ctx.tape, x, this.forwardOnTape(ctx, positions));
  }

  private gather(out: Float32Array, positions: ArrayLike<number>): void {
    for (let i = 0; i < positions.length; i++) {
      const p = positions[i]!;
      this.check(p, 1);
      out.set(this.table.subarray(p * this.dim, (p + 1) * this.dim), i * this.dim);
    }
  }

  private check(first: number, count: number): void {
    if (first < 0 || first + count > this.maxPositions) {
      throw new InputError(`positions ${first}..${first + count - 1} exceed the ${this.maxPositions} sinusoidal positions of the model`);
    }
  }
}
