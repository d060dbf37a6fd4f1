// Absolute positions: a vector per position added to the token embeddings before
// the first block — GPT-2's and BERT's learned table (an Embedding of positions),
// or the fixed sinusoids of Vaswani et al. (sinusoidal-positions.ts).

import type { Variable } from "../autograd/variable.js";
import type { Backend } from "../backend/backend.js";
import type { TapeContext } from "./tape-context.js";

export interface AbsolutePositions {
  /** out [positions.length, dim] = the vectors of `positions` (RoBERTa's position ids, which skip padding). */
  forward(backend: Backend, out: Float32Array, positions: ArrayLike<number>): void;
  /** out [count, dim] = the vectors of positions first … first + count − 1. */
  forwardRange(out: Float32Array, first: number, count: number): void;
  /** The vectors of `positions` recorded on a tape: [positions.length, dim]. */
  forwardOnTape(ctx: TapeContext, positions: readonly number[]): Variable;
}
