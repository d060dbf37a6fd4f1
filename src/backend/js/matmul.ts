// Reference matrix product for Linear layers: out[m, n] = x[m, k] · w[n, k]ᵀ + bias.
// This is the hot spot of every forward pass (llama2.c run.c `matmul`). Rows of x
// are taken four at a time so each weight row is read once per four tokens during
// prompt processing; sums accumulate in float64 (JS numbers).

import type { FloatArray } from "../../tensor/tensor.js";
import type { F32ColumnsMatrix, F32Matrix } from "../../tensor/weights.js";

/** An f32 weight, or a float64 one of the same layout (gradient checks run the reference kernels in float64). */
type DenseMatrix = Pick<F32Matrix, "rows" | "cols"> & { readonly data: FloatArray };

export function matmulF32(out: FloatArray, x: FloatArray, w: DenseMatrix, bias: FloatArray | null, m: number): void {
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

/** Sums of one output row, in float64; grown on demand, reused across calls. */
let rowSums = new Float64Array(0);

/**
 * out[m, n] = x[m, k] · W[:, first .. first+n) + bias for a Conv1D weight W [k, stride]
 * (GPT-2). Each weight row is read contiguously and added, scaled by x[i, t], into
 * the float64 sums of the output row.
 */
export function matmulF32Columns(
  out: FloatArray,
  x: FloatArray,
  w: Pick<F32ColumnsMatrix, "rows" | "cols" | "stride" | "firstColumn"> & { readonly data: FloatArray },
  bias: FloatArray | null,
  m: number,
): void {
  const { rows: n, cols: k, stride, firstColumn, data } = w;
  if (rowSums.length < n) rowSums = new Float64Array(n);
  const sums = rowSums;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) sums[j] = bias === null ? 0 : bias[j]!;
    for (let t = 0; t < k; t++) {
      const xv = x[i * k + t]!;
      const base = t * stride + firstColumn;
      for (let j = 0; j < n; j++) sums[j] = sums[j]! + xv * data[base + j]!;
    }
    for (let j = 0; j < n; j++) out[i * n + j] = sums[j]!;
  }
}
