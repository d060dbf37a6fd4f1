// Reference backward of sparse attention (../sparse-attention.ts): the backward of
// softmax attention (./attention.ts) over each query's visible keys only — the
// runs of the strided pattern — with the probabilities recomputed from q and k.

import type { FloatArray } from "../../../tensor/tensor.js";
import type { SparseAttentionShape } from "../../attention-variants.js";
import { keyRuns, sparseProbabilities, visibleKeyRuns } from "../sparse-attention.js";

export function sparseAttentionBackward(
  dq: FloatArray | null,
  dk: FloatArray | null,
  dv: FloatArray | null,
  dOut: FloatArray,
  q: FloatArray,
  k: FloatArray,
  v: FloatArray,
  shape: SparseAttentionShape,
  scratch: FloatArray,
  keyMask?: ArrayLike<number>,
): void {
  const { queryCount, keyCount, nHeads, nKvHeads, headDim, scale } = shape;
  const softcap = shape.softcap ?? 0;
  const group = nHeads / nKvHeads;
  const kvStride = nKvHeads * headDim;
  const probs = scratch; // [keyCount]
  const dScores = scratch.subarray(keyCount, 2 * keyCount); // [keyCount]
  const runs = keyRuns();
  for (let i = 0; i < queryCount; i++) {
    visibleKeyRuns(shape, i, runs);
    for (let h = 0; h < nHeads; h++) {
      const qBase = (i * nHeads + h) * headDim;
      const kvHead = Math.floor(h / group) * headDim;
      if (!sparseProbabilities(probs, q, k, shape, i, h, runs, keyMask)) continue;
      // dp_t = dOut·v_t; dv_t += p_t·dOut
      let weightedSum = 0;
      for (let r = 0; r < 9; r += 3) {
        for (let t = runs[r]!; t < runs[r + 1]!; t += runs[r + 2]!) {
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
      }
      // ds_t = p_t (dp_t − Σ p dp) · scale, times the soft-cap's derivative; then dq, dk
      for (let r = 0; r < 9; r += 3) {
        for (let t = runs[r]!; t < runs[r + 1]!; t += runs[r + 2]!) {
          let ds = probs[t]! * (dScores[t]! - weightedSum) * scale;
          if (ds === 0) continue;
          const kBase = t * kvStride + kvHead;
          if (softcap > 0) {
            let dot = 0;
            for (let d = 0; d < headDim; d++) dot += q[qBase + d]! * k[kBase + d]!;
            const tanh = Math.tanh((dot * scale) / softcap);
            ds *= 1 - tanh * tanh;
          }
          for (let d = 0; d < headDim; d++) {
            if (dq !== null) dq[qBase + d] += ds * k[kBase + d]!;
            if (dk !== null) dk[kBase + d] += ds * q[qBase + d]!;
          }
        }
      }
    }
  }
}
