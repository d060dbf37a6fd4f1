// Reference feature maps of linear attention: elu(x) + 1 (Katharopoulos et al.
// 2020), positive for every x, and FAVOR+'s positive random features (Choromanski
// et al. 2020, "Rethinking Attention with Performers", eq. 7 with h(x) = exp(−|x|²/2)):
//   φ(x)_j = exp(ω_j·x − |x|²/2) / √m,   so that E_ω[φ(x)·φ(y)] = exp(x·y)
// for ω_j ~ N(0, I) (orthogonal rows in practice, performer-features.ts).

import type { FloatArray } from "../../tensor/tensor.js";

export function eluPlusOne(x: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) {
    const value = x[i]!;
    x[i] = value > 0 ? value + 1 : Math.exp(value);
  }
}

export function positiveRandomFeatures(out: FloatArray, x: FloatArray, omega: FloatArray, rows: number, dim: number, features: number): void {
  const norm = 1 / Math.sqrt(features);
  for (let r = 0; r < rows; r++) {
    const xBase = r * dim;
    let half = 0;
    for (let d = 0; d < dim; d++) half += x[xBase + d]! * x[xBase + d]!;
    half /= 2;
    for (let j = 0; j < features; j++) {
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += omega[j * dim + d]! * x[xBase + d]!;
      out[r * features + j] = Math.exp(dot - half) * norm;
    }
  }
}
