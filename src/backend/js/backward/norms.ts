// Reference backward of LayerNorm and RMSNorm (llm.c train_gpt2.c
// layernorm_backward; the RMSNorm case is the same derivation without the mean).
// With x̂ = (x − mean)·rstd and g = dOut·weight:
//   LayerNorm: dx = rstd · (g − mean(g) − x̂ · mean(g·x̂)),  dWeight += dOut·x̂,  dBias += dOut
//   RMSNorm:   x̂ = x·rstd, with g = dOut·(weightOffset + weight), dx = rstd · (g − x̂ · mean(g·x̂)),  dWeight += dOut·x̂
// Row statistics are recomputed in float64, as the forward kernels compute them.

import type { FloatArray } from "../../../tensor/tensor.js";

export function layerNormBackward(
  dx: FloatArray | null,
  dWeight: FloatArray | null,
  dBias: FloatArray | null,
  dOut: FloatArray,
  x: FloatArray,
  weight: FloatArray,
  rows: number,
  dim: number,
  eps: number,
): void {
  for (let r = 0; r < rows; r++) {
    const base = r * dim;
    let sum = 0;
    for (let i = 0; i < dim; i++) sum += x[base + i]!;
    const mean = sum / dim;
    let squares = 0;
    for (let i = 0; i < dim; i++) {
      const d = x[base + i]! - mean;
      squares += d * d;
    }
    const rstd = 1 / Math.sqrt(squares / dim + eps);
    let meanG = 0;
    let meanGXhat = 0;
    for (let i = 0; i < dim; i++) {
      const xhat = (x[base + i]! - mean) * rstd;
      const g = dOut[base + i]! * weight[i]!;
      meanG += g;
      meanGXhat += g * xhat;
    }
    meanG /= dim;
    meanGXhat /= dim;
    for (let i = 0; i < dim; i++) {
      const xhat = (x[base + i]! - mean) * rstd;
      const dy = dOut[base + i]!;
      if (dBias !== null) dBias[i] += dy;
      if (dWeight !== null) dWeight[i] += dy * xhat;
      if (dx !== null) dx[base + i] += rstd * (dy * weight[i]! - meanG - xhat * meanGXhat);
    }
  }
}

export function rmsNormBackward(
  dx: FloatArray | null,
  dWeight: FloatArray | null,
  dOut: FloatArray,
  x: FloatArray,
  weight: FloatArray,
  rows: number,
  dim: number,
  eps: number,
  weightOffset: number,
): void {
  for (let r = 0; r < rows; r++) {
    const base = r * dim;
    let sumSquares = 0;
    for (let i = 0; i < dim; i++) {
      const v = x[base + i]!;
      sumSquares += v * v;
    }
    const rstd = 1 / Math.sqrt(sumSquares / dim + eps);
    let meanGXhat = 0;
    for (let i = 0; i < dim; i++) meanGXhat += dOut[base + i]! * (weightOffset + weight[i]!) * x[base + i]! * rstd;
    meanGXhat /= dim;
    for (let i = 0; i < dim; i++) {
      const xhat = x[base + i]! * rstd;
      const dy = dOut[base + i]!;
      if (dWeight !== null) dWeight[i] += dy * xhat;
      if (dx !== null) dx[base + i] += rstd * (dy * (weightOffset + weight[i]!) - xhat * meanGXhat);
    }
  }
}
