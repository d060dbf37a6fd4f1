// A window of a buffer that keeps the buffer's type (subarray of a generic typed array).

import type { FloatArray } from "../tensor/tensor.js";

/** buffer[start .. start+length), sharing memory. */
export function view<A extends FloatArray>(buffer: A, start: number, length: number): A {
  return buffer.subarray(start, start + length) as A;
}
