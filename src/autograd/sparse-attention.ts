// Sparse attention on the tape (Child et al. 2019, the strided "local + strided"
// pattern of backend/attention-variants.ts): the layout, batching and masks of
// attention.ts, with the sparse forward and backward kernels.

import type { SparseAttentionShape } from "../backend/attention-variants.js";
import type { FloatArray } from "../tensor/tensor.js";
import { attentionOp, attentionShape, type AttentionOptions } from "./attention.js";
import type { Tape } from "./tape.js";
import type { Variable } from "./variable.js";

export interface SparseAttentionOptions extends AttentionOptions {
  /** The local window (≥ 1 keys, the query's own included). */
  window: number;
  /** Distance between the strided keys beyond the window (≥ 1). */
  stride: number;
}

export function sparseAttention<A extends FloatArray>(
  tape: Tape<A>,
  q: Variable<A>,
  k: Variable<A>,
  v: Variable<A>,
  options: SparseAttentionOptions,
): Variable<A> {
  if (!(Number.isInteger(options.window) && options.window >= 1 && Number.isInteger(options.stride) && options.stride >= 1)) {
    throw new RangeError(`sparseAttention: window ${options.window} and stride ${options.stride} must be positive integers`);
  }
  const shape: SparseAttentionShape = { ...attentionShape(q, k, v, options), window: options.window, stride: options.stride };
  const { forward, backward } = tape.kernels; // bound: a backend's kernels may be class methods
  return attentionOp(tape, q, k, v, shape, options, forward.sparseAttention.bind(forward), backward.sparseAttentionBackward.bind(backward));
}
