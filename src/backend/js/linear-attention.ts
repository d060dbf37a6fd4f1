// Reference causal linear attention (Katharopoulos et al. 2020, "Transformers are
// RNNs"): with positive features φ(q), φ(k), softmax(q·k) is replaced by φ(q)·φ(k),
// so the attention of row i over keys j ≤ i factors through two running sums,
//   S_i = Σ_{j≤i} φ(k_j) ⊗ v_j   [F, headDim]     z_i = Σ_{j≤i} φ(k_j)   [F]
//   out_i = φ(q_i)·S_i / (φ(q_i)·z_i + eps)
// — a recurrence whose state has a constant size however long the sequence, and
// O(F · headDim) work per token instead of O(T · headDim). Per kv head; query head
// h reads kv head ⌊h / (nHeads / nKvHeads)⌋. Dot products accumulate in float64;
// the sums live in the caller's buffers.

import type { FloatArray } from "../../tensor/tensor.js";
import type { LinearAttentionShape } from "../attention-variants.js";

export function linearAttention(
  out: FloatArray,
  phiQ: FloatArray,
  phiK: FloatArray,
  v: FloatArray,
  sums: FloatArray,
  normalizer: FloatArray,
  shape: LinearAttentionShape,
): void {
  const { rows, nHeads, nKvHeads, featureDim: F, headDim: D, eps } = shape;
  const group = nHeads / nKvHeads;
  for (let i = 0; i < rows; i++) {
    for (let g = 0; g < nKvHeads; g++) {
      const kBase = (i * nKvHeads + g) * F;
      const vBase = (i * nKvHeads + g) * D;
      for (let f = 0; f < F; f++) {
        const phi = phiK[kBase + f]!;
        normalizer[g * F + f] += phi;
        const sBase = (g * F + f) * D;
        for (let d = 0; d < D; d++) sums[sBase + d] += phi * v[vBase + d]!;
      }
    }
    for (let h = 0; h < nHeads; h++) {
      const g = Math.floor(h / group);
      const qBase = (i * nHeads + h) * F;
      let denominator = eps;
      for (let f = 0; f < F; f++) denominator += phiQ[qBase + f]! * normalizer[g * F + f]!;
      const oBase = (i * nHeads + h) * D;
      for (let d = 0; d < D; d++) {
        let numerator = 0;
        for (let f = 0; f < F; f++) numerator += phiQ[qBase + f]! * sums[(g * F + f) * D + d]!;
        out[oBase + d] = numerator / denominator;
      }
    }
  }
}

/**
 * probs [nHeads, rows, rows]: the weight row i gives key j ≤ i of this call,
 * φq_i·φk_j / (φq_i·z_i + eps), with z_i = normalizer (earlier calls) + Σ_{j≤i} φk_j.
 */
export function linearAttentionProbabilities(
  probs: FloatArray,
  phiQ: FloatArray,
  phiK: FloatArray,
  normalizer: FloatArray,
  shape: LinearAttentionShape,
): void {
  const { rows, nHeads, nKvHeads, featureDim: F, eps } = shape;
  const group = nHeads / nKvHeads;
  probs.fill(0, 0, nHeads * rows * rows);
  for (let h = 0; h < nHeads; h++) {
    const g = Math.floor(h / group);
    for (let i = 0; i < rows; i++) {
      const qBase = (i * nHeads + h) * F;
      const dots = new Float64Array(i + 1);
      let denominator = eps;
      for (let f = 0; f < F; f++) denominator += phiQ[qBase + f]! * normalizer[g * F + f]!;
      for (let j = 0; j <= i; j++) {
        const kBase = (j * nKvHeads + g) * F;
        let dot = 0;
        for (let f = 0; f < F; f++) dot += phiQ[qBase + f]! * phiK[kBase + f]!;
        dots[j] = dot;
        denominator += dot;
      }
      const row = (h * rows + i) * rows;
      for (let j = 0; j <= i; j++) probs[row + j] = dots[j]! / denominator;
    }
  }
}
