// Reference row-wise softmax, max-subtracted so exp never overflows.

import type { FloatArray } from "../../tensor/tensor.js";

export function softmaxRows(x: FloatArray, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) softmaxSpan(x, r * cols, cols);
}

/** Softmax of x[start .. start+length) in place. */
export function softmaxSpan(x: FloatArray, start: number, length: number): void {
  const end = start + length;
  let max = -Infinity;
  for (let i = start; i < end; i++) if (x[i]! > max) max = x[i]!;
  let sum = 0;
  for (let i = start; i < end; i++) {
    const e = Math.exp(x[i]! - max);
    x[i] = e;
    sum += e;
  }
  const inverse = 1 / sum;
  for (let i = start; i < end; i++) x[i] = x[i]! * inverse;
}
