// Storage dtypes of weights in files, and their conversion to float32.
// IEEE 754 binary16 (f16) and bfloat16 (bf16) are widened exactly.

export type DType = "F32" | "F16" | "BF16";

export const BYTES_PER_ELEMENT: Record<DType, number> = { F32: 4, F16: 2, BF16: 2 };

/** Widen one IEEE binary16 value (given as its 16 bits) to a JS number. */
export function f16ToF32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction === 0 ? sign * Infinity : NaN;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** Decode `count` little-endian elements of `dtype` from `bytes` into a new Float32Array. */
export function decodeToF32(bytes: Uint8Array, dtype: DType, count: number): Float32Array {
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case "F32":
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    case "F16": {
      const table = f16Table();
      for (let i = 0; i < count; i++) out[i] = table[view.getUint16(i * 2, true)]!;
      return out;
    }
    case "BF16": {
      const widened = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) widened[i] = view.getUint16(i * 2, true) << 16;
      return out;
    }
  }
}

/** Widen one bfloat16 value (given as its 16 bits): the high half of an f32. */
export function bf16ToF32(bits: number): number {
  bf16Bits[0] = bits << 16;
  return bf16Scratch[0]!;
}
const bf16Scratch = new Float32Array(1);
const bf16Bits = new Uint32Array(bf16Scratch.buffer);

let f16Lookup: Float32Array | undefined;
/** All 65536 f16 values widened once; decoding a tensor is then a table lookup per element. */
export function f16Table(): Float32Array {
  if (f16Lookup === undefined) {
    f16Lookup = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) f16Lookup[i] = f16ToF32(i);
  }
  return f16Lookup;
}

const f32Scratch = new Float32Array(1);
const f32Bits = new Uint32Array(f32Scratch.buffer);

/**
 * Narrow a number to IEEE binary16 bits, rounding to nearest, ties to even (as ggml's
 * `GGML_FP32_TO_FP16` and numpy's `astype(float16)`): the value is first rounded to f32,
 * overflow gives ±Infinity, values below the smallest subnormal flush to ±0, NaN stays NaN.
 */
export function f32ToF16(value: number): number {
  f32Scratch[0] = value;
  const x = f32Bits[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa === 0 ? 0 : 0x200);
  const e = exponent - 127 + 15; // biased f16 exponent
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal f16 (or zero): shift the full 24-bit significand into place, round half to even.
    if (e < -10) return sign;
    const significand = mantissa | 0x800000;
    const shift = 14 - e; // 24-bit significand → 10-bit subnormal field
    let half = significand >>> shift;
    const remainder = significand & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    if (remainder > midpoint || (remainder === midpoint && (half & 1) === 1)) half++;
    return sign | half;
  }
  let bits = (e << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  if (remainder > 0x1000 || (remainder === 0x1000 && (bits & 1) === 1)) bits++; // may carry into the exponent (→ Infinity): correct
  return sign | bits;
}

/** The nearest f16 value to `value`, as a number (round-to-nearest-even). */
export function roundToF16(value: number): number {
  return f16ToF32(f32ToF16(value));
}
