// AssemblyScript. Matrix products with half-precision weights (GGUF F16 / BF16
// tensors kept as 16-bit patterns, half the bytes of f32): out[m, n] = x[m, k] · wᵀ
// (+ bias), each weight widened exactly to f32 as it is read, as the reference
// src/backend/js/matmul-half.ts does. bf16 → f32 is a 16-bit shift; f16 → f32 moves
// exponent and fraction into place and rescales by 2^112 (which also handles
// subnormals), with infinities and NaNs given the all-ones exponent.
//  - m = 1 (decode): one weight row at a time, widened in registers.
//  - m > 1 (prefill): each weight row is widened once into scratch (k floats), then
//    dotted with every x row from L1.
// kind: 17 bf16, 16 f16, 18 f16 without infinities or NaNs (the backend checks when
// it places the matrix). [j0, j1) are the weight rows this thread computes. The f16 constants are made
// once per call and passed down: V8 rebuilds a splat inside a loop on every step.

import { hsum, biasAt } from "./lanes";

/**
 * Four 16-bit patterns (zero-extended in i32 lanes) as f32 lanes. Format 17 is bf16;
 * 16 is f16; 18 is f16 known to hold no infinity or NaN (checked when the matrix is
 * placed), which skips the compare and select.
 */
@inline function widen(lanes: v128, format: i32, signBit: v128, magnitudeBits: v128, scale: v128, specialFrom: v128, allOnes: v128): v128 {
  if (format == 17) return i32x4.shl(lanes, 16);
  const sign = i32x4.shl(v128.and(lanes, signBit), 16);
  const magnitude = v128.and(lanes, magnitudeBits);
  const moved = i32x4.shl(magnitude, 13);
  const finite = f32x4.mul(moved, scale);
  if (format == 18) return v128.or(finite, sign);
  const special = i32x4.ge_u(magnitude, specialFrom);
  return v128.or(v128.bitselect(v128.or(moved, allOnes), finite, special), sign);
}

export function matmulHalf(
  kind: i32, out: usize, x: usize, w: usize, bias: usize, m: i32, n: i32, k: i32, j0: i32, j1: i32, scratch: usize,
): void {
  if (kind == 16) matmulF16(out, x, w, bias, m, n, k, j0, j1, scratch);
  else if (kind == 18) matmulF16Finite(out, x, w, bias, m, n, k, j0, j1, scratch);
  else matmulBf16(out, x, w, bias, m, n, k, j0, j1, scratch);
}

// One function per format, each with its own copy of the loops and the format fixed at
// compile time (copies inlined side by side into one function would share their locals,
// and the optimizer's code folding would merge them back into one loop that tests the
// format at run time).
function matmulF16(out: usize, x: usize, w: usize, bias: usize, m: i32, n: i32, k: i32, j0: i32, j1: i32, scratch: usize): void { matmulHalfOf(16, out, x, w, bias, m, n, k, j0, j1, scratch); }
function matmulF16Finite(out: usize, x: usize, w: usize, bias: usize, m: i32, n: i32, k: i32, j0: i32, j1: i32, scratch: usize): void { matmulHalfOf(18, out, x, w, bias, m, n, k, j0, j1, scratch); }
function matmulBf16(out: usize, x: usize, w: usize, bias: usize, m: i32, n: i32, k: i32, j0: i32, j1: i32, scratch: usize): void { matmulHalfOf(17, out, x, w, bias, m, n, k, j0, j1, scratch); }

@inline function matmulHalfOf(
  format: i32, out: usize, x: usize, w: usize, bias: usize, m: i32, n: i32, k: i32, j0: i32, j1: i32, scratch: usize,
): void {
  const signBit = i32x4.splat(0x8000);
  const magnitudeBits = i32x4.splat(0x7fff);
  const scale = f32x4.splat(5.192296858534828e33); // 2^112
  const specialFrom = i32x4.splat(0x7c00);
  const allOnes = i32x4.splat(0x7f800000);
  const rowBytes = <usize>k << 1;
  const k8 = <usize>(k & ~7);
  for (let j = j0; j < j1; j++) {
    const row = w + <usize>j * rowBytes;
    if (m == 1) {
      // Eight weights per step: one 16-byte load, widened to two vectors.
      let a = f32x4.splat(0), b = f32x4.splat(0);
      let xt = x;
      for (let wt = row, end = row + (k8 << 1); wt < end; wt += 16) {
        const v = v128.load(wt);
        a = f32x4.add(a, f32x4.mul(widen(i32x4.extend_low_i16x8_u(v), format, signBit, magnitudeBits, scale, specialFrom, allOnes), v128.load(xt)));
        b = f32x4.add(b, f32x4.mul(widen(i32x4.extend_high_i16x8_u(v), format, signBit, magnitudeBits, scale, specialFrom, allOnes), v128.load(xt, 16)));
        xt += 32;
      }
      let s = hsum(f32x4.add(a, b));
      for (let t = k8; t < <usize>k; t++) {
        const one = widen(i32x4.splat(<i32>load<u16>(row + (t << 1))), format, signBit, magnitudeBits, scale, specialFrom, allOnes);
        s += f32x4.extract_lane(one, 0) * load<f32>(x + (t << 2));
      }
      store<f32>(out + (<usize>j << 2), s + biasAt(bias, j));
      continue;
    }
    // Widen the row once, then every x row against it (from L1).
    let t: usize = 0;
    for (; t < k8; t += 8) {
      const v = v128.load(row + (t << 1));
      v128.store(scratch + (t << 2), widen(i32x4.extend_low_i16x8_u(v), format, signBit, magnitudeBits, scale, specialFrom, allOnes));
      v128.store(scratch + (t << 2), widen(i32x4.extend_high_i16x8_u(v), format, signBit, magnitudeBits, scale, specialFrom, allOnes), 16);
    }
    for (; t < <usize>k; t++) {
      const one = widen(i32x4.splat(<i32>load<u16>(row + (t << 1))), format, signBit, magnitudeBits, scale, specialFrom, allOnes);
      store<f32>(scratch + (t << 2), f32x4.extract_lane(one, 0));
    }
    const b0 = biasAt(bias, j);
    for (let i = 0; i < m; i++) {
      const xi = x + <usize>i * (<usize>k << 2);
      let a = f32x4.splat(0), b = f32x4.splat(0);
      let u: usize = 0;
      for (; u < k8; u += 8) {
        a = f32x4.add(a, f32x4.mul(v128.load(scratch + (u << 2)), v128.load(xi + (u << 2))));
        b = f32x4.add(b, f32x4.mul(v128.load(scratch + (u << 2), 16), v128.load(xi + (u << 2), 16)));
      }
      let s = hsum(f32x4.add(a, b));
      for (; u < <usize>k; u++) s += load<f32>(scratch + (u << 2)) * load<f32>(xi + (u << 2));
      store<f32>(out + <usize>i * (<usize>n << 2) + (<usize>j << 2), s + b0);
    }
  }
}
