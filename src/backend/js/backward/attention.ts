// Reference backward of scaled dot-product attention (../attention.ts), for each
// query row i and head h, with p = softmax(s) over the visible keys:
//   dv_t += p_t · dOut,   dp_t = dOut · v_t,   ds_t = p_t (dp_t − Σ_u p_u dp_u),
//   dq += scale · c_t · Σ_t ds_t k_t,   dk_t += scale · c_t · ds_t q,
// where c_t = 1 − tanh²(scale·q·k_t / cap) is the soft-cap's derivative (1 without a
// cap); the ALiBi bias is a constant and the window only narrows the keys. A learned
// relative position bias (T5) receives dW[bucket(t − p), h] += p_t (dp_t − Σ_u p_u dp_u).
// (llm.c attention_backward; the probabilities are recomputed as FlashAttention's
// backward does, so the forward stores nothing.) A kv head shared by several
// query heads (GQA) receives the sum of their contributions. Masked keys have p = 0.

import type { AttentionShape } from "../../backend.js";
import type { FloatArray } from "../../../tensor/tensor.js";
import { endOfVisibleKeys, firstVisibleKey, positionBiasRow, scoreKeys } from "../attention-scores.js";
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
  dPositionBias: FloatArray | null = null,
): void {
  const { queryCount, keyCount, nHeads, nKvHeads, headDim, scale, queryOffset } = shape;
  const softcap = shape.softcap ?? 0;
  const bias = dPositionBias === null ? null : (shape.positionBias ?? null);
  const group = nHeads / nKvHeads;
  const qStride = nHeads * headDim;
  const kvStride = nKvHeads * headDim;
  const probs = scratch; // [keyCount]
  const dScores = scratch.subarray(keyCount, 2 * keyCount); // [keyCount]
  for (let i = 0; i < queryCount; i++) {
    const start = firstVisibleKey(shape, i);
    const end = endOfVisibleKeys(shape, i);
    for (let h = 0; h < nHeads; h++) {
      const qBase = i * qStride + h * headDim;
      const kvHead = Math.floor(h / group) * headDim;
      // Recompute the probabilities exactly as the forward does.
      scoreKeys(probs, q, k, shape, i, h, start, end, keyMask);
      softmaxSpan(probs, start, end - start);
      // dp_t = dOut·v_t; dv_t += p_t·dOut
      let weightedSum = 0;
      for (let t = start; t < end; t++) {
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
      // ds_t = p_t (dp_t − Σ p dp): the gradient of the biased score (the position bias's), then times scale
      for (let t = start; t < end; t++) {
        const ds = probs[t]! * (dScores[t]! - weightedSum);
        if (bias !== null) dPositionBias![positionBiasRow(bias, t - queryOffset - i) * nHeads + h] += ds;
        dScores[t] = ds * scale;
      }
      if (softcap > 0) {
        for (let t = start; t < end; t++) {
          if (dScores[t] === 0) continue;
          // The capped score without its ALiBi bias is cap · tanh(raw / cap).
          const capped = scoreWithoutBias(q, k, shape, qBase, kvHead, t, scale, softcap);
          const tanh = capped / softcap;
          dScores[t] = dScores[t]! * (1 - tanh * tanh);
        }
      }
      for (let t = start; t < end; t++) {
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

/** cap · tanh(scale · q·k_t / cap) for one query head and key. */
function scoreWithoutBias(
  q: FloatArray,
  k: FloatArray,
  shape: AttentionShape,
  qBase: number,
  kvHead: number,
  t: number,
  scale: number,
  softcap: number,
): number {
  const kBase = t * shape.nKvHeads * shape.headDim + kvHead;
  let dot = 0;
  for (let d = 0; d < shape.headDim; d++) dot += q[qBase + d]! * k[kBase + d]!;
  return softcap * Math.tanh((dot * scale) / softcap);
}
