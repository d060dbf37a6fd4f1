// Little-endian field writers for the quantizers' ggml blocks.

import { f32ToF16 } from "../dtype.js";

/** Stores `value` rounded to f16 (ggml GGML_FP32_TO_FP16: nearest, ties to even) at byte `at`. */
export function putF16(out: Uint8Array, at: number, value: number): void {
  const bits = f32ToF16(value);
  out[at] = bits & 0xff;
  out[at + 1] = bits >> 8;
}

export function putU32(out: Uint8Array, at: number, value: number): void {
  out[at] = value & 0xff;
  out[at + 1] = (value >>> 8) & 0xff;
  out[at + 2] = (value >>> 16) & 0xff;
  out[at + 3] = value >>> 24;
}
