// Reference elementwise kernels: residual add, gating product, scaling, embedding lookup.

import type { FloatArray } from "../../tensor/tensor.js";

export function add(out: FloatArray, a: FloatArray, b: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
}

export function mul(out: FloatArray, a: FloatArray, b: FloatArray, n: number): void {
  for (let i = 0; i < n; i++) out[i] = a[i]! * b[i]!;
}

/** x ← factor · x with the factor rounded to float32, as the activations are. */
export function scale(x: FloatArray, n: number, factor: number): void {
  const f = Math.fround(factor);
  for (let i = 0; i < n; i++) x[i] = x[i]! * f;
}

export function embedding(out: FloatArray, table: FloatArray, ids: ArrayLike<number>, dim: number): void {
  for (let i = 0; i < ids.length; i++) {
    const row = ids[i]! * dim;
    out.set(table.subarray(row, row + dim), i * dim);
  }
}
