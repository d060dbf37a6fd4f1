// Reference elementwise kernels: residual add, gating product, embedding lookup.

export function add(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
}

export function mul(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) out[i] = a[i]! * b[i]!;
}

export function embedding(out: Float32Array, table: Float32Array, ids: ArrayLike<number>, dim: number): void {
  for (let i = 0; i < ids.length; i++) {
    const row = ids[i]! * dim;
    out.set(table.subarray(row, row + dim), i * dim);
  }
}
