// Reference backward of the row softmax from its output (PyTorch
// _softmax_backward_data): dx = y ⊙ (dOut − Σ_row y·dOut).

import type { FloatArray } from "../../../tensor/tensor.js";

export function softmaxBackward(dx: FloatArray, dOut: FloatArray, y: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let dot = 0;
    for (let i = 0; i < cols; i++) dot += y[base + i]! * dOut[base + i]!;
    for (let i = 0; i < cols; i++) dx[base + i] += y[base + i]! * (dOut[base + i]! - dot);
  }
}
