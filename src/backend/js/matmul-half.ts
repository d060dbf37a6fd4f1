// Reference matrix product with half-precision weights (f16 / bf16 bit patterns):
// out[m, n] = x[m, k] · w[n, k]ᵀ + bias, each weight widened exactly to f32 (f16 by
// table, bf16 by a shift), one weight row at a time into a small buffer, then the
// same float64 dot products as matmul.ts.

import type { FloatArray } from "../../tensor/tensor.js";
import { f16Table } from "../../tensor/dtype.js";
import type { HalfMatrix } from "../../tensor/weights.js";

export function matmulHalf(out: FloatArray, x: FloatArray, w: HalfMatrix, bias: FloatArray | null, m: number): void {
  const { rows: n, cols: k, data } = w;
  const row = new Float32Array(k);
  const rowBits = new Uint32Array(row.buffer);
  const table = w.type === "f16" ? f16Table() : null;
  for (let j = 0; j < n; j++) {
    const at = j * k;
    if (table !== null) for (let t = 0; t < k; t++) row[t] = table[data[at + t]!]!;
    else for (let t = 0; t < k; t++) rowBits[t] = data[at + t]! << 16;
    const b = bias === null ? 0 : bias[j]!;
    for (let i = 0; i < m; i++) {
      const xi = i * k;
      let s = 0;
      for (let t = 0; t < k; t++) s += x[xi + t]! * row[t]!;
      out[i * n + j] = s + b;
    }
  }
}
