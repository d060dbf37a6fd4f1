// Reference backward of scaled dot-product attention (../attention.ts), for each
// query row i and head h, with p = softmax(s), s_t = scale · q·k_t over the visible keys:
//   dv_t += p_t · dOut,   dp_t = dOut · v_t,   ds_t = p_t (dp_t − Σ_u p_u dp_u),
//   dq += scale · Σ_t ds_t k_t,   dk_t += scale · ds_t q.
// (llm.c attention_backward; the probabilities are recomputed as FlashAttention's
// backward does, so the forward stores nothing.) A kv head shared by several
// query heads (GQA) receives the sum of their contributions. Masked keys have p = 0.

import type { AttentionShape } from "../../backend.js";
import type { FloatArray } from "../../../tensor/tensor.js";
import { softmaxSpan } from "../softmax.js";

export function attentionBackward(
  dq: FloatArray | null,
  dk: FloatArray | null,
  dv: FloatArray | null,
  dOut: FloatArray,
  q: FloatArray,
  k: FloatArray,
  v: FloatArray,
  shape: AttentionShape,
  scratch: FloatArray,
  keyMask?: ArrayLike<number>,
): void {
  const { queryCount, keyCount, queryOffset, nHeads, nKvHeads, headDim, scale, causal } = shape;
  const group = nHeads / nKvHeads;
  const qStride = nHeads * headDim;
  const kvStride = nKvHeads * headDim;
  const probs = scratch; // [keyCount]
  const dScores = scratch.subarray(keyCount, 2 * keyCount); // [keyCount]
  for (let i = 0; i < queryCount; i++) {
    const visible = causal ? Math.min(queryOffset + i + 1, keyCount) : keyCount;
    for (let h = 0; h < nHeads; h++) {
      const qBase = i * qStride + h * headDim;
      const kvHead = Math.floor(h / group) * headDim;
      // Recompute the probabilities exactly as the forward does.
      for (let t = 0; t < visible; t++) {
        if (keyMask !== undefined && keyMask[t] === 0) {
          probs[t] = -Infinity;
          continue;
        }
        const kBase = t * kvStride + kvHead;
        let dot = 0;
        for (let d = 0; d < headDim; d++) dot += q[qBase + d]! * k[kBase + d]!;
        probs[t] = dot * scale;
      }
      softmaxSpan(probs, 0, visible);
      // dp_t = dOut·v_t; dv_t += p_t·dOut
      let weightedSum = 0;
      for (let t = 0; t < visible; t++) {
        const p = probs[t]!;
        const vBase = t * kvStride + kvHead;
        let dot = 0;
        for (let d = 0; d < headDim; d++) {
          const g = dOut[qBase + d]!;
          dot += g * v[vBase + d]!;
          if (dv !== null) dv[vBase + d] += p * g;
        }
        dScores[t] = dot;
        weightedSum += p * dot;
      }
      // ds_t = p_t (dp_t − Σ p dp), already multiplied by scale
      for (let t = 0; t < visible; t++) dScores[t] = probs[t]! * (dScores[t]! - weightedSum) * scale;
      for (let t = 0; t < visible; t++) {
        const ds = dScores[t]!;
        if (ds === 0) continue;
        const kBase = t * kvStride + kvHead;
        for (let d = 0; d < headDim; d++) {
          if (dq !== null) dq[qBase + d] += ds * k[kBase + d]!;
          if (dk !== null) dk[kBase + d] += ds * q[qBase + d]!;
        }
      }
    }
  }
}
