// Reference scaled dot-product attention (Vaswani et al. 2017) with a causal mask,
// padding mask and grouped-query heads (Ainslie et al. 2023): for each query row
// and head, scores = q·k·scale over the visible keys, softmax, then the weighted
// sum of the values. Query head h reads kv head ⌊h / (nHeads / nKvHeads)⌋.

import type { FloatArray } from "../../tensor/tensor.js";
import type { AttentionShape } from "../backend.js";
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
  const { queryCount, keyCount, queryOffset, nHeads, nKvHeads, headDim, scale, causal } = shape;
  const group = nHeads / nKvHeads;
  const qStride = nHeads * headDim;
  const kvStride = nKvHeads * headDim;
  for (let i = 0; i < queryCount; i++) {
    const visible = causal ? Math.min(queryOffset + i + 1, keyCount) : keyCount;
    for (let h = 0; h < nHeads; h++) {
      const qBase = i * qStride + h * headDim;
      const kvHead = Math.floor(h / group) * headDim;
      for (let t = 0; t < visible; t++) {
        if (keyMask !== undefined && keyMask[t] === 0) {
          scores[t] = -Infinity;
          continue;
        }
        const kBase = t * kvStride + kvHead;
        let dot = 0;
        for (let d = 0; d < headDim; d++) dot += q[qBase + d]! * k[kBase + d]!;
        scores[t] = dot * scale;
      }
      softmaxSpan(scores, 0, visible);
      const oBase = i * qStride + h * headDim;
      for (let d = 0; d < headDim; d++) {
        let sum = 0;
        for (let t = 0; t < visible; t++) sum += scores[t]! * v[t * kvStride + kvHead + d]!;
        out[oBase + d] = sum;
      }
    }
  }
}
