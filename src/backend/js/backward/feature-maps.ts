// Reference backward of the feature maps (../feature-maps.ts):
//   elu(x) + 1:  dφ/dx = 1 for x > 0, eˣ otherwise
//   FAVOR+:      ∂φ_j/∂x = φ_j · (ω_j − x), since φ_j = exp(ω_j·x − |x|²/2) / √m

import type { FloatArray } from "../../../tensor/tensor.js";

export function eluPlusOneBackward(dx: FloatArray, dOut: FloatArray, x: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) {
    const value = x[i]!;
    dx[i] += dOut[i]! * (value > 0 ? 1 : Math.exp(value));
  }
}

export function positiveRandomFeaturesBackward(
  dx: FloatArray,
  dOut: FloatArray,
  x: FloatArray,
  out: FloatArray,
  omega: FloatArray,
  rows: number,
  dim: number,
  features: number,
): void {
  for (let r = 0; r < rows; r++) {
    const xBase = r * dim;
    for (let d = 0; d < dim; d++) {
      let sum = 0;
      let weight = 0;
      for (let j = 0; j < features; j++) {
        const g = dOut[r * features + j]! * out[r * features + j]!;
        sum += g * omega[j * dim + d]!;
        weight += g;
      }
      dx[xBase + d] += sum - weight * x[xBase + d]!;
    }
  }
}
