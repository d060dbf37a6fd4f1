// Weight matrices as storage types. A Linear layer's weight is a matrix in
// nn.Linear layout [out, in]; each storage type has its own kernels in the
// backend, so model code never branches on how weights are stored.
// Today: float32 (F16/BF16 files are widened on load). Quantized block types
// (Q8_0, Q4_0) are added here as further members of WeightMatrix.

/** Dense float32 weight, row-major [rows = out features, cols = in features]. */
export interface F32Matrix {
  readonly type: "f32";
  readonly data: Float32Array;
  readonly rows: number;
  readonly cols: number;
}

export type WeightMatrix = F32Matrix;

export function f32Matrix(data: Float32Array, rows: number, cols: number): F32Matrix {
  if (data.length !== rows * cols) {
    throw new RangeError(`weight has ${data.length} elements, expected ${rows}×${cols}`);
  }
  return { type: "f32", data, rows, cols };
}
