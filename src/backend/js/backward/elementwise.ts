// Reference backward of the elementwise kernels and the embedding lookup: add
// passes its gradient to both inputs, mul multiplies it by the other factor, the
// gather of rows scatter-adds it back into the table (PyTorch embedding_backward).

import type { FloatArray } from "../../../tensor/tensor.js";

export function accumulate(dst: FloatArray, src: FloatArray, n: number, scale: number): void {
  if (scale === 1) for (let i = 0; i < n; i++) dst[i] += src[i]!;
  else for (let i = 0; i < n; i++) dst[i] += scale * src[i]!;
}

export function mulBackward(
  da: FloatArray | null,
  db: FloatArray | null,
  dOut: FloatArray,
  a: FloatArray,
  b: FloatArray,
  n: number,
): void {
  if (da !== null) for (let i = 0; i < n; i++) da[i] += dOut[i]! * b[i]!;
  if (db !== null) for (let i = 0; i < n; i++) db[i] += dOut[i]! * a[i]!;
}

export function embeddingBackward(
  dTable: FloatArray,
  dOut: FloatArray,
  ids: ArrayLike<number>,
  dim: number,
  skipId: number | null,
): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id === skipId) continue;
    const row = id * dim;
    const src = i * dim;
    for (let d = 0; d < dim; d++) dTable[row + d] += dOut[src + d]!;
  }
}
