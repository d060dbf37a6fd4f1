// Scaled dot-product attention on the tape (Vaswani et al. 2017): per sequence,
// head by head, softmax(scale · q·kᵀ + mask) · v, with a causal mask, grouped
// kv heads (GQA: query head h reads kv head ⌊h / (nHeads/nKvHeads)⌋) and an
// optional padding mask over the keys. Forward is the Backend's attention kernel;
// backward (FlashAttention-style) recomputes the probabilities from q and k.
//
// q is [batch · queries, nHeads · headDim]; k and v are [batch · keys, nKvHeads · headDim].
// The queries of a sequence are its last `queries` positions (queryOffset = keys − queries),
// which is 0 when a whole sequence is processed at once, as in training.

import type { AttentionShape } from "../backend/backend.js";
import type { FloatArray } from "../tensor/tensor.js";
import { expectShape, rowsOf } from "./shapes.js";
import type { Tape } from "./tape.js";
import { view } from "./view.js";
import type { Variable } from "./variable.js";

export interface AttentionOptions {
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  /** Query i sees keys up to its own position only. */
  causal: boolean;
  /** Multiplier of q·k (default 1/√headDim). */
  scale?: number;
  /** Sequences stacked in q, k, v (default 1); they do not attend to each other. */
  batch?: number;
  /** [batch, keys]: 1 where a key may be attended, 0 for padding. */
  keyMask?: ArrayLike<number>;
  /** Sliding window of a causal attention (backend.ts AttentionShape.window). */
  window?: number;
  /** Score soft-capping (AttentionShape.softcap). */
  softcap?: number;
  /** ALiBi slope per query head (AttentionShape.alibiSlopes). */
  alibiSlopes?: Float32Array | null;
}

export function attention<A extends FloatArray>(
  tape: Tape<A>,
  q: Variable<A>,
  k: Variable<A>,
  v: Variable<A>,
  options: AttentionOptions,
): Variable<A> {
  const { nHeads, nKvHeads, headDim, causal, keyMask } = options;
  const batch = options.batch ?? 1;
  if (nHeads % nKvHeads !== 0) throw new RangeError(`attention: ${nHeads} query heads are not a multiple of ${nKvHeads} kv heads`);
  const queryRows = rowsOf(q, nHeads * headDim, "attention", "q");
  const keyRows = rowsOf(k, nKvHeads * headDim, "attention", "k");
  expectShape(v, k.shape, "attention", "v");
  if (queryRows % batch !== 0 || keyRows % batch !== 0) {
    throw new RangeError(`attention: ${queryRows} query rows and ${keyRows} key rows do not split into a batch of ${batch}`);
  }
  const queryCount = queryRows / batch;
  const keyCount = keyRows / batch;
  if (queryCount > keyCount) throw new RangeError(`attention: ${queryCount} queries per sequence but only ${keyCount} keys`);
  if (keyMask !== undefined && keyMask.length !== batch * keyCount) {
    throw new RangeError(`attention: keyMask has ${keyMask.length} entries, expected batch · keys = ${batch * keyCount}`);
  }
  const shape: AttentionShape = {
    queryCount,
    keyCount,
    queryOffset: keyCount - queryCount,
    nHeads,
    nKvHeads,
    headDim,
    scale: options.scale ?? 1 / Math.sqrt(headDim),
    causal,
    window: options.window ?? 0,
    softcap: options.softcap ?? 0,
    alibiSlopes: options.alibiSlopes ?? null,
  };
  const qWidth = queryCount * nHeads * headDim;
  const kvWidth = keyCount * nKvHeads * headDim;
  const maskOf = (b: number) => (keyMask === undefined ? undefined : Array.prototype.slice.call(keyMask, b * keyCount, (b + 1) * keyCount));
  const scratch = tape.output(2 * keyCount);
  const out = tape.output(q.size); // [batch · queries, nHeads · headDim]
  for (let b = 0; b < batch; b++) {
    tape.kernels.forward.attention(
      view(out, b * qWidth, qWidth),
      view(q.data, b * qWidth, qWidth),
      view(k.data, b * kvWidth, kvWidth),
      view(v.data, b * kvWidth, kvWidth),
      shape,
      scratch,
      maskOf(b),
    );
  }
  return tape.record(out, q.shape, [q, k, v], (dOut) => {
    const dq = tape.gradFor(q);
    const dk = tape.gradFor(k);
    const dv = tape.gradFor(v);
    for (let b = 0; b < batch; b++) {
      tape.kernels.backward.attentionBackward(
        dq === null ? null : view(dq, b * qWidth, qWidth),
        dk === null ? null : view(dk, b * kvWidth, kvWidth),
        dv === null ? null : view(dv, b * kvWidth, kvWidth),
        view(dOut, b * qWidth, qWidth),
        view(q.data, b * qWidth, qWidth),
        view(k.data, b * kvWidth, kvWidth),
        view(v.data, b * kvWidth, kvWidth),
        shape,
        scratch,
        maskOf(b),
      );
    }
  });
}
