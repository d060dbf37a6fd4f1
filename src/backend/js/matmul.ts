// Reference matrix product for Linear layers: out[m, n] = x[m, k] · w[n, k]ᵀ + bias.
// This is the hot spot of every forward pass (llama2.c run.c `matmul`). Rows of x
// are taken four at a time so each weight row is read once per four tokens during
// prompt processing; sums accumulate in float64 (JS numbers).

import type { F32Matrix } from "../../tensor/weights.js";

export function matmulF32(out: Float32Array, x: Float32Array, w: F32Matrix, bias: Float32Array | null, m: number): void {
  const k = w.cols;
  const n = w.rows;
  const wd = w.data;
  let row = 0;
  for (; row + 4 <= m; row += 4) {
    const x0 = row * k;
    const x1 = x0 + k;
    const x2 = x1 + k;
    const x3 = x2 + k;
    for (let j = 0; j < n; j++) {
      const wj = j * k;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let t = 0; t < k; t++) {
        const wv = wd[wj + t]!;
        s0 += x[x0 + t]! * wv;
        s1 += x[x1 + t]! * wv;
        s2 += x[x2 + t]! * wv;
        s3 += x[x3 + t]! * wv;
      }
      const b = bias === null ? 0 : bias[j]!;
      out[row * n + j] = s0 + b;
      out[(row + 1) * n + j] = s1 + b;
      out[(row + 2) * n + j] = s2 + b;
      out[(row + 3) * n + j] = s3 + b;
    }
  }
  for (; row < m; row++) {
    const xi = row * k;
    for (let j = 0; j < n; j++) {
      const wj = j * k;
      let s0 = 0;
      let s1 = 0;
      let t = 0;
      for (; t + 2 <= k; t += 2) {
        s0 += x[xi + t]! * wd[wj + t]!;
        s1 += x[xi + t + 1]! * wd[wj + t + 1]!;
      }
      if (t < k) s0 += x[xi + t]! * wd[wj + t]!;
      out[row * n + j] = s0 + s1 + (bias === null ? 0 : bias[j]!);
    }
  }
}
