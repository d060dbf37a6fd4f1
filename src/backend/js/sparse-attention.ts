// Reference sparse attention with Child et al.'s (2019) strided pattern: a query
// sees its local window of keys and every stride-th key beyond it (the keys whose
// distance from it is a multiple of the stride), ~window + p/stride keys in all.
// The visible keys of a query are three runs of an arithmetic progression —
// strided keys before the window, the window, and (without a causal mask) strided
// keys after it — and every loop walks those runs, so the work is proportional to
// the pairs attended, never to a dense T×T mask. Scores (scale, soft-cap, ALiBi,
// padding mask) are those of attention-scores.ts.

import type { FloatArray } from "../../tensor/tensor.js";
import type { SparseAttentionShape } from "../attention-variants.js";
import { scoreKeys } from "./attention-scores.js";

/** Three runs [first, end, step] of the keys query row i sees, in ascending key order. */
export type KeyRuns = Int32Array;

/** A buffer for the runs of one query (9 entries). */
export function keyRuns(): KeyRuns {
  return new Int32Array(9);
}

/** Fills `runs` with the keys query row i (key index p = queryOffset + i) sees. */
export function visibleKeyRuns(shape: SparseAttentionShape, i: number, runs: KeyRuns): void {
  const { window, stride, keyCount, causal } = shape;
  if (!(window >= 1 && stride >= 1)) throw new RangeError(`sparse attention needs a window and a stride ≥ 1, got ${window} and ${stride}`);
  const p = shape.queryOffset + i;
  const lo = Math.max(0, p - window + 1);
  const hi = causal ? Math.min(p + 1, keyCount) : Math.min(p + window, keyCount);
  // strided keys below the window: t ≡ p (mod stride), t < lo
  runs[0] = p % stride;
  runs[1] = lo;
  runs[2] = stride;
  // the window itself
  runs[3] = lo;
  runs[4] = hi;
  runs[5] = 1;
  // strided keys above the window (bidirectional only): t ≡ p (mod stride), hi ≤ t < keyCount
  runs[6] = hi + ((((p - hi) % stride) + stride) % stride);
  runs[7] = causal ? 0 : keyCount;
  runs[8] = stride;
}

/**
 * scores[t] for the visible keys of query row i, head h, then softmax over them;
 * returns false when no visible key may be attended (every one masked).
 */
export function sparseProbabilities(
  scores: FloatArray,
  q: FloatArray,
  k: FloatArray,
  shape: SparseAttentionShape,
  i: number,
  h: number,
  runs: KeyRuns,
  keyMask: ArrayLike<number> | undefined,
): boolean {
  let max = -Infinity;
  for (let r = 0; r < 9; r += 3) {
    for (let t = runs[r]!; t < runs[r + 1]!; t += runs[r + 2]!) {
      scoreKeys(scores, q, k, shape, i, h, t, t + 1, keyMask);
      if (scores[t]! > max) max = scores[t]!;
    }
  }
  if (max === -Infinity) return false;
  let sum = 0;
  for (let r = 0; r < 9; r += 3) {
    for (let t = runs[r]!; t < runs[r + 1]!; t += runs[r + 2]!) {
      const e = Math.exp(scores[t]! - max);
      scores[t] = e;
      sum += e;
    }
  }
  const inverse = 1 / sum;
  for (let r = 0; r < 9; r += 3) for (let t = runs[r]!; t < runs[r + 1]!; t += runs[r + 2]!) scores[t] = scores[t]! * inverse;
  return true;
}

const runsBuffer = keyRuns();

export function sparseAttention(
  out: FloatArray,
  q: FloatArray,
  k: FloatArray,
  v: FloatArray,
  shape: SparseAttentionShape,
  scores: FloatArray,
  keyMask?: ArrayLike<number>,
): void {
  const { queryCount, nHeads, nKvHeads, headDim } = shape;
  const group = nHeads / nKvHeads;
  const kvStride = nKvHeads * headDim;
  const runs = runsBuffer;
  for (let i = 0; i < queryCount; i++) {
    visibleKeyRuns(shape, i, runs);
    for (let h = 0; h < nHeads; h++) {
      const oBase = (i * nHeads + h) * headDim;
      const kvHead = Math.floor(h / group) * headDim;
      const any = sparseProbabilities(scores, q, k, shape, i, h, runs, keyMask);
      for (let d = 0; d < headDim; d++) {
        let sum = 0;
        if (any) {
          for (let r = 0; r < 9; r += 3) {
            for (let t = runs[r]!; t < runs[r + 1]!; t += runs[r + 2]!) sum += scores[t]! * v[t * kvStride + kvHead + d]!;
          }
        }
        out[oBase + d] = sum;
      }
    }
  }
}

/** probs [nHeads, queryCount, keyCount]: the weights sparseAttention uses, zero for keys a query does not see. */
export function sparseAttentionProbabilities(
  probs: FloatArray,
  q: FloatArray,
  k: FloatArray,
  shape: SparseAttentionShape,
  scores: FloatArray,
  keyMask?: ArrayLike<number>,
): void {
  const { queryCount, keyCount, nHeads } = shape;
  const runs = keyRuns();
  for (let i = 0; i < queryCount; i++) {
    visibleKeyRuns(shape, i, runs);
    for (let h = 0; h < nHeads; h++) {
      const row = (h * queryCount + i) * keyCount;
      probs.fill(0, row, row + keyCount);
      if (!sparseProbabilities(scores, q, k, shape, i, h, runs, keyMask)) continue;
      for (let r = 0; r < 9; r += 3) for (let t = runs[r]!; t < runs[r + 1]!; t += runs[r + 2]!) probs[row + t] = scores[t]!;
    }
  }
}
