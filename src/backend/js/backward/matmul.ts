// Reference backward of the Linear product out = x·Wᵀ + b (llm.c train_gpt2.c
// matmul_backward): dx = dOut·W, dW = dOutᵀ·x, db = Σ_rows dOut. Each output row
// is summed in a float64 row buffer, then added to the (possibly float32)
// gradient once, so long sums over tokens do not lose precision.

import type { FloatArray } from "../../../tensor/tensor.js";

export function matmulBackward(
  dx: FloatArray | null,
  dWeight: FloatArray | null,
  dBias: FloatArray | null,
  dOut: FloatArray,
  x: FloatArray,
  weight: FloatArray,
  rows: number,
  outFeatures: number,
  inFeatures: number,
): void {
  const n = outFeatures;
  const k = inFeatures;
  const sum = new Float64Array(k);
  if (dx !== null) {
    // dx[r, :] += Σ_j dOut[r, j] · W[j, :]
    for (let r = 0; r < rows; r++) {
      sum.fill(0);
      for (let j = 0; j < n; j++) {
        const g = dOut[r * n + j]!;
        if (g === 0) continue;
        const wj = j * k;
        for (let t = 0; t < k; t++) sum[t] += g * weight[wj + t]!;
      }
      const xr = r * k;
      for (let t = 0; t < k; t++) dx[xr + t] += sum[t]!;
    }
  }
  if (dWeight !== null) {
    // dW[j, :] += Σ_r dOut[r, j] · x[r, :]
    for (let j = 0; j < n; j++) {
      sum.fill(0);
      for (let r = 0; r < rows; r++) {
        const g = dOut[r * n + j]!;
        if (g === 0) continue;
        const xr = r * k;
        for (let t = 0; t < k; t++) sum[t] += g * x[xr + t]!;
      }
      const wj = j * k;
      for (let t = 0; t < k; t++) dWeight[wj + t] += sum[t]!;
    }
  }
  if (dBias !== null) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let r = 0; r < rows; r++) s += dOut[r * n + j]!;
      dBias[j] += s;
    }
  }
}

/** Backward of a product with a column window of a Conv1D weight [inFeatures, stride] (BackwardKernels). */
export function matmulColumnsBackward(
  dx: FloatArray | null,
  dWeight: FloatArray | null,
  dBias: FloatArray | null,
  dOut: FloatArray,
  x: FloatArray,
  weight: FloatArray,
  rows: number,
  inFeatures: number,
  stride: number,
  first: number,
  count: number,
): void {
  for (let r = 0; r < rows; r++) {
    const g = r * count;
    const xr = r * inFeatures;
    for (let t = 0; t < inFeatures; t++) {
      const w = t * stride + first;
      if (dx !== null) {
        // dx[r, t] += Σ_j dOut[r, j] · W[t, first + j]
        let s = 0;
        for (let j = 0; j < count; j++) s += dOut[g + j]! * weight[w + j]!;
        dx[xr + t] += s;
      }
      if (dWeight !== null) {
        // dW[t, first + j] += x[r, t] · dOut[r, j]
        const xv = x[xr + t]!;
        if (xv !== 0) for (let j = 0; j < count; j++) dWeight[w + j] += xv * dOut[g + j]!;
      }
    }
    if (dBias !== null) for (let j = 0; j < count; j++) dBias[first + j] += dOut[g + j]!;
  }
}
