// Reference scaled dot-product attention (Vaswani et al. 2017) with a causal mask,
// padding mask, grouped-query heads (Ainslie et al. 2023), and the variants of
// attention-scores.ts (sliding window, soft-capping, ALiBi): for each query row and
// head, the scores over the visible keys, softmax, then the weighted sum of the
// values. Query head h reads kv head ⌊h / (nHeads / nKvHeads)⌋.

import type { FloatArray } from "../../tensor/tensor.js";
import type { AttentionShape } from "../backend.js";
import { endOfVisibleKeys, firstVisibleKey, scoreKeys } from "./attention-scores.js";
import { softmaxSpan } from "./softmax.js";

export function attention(
  out: FloatArray,
  q: FloatArray,
  k: FloatArray,
  v: FloatArray,
  shape: AttentionShape,
  scores: FloatArray,
  keyMask?: ArrayLike<number>,
): void {
  const { queryCount, nHeads, nKvHeads, headDim } = shape;
  const group = nHeads / nKvHeads;
  const qStride = nHeads * headDim;
  const kvStride = nKvHeads * headDim;
  for (let i = 0; i < queryCount; i++) {
    const start = firstVisibleKey(shape, i);
    const end = endOfVisibleKeys(shape, i);
    for (let h = 0; h < nHeads; h++) {
      const kvHead = Math.floor(h / group) * headDim;
      scoreKeys(scores, q, k, shape, i, h, start, end, keyMask);
      softmaxSpan(scores, start, end - start);
      const oBase = i * qStride + h * headDim;
      for (let d = 0; d < headDim; d++) {
        let sum = 0;
        for (let t = start; t < end; t++) sum += scores[t]! * v[t * kvStride + kvHead + d]!;
        out[oBase + d] = sum;
      }
    }
  }
}

/**
 * The attention probabilities themselves (what `attention` weighs the values by):
 * probs [nHeads, queryCount, keyCount], zero for keys a query does not see. For
 * inspection; scores is scratch of ≥ keyCount elements.
 */
export function attentionProbabilities(
  probs: FloatArray,
  q: FloatArray,
  k: FloatArray,
  shape: AttentionShape,
  scores: FloatArray,
  keyMask?: ArrayLike<number>,
): void {
  const { queryCount, keyCount, nHeads } = shape;
  for (let h = 0; h < nHeads; h++) {
    for (let i = 0; i < queryCount; i++) {
      const start = firstVisibleKey(shape, i);
      const end = endOfVisibleKeys(shape, i);
      const row = (h * queryCount + i) * keyCount;
      probs.fill(0, row, row + keyCount);
      if (end <= start) continue;
      scoreKeys(scores, q, k, shape, i, h, start, end, keyMask);
      softmaxSpan(scores, start, end - start);
      for (let t = start; t < end; t++) probs[row + t] = scores[t]!;
    }
  }
}
