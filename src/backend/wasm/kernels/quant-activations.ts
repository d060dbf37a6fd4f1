// AssemblyScript. Activations quantized on the fly for the integer matmuls, as ggml's
// CPU matmul does (and src/backend/js/activation-quant.ts, the reference, with the same
// integers): each row of x [m, k] becomes int8 levels, kept widened to i16 in xq [m, k]
// so that they meet the weights in i32x4.dot_i16x8_s, and per block:
//   format 0 (Q8_0, 32 values): xd = d rounded to f16 (d = max|x|/127, q = roundf(x/d)),
//            xs = xd·Σq (f32)
//   format 1 (Q8_1, 32 values): xd as Q8_0, xs = d·Σq rounded to f16 (d unrounded)
//   format 2 (Q8_K, 256 values): xd = 1/iscale with iscale = −127/max (max = the value of
//            largest magnitude), q = min(127, nearest(iscale·x)) (ties to even);
//            xs = 48 bytes per block: Σq per 16 (i16[16]) then per 32 (i16[8]); the
//            relaxed-SIMD build also writes the levels twice as int8 after xq's m·k
//            i16 for the matrix–vector kernels (m < 4; storeInt8Copies)
// xd is f32 per block; blocks run over the rows one after the other.

/** The f16 value nearest to v (ties to even), as f32: ggml stores Q8_0/Q8_1 scales and sums as f16. */
export function roundToF16(v: f32): f32 {
  const magnitude = abs(v);
  let rounded: f32;
  if (magnitude < 6.103515625e-5) {
    rounded = nearest(magnitude * 16777216) * 5.9604644775390625e-8; // subnormal f16: multiples of 2^−24
  } else {
    const bits = reinterpret<u32>(magnitude);
    rounded = reinterpret<f32>((bits + 0xfff + ((bits >> 13) & 1)) & 0xffffe000);
    if (rounded > 65504) rounded = Infinity;
  }
  return copysign(rounded, v);
}

/** C roundf: to nearest, halves away from zero (the fraction v − trunc(v) is exact in f32). */
@inline function roundHalfAway(v: v128, half: v128, one: v128, signBit: v128): v128 {
  const whole = f32x4.trunc(v);
  const up = f32x4.ge(f32x4.abs(f32x4.sub(v, whole)), half);
  const signedOne = v128.or(v128.and(v, signBit), one);
  return f32x4.add(whole, v128.and(up, signedOne));
}

@inline function hsumI32(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

export function quantizeActivations(format: i32, xq: usize, xd: usize, xs: usize, x: usize, m: i32, k: i32): void {
  // The int8 copies are read only by the relaxed matrix–vector kernels (m < 4).
  if (format == 2) quantizeQ8K(xq, xd, xs, x, (m * k) >> 8, ASC_FEATURE_RELAXED_SIMD && m < 4);
  else quantizeQ8(format == 1, xq, xd, xs, x, (m * k) >> 5);
}

function quantizeQ8(ggmlSum: bool, xq: usize, xd: usize, xs: usize, x: usize, blocks: i32): void {
  const half = f32x4.splat(0.5);
  const one = f32x4.splat(1);
  const signBit = i32x4.splat(0x80000000);
  for (let b = 0; b < blocks; b++) {
    const src = x + (<usize>b << 7);
    const dst = xq + (<usize>b << 6);
    let amax = f32x4.splat(0);
    for (let t: usize = 0; t < 128; t += 16) amax = f32x4.max(amax, f32x4.abs(v128.load(src + t)));
    const a = max(max(f32x4.extract_lane(amax, 0), f32x4.extract_lane(amax, 1)), max(f32x4.extract_lane(amax, 2), f32x4.extract_lane(amax, 3)));
    const d: f32 = a / 127;
    const dRounded = roundToF16(d);
    store<f32>(xd + (<usize>b << 2), dRounded);
    if (d == 0) {
      for (let t: usize = 0; t < 64; t += 16) v128.store(dst + t, i16x8.splat(0));
      store<f32>(xs + (<usize>b << 2), 0);
      continue;
    }
    const inverse = f32x4.splat(<f32>1 / d);
    let sum = i32x4.splat(0);
    for (let t: usize = 0; t < 128; t += 32) {
      const q0 = i32x4.trunc_sat_f32x4_s(roundHalfAway(f32x4.mul(v128.load(src + t), inverse), half, one, signBit));
      const q1 = i32x4.trunc_sat_f32x4_s(roundHalfAway(f32x4.mul(v128.load(src + t, 16), inverse), half, one, signBit));
      sum = i32x4.add(sum, i32x4.add(q0, q1));
      v128.store(dst + (t >> 1), i16x8.narrow_i32x4_s(q0, q1));
    }
    const total = <f32>hsumI32(sum);
    store<f32>(xs + (<usize>b << 2), ggmlSum ? roundToF16(d * total) : dRounded * total);
  }
}

function quantizeQ8K(xq: usize, xd: usize, xs: usize, x: usize, blocks: i32, copies: bool): void {
  const limit = i32x4.splat(127);
  for (let b = 0; b < blocks; b++) {
    const src = x + (<usize>b << 10);
    const dst = xq + (<usize>b << 9);
    const sums = xs + <usize>b * 48;
    let hi = f32x4.splat(0), lo = f32x4.splat(0);
    for (let t: usize = 0; t < 1024; t += 16) {
      const v = v128.load(src + t);
      hi = f32x4.max(hi, v);
      lo = f32x4.min(lo, v);
    }
    const top = max(max(f32x4.extract_lane(hi, 0), f32x4.extract_lane(hi, 1)), max(f32x4.extract_lane(hi, 2), f32x4.extract_lane(hi, 3)));
    const bottom = min(min(f32x4.extract_lane(lo, 0), f32x4.extract_lane(lo, 1)), min(f32x4.extract_lane(lo, 2), f32x4.extract_lane(lo, 3)));
    // The value of largest magnitude (its sign only flips the signs of d and q together).
    const maxValue: f32 = -bottom > top ? bottom : top;
    if (maxValue == 0) {
      for (let t: usize = 0; t < 512; t += 16) v128.store(dst + t, i16x8.splat(0));
      for (let t: usize = 0; t < 48; t += 16) v128.store(sums + t, i16x8.splat(0));
      store<f32>(xd + (<usize>b << 2), 0);
      if (copies) storeInt8Copies(dst, xq + (<usize>blocks << 9) + (<usize>b << 8), xq + <usize>blocks * 768 + (<usize>b << 8));
      continue;
    }
    const iscale: f32 = -127 / maxValue;
    const scale = f32x4.splat(iscale);
    for (let g: usize = 0; g < 16; g++) {
      // 16 values: four vectors of f32 → two of i16.
      const s = src + (g << 6);
      const q0 = i32x4.min_s(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(s), scale))), limit);
      const q1 = i32x4.min_s(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(s, 16), scale))), limit);
      const q2 = i32x4.min_s(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(s, 32), scale))), limit);
      const q3 = i32x4.min_s(i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(s, 48), scale))), limit);
      v128.store(dst + (g << 5), i16x8.narrow_i32x4_s(q0, q1));
      v128.store(dst + (g << 5), i16x8.narrow_i32x4_s(q2, q3), 16);
      store<i16>(sums + (g << 1), <i16>hsumI32(i32x4.add(i32x4.add(q0, q1), i32x4.add(q2, q3))));
    }
    for (let j: usize = 0; j < 8; j++) store<i16>(sums + 32 + (j << 1), load<i16>(sums + (j << 2)) + load<i16>(sums + (j << 2) + 2));
    store<f32>(xd + (<usize>b << 2), <f32>1 / iscale);
    if (copies) storeInt8Copies(dst, xq + (<usize>blocks << 9) + (<usize>b << 8), xq + <usize>blocks * 768 + (<usize>b << 8));
  }
}

/**
 * The relaxed-SIMD build only: a Q8_K block's levels (256 i16 at src) again as int8, at
 * nibbles with each group of 32 in the order of Q4_K's nibbles (kquants.ts): 16 bytes
 * [x0, x16, x1, x17, …, x7, x23], then [x8, x24, …, x15, x31]; and at ordered in order.
 */
@inline function storeInt8Copies(src: usize, nibbles: usize, ordered: usize): void {
  for (let g: usize = 0; g < 8; g++) {
    const l = src + (g << 6);
    v128.store(ordered + (g << 5), i8x16.narrow_i16x8_s(v128.load(l), v128.load(l, 16)));
    v128.store(ordered + (g << 5), i8x16.narrow_i16x8_s(v128.load(l, 32), v128.load(l, 48)), 16);
    const first = i8x16.narrow_i16x8_s(v128.load(l), v128.load(l, 32)); // x0..x7, x16..x23
    const second = i8x16.narrow_i16x8_s(v128.load(l, 16), v128.load(l, 48)); // x8..x15, x24..x31
    v128.store(nibbles + (g << 5), i8x16.shuffle(first, first, 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15));
    v128.store(nibbles + (g << 5), i8x16.shuffle(second, second, 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15), 16);
  }
}
