// The backward of a product with a Conv1D column window (backward.ts
// `matmulColumnsBackward`) computed with a backend's forward matmul, so a fast
// backend's kernels do the arithmetic: both gradients are Linear-layout products
// of transposed or gathered copies, which cost O(n) against the O(n·k) products.
//   dWeight[:, window] += xᵀ · dOut       as  (xᵀ [in, rows]) · (dOutᵀ [count, rows])ᵀ
//   dx                 += dOut · W_winᵀ   as  (dOut [rows, count]) · (W_win [in, count])ᵀ

import type { Backend } from "./backend.js";
import type { BackwardKernels } from "./backward.js";
import { f32Matrix } from "../tensor/weights.js";

/** out [cols, rows] = transpose of a [rows, cols] matrix. */
function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}

export function columnsBackwardVia(backend: Backend): BackwardKernels["matmulColumnsBackward"] {
  return (dx, dWeight, dBias, dOut, x, weight, rows, inFeatures, stride, first, count) => {
    if (dWeight !== null) {
      const product = new Float32Array(inFeatures * count); // [in, count]
      backend.matmul(product, transpose(x, rows, inFeatures), f32Matrix(transpose(dOut, rows, count), count, rows), null, inFeatures);
      for (let t = 0; t < inFeatures; t++) {
        const base = t * stride + first;
        for (let j = 0; j < count; j++) dWeight[base + j] += product[t * count + j]!;
      }
    }
    if (dx !== null) {
      const window = new Float32Array(inFeatures * count); // [in, count] = W[:, first .. first+count)
      for (let t = 0; t < inFeatures; t++) window.set(weight.subarray(t * stride + first, t * stride + first + count), t * count);
      const product = new Float32Array(rows * inFeatures); // [rows, in]
      backend.matmul(product, dOut, f32Matrix(window, inFeatures, count), null, rows);
      for (let i = 0; i < product.length; i++) dx[i] += product[i]!;
    }
    if (dBias !== null) {
      for (let j = 0; j < count; j++) {
        let s = 0;
        for (let r = 0; r < rows; r++) s += dOut[r * count + j]!;
        dBias[first + j] += s;
      }
    }
  };
}
