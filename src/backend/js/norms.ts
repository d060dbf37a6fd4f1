// Reference RMSNorm (Zhang & Sennrich 2019; Llama; Gemma's gain 1 + w through weightOffset) and LayerNorm (Ba et al. 2016;
// GPT-2, BERT). Statistics are accumulated in float64; variance is biased (÷ dim),
// as torch.nn.LayerNorm computes it.

import type { FloatArray } from "../../tensor/tensor.js";

export function rmsNorm(
  out: FloatArray,
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
    const inverseRms = 1 / Math.sqrt(sumSquares / dim + eps);
    for (let i = 0; i < dim; i++) out[base + i] = x[base + i]! * inverseRms * (weightOffset + weight[i]!);
  }
}

export function layerNorm(
  out: FloatArray,
  x: FloatArray,
  weight: FloatArray,
  bias: FloatArray,
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
    const inverseStd = 1 / Math.sqrt(squares / dim + eps);
    for (let i = 0; i < dim; i++) out[base + i] = (x[base + i]! - mean) * inverseStd * weight[i]! + bias[i]!;
  }
}
