// Reference backward of causal linear attention (../linear-attention.ts) over one
// sequence from zero sums, the two scans of Katharopoulos et al.'s own kernel.
// With num_i = S_iᵀφq_i, den_i = φq_i·z_i + eps, out_i = num_i / den_i:
//   dnum_i = dOut_i / den_i,   dden_i = −dOut_i·out_i / den_i
//   dφq_i = S_i dnum_i + z_i dden_i                               (forward scan: S_i, z_i)
//   dφk_j = G_j v_j + g_j,  dv_j = G_jᵀ φk_j, with the suffix sums  (reverse scan)
//   G_j = Σ_{i≥j} φq_i ⊗ dnum_i [F, headDim],  g_j = Σ_{i≥j} φq_i dden_i [F]
// summed over the query heads of a kv head. Nothing of the forward is stored but
// den_i and dOut_i·out_i, two numbers per row and head.

import type { FloatArray } from "../../../tensor/tensor.js";
import type { LinearAttentionShape } from "../../attention-variants.js";

export function linearAttentionBackward(
  dPhiQ: FloatArray | null,
  dPhiK: FloatArray | null,
  dv: FloatArray | null,
  dOut: FloatArray,
  phiQ: FloatArray,
  phiK: FloatArray,
  v: FloatArray,
  shape: LinearAttentionShape,
  scratch: FloatArray,
): void {
  const { rows, nHeads, nKvHeads, featureDim: F, headDim: D, eps } = shape;
  const group = nHeads / nKvHeads;
  const stateSize = nKvHeads * F * D;
  const sums = scratch.subarray(0, stateSize).fill(0); // S, then G
  const normalizer = scratch.subarray(stateSize, stateSize + nKvHeads * F).fill(0); // z, then g
  const denominators = scratch.subarray(stateSize + nKvHeads * F, stateSize + nKvHeads * F + rows * nHeads); // den_i per head
  const dotOut = scratch.subarray(stateSize + nKvHeads * F + rows * nHeads, stateSize + nKvHeads * F + 2 * rows * nHeads); // dOut_i·out_i

  // Forward scan: the running sums again, each row's den and dOut·out, and dφq.
  for (let i = 0; i < rows; i++) {
    for (let g = 0; g < nKvHeads; g++) {
      const kBase = (i * nKvHeads + g) * F;
      const vBase = (i * nKvHeads + g) * D;
      for (let f = 0; f < F; f++) {
        const phi = phiK[kBase + f]!;
        normalizer[g * F + f] += phi;
        for (let d = 0; d < D; d++) sums[(g * F + f) * D + d] += phi * v[vBase + d]!;
      }
    }
    for (let h = 0; h < nHeads; h++) {
      const g = Math.floor(h / group);
      const qBase = (i * nHeads + h) * F;
      const oBase = (i * nHeads + h) * D;
      let den = eps;
      for (let f = 0; f < F; f++) den += phiQ[qBase + f]! * normalizer[g * F + f]!;
      let dot = 0;
      for (let d = 0; d < D; d++) {
        let num = 0;
        for (let f = 0; f < F; f++) num += phiQ[qBase + f]! * sums[(g * F + f) * D + d]!;
        dot += dOut[oBase + d]! * (num / den);
      }
      denominators[i * nHeads + h] = den;
      dotOut[i * nHeads + h] = dot;
      if (dPhiQ === null) continue;
      const dden = -dot / den;
      for (let f = 0; f < F; f++) {
        let sum = normalizer[g * F + f]! * dden;
        for (let d = 0; d < D; d++) sum += sums[(g * F + f) * D + d]! * (dOut[oBase + d]! / den);
        dPhiQ[qBase + f] += sum;
      }
    }
  }
  if (dPhiK === null && dv === null) return;

  // Reverse scan: the suffix sums G and g, then dφk and dv of each row.
  sums.fill(0);
  normalizer.fill(0);
  for (let i = rows - 1; i >= 0; i--) {
    for (let h = 0; h < nHeads; h++) {
      const g = Math.floor(h / group);
      const qBase = (i * nHeads + h) * F;
      const oBase = (i * nHeads + h) * D;
      const den = denominators[i * nHeads + h]!;
      const dden = -dotOut[i * nHeads + h]! / den;
      for (let f = 0; f < F; f++) {
        const phi = phiQ[qBase + f]!;
        normalizer[g * F + f] += phi * dden;
        for (let d = 0; d < D; d++) sums[(g * F + f) * D + d] += phi * (dOut[oBase + d]! / den);
      }
    }
    for (let g = 0; g < nKvHeads; g++) {
      const kBase = (i * nKvHeads + g) * F;
      const vBase = (i * nKvHeads + g) * D;
      for (let f = 0; f < F; f++) {
        const gBase = (g * F + f) * D;
        if (dPhiK !== null) {
          let sum = normalizer[g * F + f]!;
          for (let d = 0; d < D; d++) sum += sums[gBase + d]! * v[vBase + d]!;
          dPhiK[kBase + f] += sum;
        }
        if (dv !== null) {
          const phi = phiK[kBase + f]!;
          for (let d = 0; d < D; d++) dv[vBase + d] += sums[gBase + d]! * phi;
        }
      }
    }
  }
}
