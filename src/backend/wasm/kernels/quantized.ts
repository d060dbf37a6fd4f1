// AssemblyScript. Block-quantized matrix products (llama.cpp ggml_vec_dot_q8_0_q8_0
// and ggml_vec_dot_q4_0_q8_0): each x row is first quantized per block of 32 to
// int8 exactly as src/backend/js/matmul-quantized.ts does (ggml quantize_row_q8_0_ref
// with an f32 scale: d = max|x| / 127, q = roundf(x · (1/d)), all zero when d = 0;
// kept widened to i16 so the weights' i8 → i16 widening meets it in
// i32x4.dot_i16x8_s), then every block contributes (Σ qx·qw) · scaleX · scaleW.
// The integer sum of a block is exact; the products of scales accumulate in f32.
// Weights: Q8_0 quants [n, k] int8 + scales [n, k/32] f32; Q4_0 quants [n, k/2]
// (byte j of a block = weight j in the low nibble | weight j+16 in the high),
// value = nibble − 8. k is a multiple of 32.

/** xq[m, k] (i16) and xs[m, k/32] (f32) = the Q8 quantization of x[m, k]. */
export function quantizeRowsQ8(xq: usize, xs: usize, x: usize, m: i32, k: i32): void {
  const blocks = (m * k) >> 5;
  const half = f32x4.splat(0.5);
  const one = f32x4.splat(1);
  const signBit = i32x4.splat(0x80000000);
  for (let b = 0; b < blocks; b++) {
    const src = x + (<usize>b << 7);
    const dst = xq + (<usize>b << 6);
    let amax = f32x4.splat(0);
    for (let t: usize = 0; t < 128; t += 16) amax = f32x4.max(amax, f32x4.abs(v128.load(src + t)));
    const a = max(max(f32x4.extract_lane(amax, 0), f32x4.extract_lane(amax, 1)), max(f32x4.extract_lane(amax, 2), f32x4.extract_lane(amax, 3)));
    const scale: f32 = a / 127;
    store<f32>(xs + (<usize>b << 2), scale);
    if (scale == 0) {
      for (let t: usize = 0; t < 64; t += 16) v128.store(dst + t, i16x8.splat(0));
      continue;
    }
    const inverse = f32x4.splat(<f32>1 / scale);
    for (let t: usize = 0; t < 128; t += 32) {
      const q0 = i32x4.trunc_sat_f32x4_s(roundHalfAway(f32x4.mul(v128.load(src + t), inverse), half, one, signBit));
      const q1 = i32x4.trunc_sat_f32x4_s(roundHalfAway(f32x4.mul(v128.load(src + t, 16), inverse), half, one, signBit));
      v128.store(dst + (t >> 1), i16x8.narrow_i32x4_s(q0, q1));
    }
  }
}

/** C roundf: to nearest, halves away from zero (the fraction v − trunc(v) is exact in f32). */
@inline function roundHalfAway(v: v128, half: v128, one: v128, signBit: v128): v128 {
  const whole = f32x4.trunc(v);
  const up = f32x4.ge(f32x4.abs(f32x4.sub(v, whole)), half);
  const signedOne = v128.or(v128.and(v, signBit), one);
  return f32x4.add(whole, v128.and(up, signedOne));
}

@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

@inline function biasAt(bias: usize, j: i32): f32 {
  return bias == 0 ? <f32>0 : load<f32>(bias + (<usize>j << 2));
}

/** Σ over one block of the i16 x (4 vectors) with 32 int8 weights (2 vectors). */
@inline function dotQ8(x0: v128, x1: v128, x2: v128, x3: v128, wa: v128, wb: v128): v128 {
  const p = i32x4.add(
    i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(wa), x0),
    i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(wa), x1),
  );
  return i32x4.add(
    p,
    i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(wb), x2), i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(wb), x3)),
  );
}

/** Σ over one block with 16 bytes of Q4_0 nibbles. */
@inline function dotQ4(x0: v128, x1: v128, x2: v128, x3: v128, packed: v128): v128 {
  const eight = i8x16.splat(8);
  const lo = i8x16.sub(v128.and(packed, i8x16.splat(15)), eight); // weights 0..15
  const hi = i8x16.sub(i8x16.shr_u(packed, 4), eight); // weights 16..31
  return dotQ8(x0, x1, x2, x3, lo, hi);
}

/**
 * out[m, j0..j1) for Q8_0 (kind 8) or Q4_0 (kind 4) weights. xq/xs are the
 * quantized x rows (quantizeRowsQ8). One weight row at a time (a single stream
 * reads memory fastest, as in matmul.ts). Four blocks per step: their integer
 * sums (exact in f32, |Σ| ≤ 32·127·128) are gathered into one vector, converted
 * once and multiplied by the four products of scales at once.
 */
export function matmulQuant(
  kind: i32, out: usize, xq: usize, xs: usize, wq: usize, ws: usize, bias: usize,
  m: i32, n: i32, k: i32, j0: i32, j1: i32,
): void {
  // Two copies of the loop, each with the format fixed, so neither branches on it.
  if (kind == 8) matmulQuantOf(true, out, xq, xs, wq, ws, bias, m, n, k, j0, j1);
  else matmulQuantOf(false, out, xq, xs, wq, ws, bias, m, n, k, j0, j1);
}

/** The four lanes of one block's partial sums, for block b of an x row and a weight row. */
@inline function blockDot(isQ8: bool, x: usize, w: usize, b: i32): v128 {
  const xb = x + (<usize>b << 6);
  if (isQ8) {
    const wb = w + (<usize>b << 5);
    return dotQ8(v128.load(xb), v128.load(xb, 16), v128.load(xb, 32), v128.load(xb, 48), v128.load(wb), v128.load(wb, 16));
  }
  return dotQ4(v128.load(xb), v128.load(xb, 16), v128.load(xb, 32), v128.load(xb, 48), v128.load(w + (<usize>b << 4)));
}

/** [Σ p0, Σ p1, Σ p2, Σ p3]: the lane sums of four vectors, in one. */
@inline function laneSums(p0: v128, p1: v128, p2: v128, p3: v128): v128 {
  const s01 = i32x4.add(v128.shuffle<i32>(p0, p1, 0, 4, 1, 5), v128.shuffle<i32>(p0, p1, 2, 6, 3, 7));
  const s23 = i32x4.add(v128.shuffle<i32>(p2, p3, 0, 4, 1, 5), v128.shuffle<i32>(p2, p3, 2, 6, 3, 7));
  return i32x4.add(v128.shuffle<i32>(s01, s23, 0, 1, 4, 5), v128.shuffle<i32>(s01, s23, 2, 3, 6, 7));
}

@inline function matmulQuantOf(
  isQ8: bool, out: usize, xq: usize, xs: usize, wq: usize, ws: usize, bias: usize,
  m: i32, n: i32, k: i32, j0: i32, j1: i32,
): void {
  const blocks = k >> 5;
  const blocks4 = blocks & ~3;
  const wRowBytes = <usize>blocks * (isQ8 ? 32 : 16);
  const sRowBytes = <usize>blocks << 2;
  // Weight rows outer, x rows inner: a weight row is read from memory once and
  // stays in L1 for every x row (prompt processing), while the i16 x rows stream from L2.
  for (let j = j0; j < j1; j++) {
    const q0 = wq + <usize>j * wRowBytes;
    const s0 = ws + <usize>j * sRowBytes;
    for (let i = 0; i < m; i++) {
      const xqi = xq + <usize>i * (<usize>k << 1);
      const xsi = xs + <usize>i * sRowBytes;
      let acc = f32x4.splat(0);
      for (let b = 0; b < blocks4; b += 4) {
        const sums = laneSums(blockDot(isQ8, xqi, q0, b), blockDot(isQ8, xqi, q0, b + 1), blockDot(isQ8, xqi, q0, b + 2), blockDot(isQ8, xqi, q0, b + 3));
        const scales = f32x4.mul(v128.load(xsi + (<usize>b << 2)), v128.load(s0 + (<usize>b << 2)));
        acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(sums), scales));
      }
      let total = hsum(acc);
      for (let b = blocks4; b < blocks; b++) {
        const p = blockDot(isQ8, xqi, q0, b);
        const sum = i32x4.extract_lane(p, 0) + i32x4.extract_lane(p, 1) + i32x4.extract_lane(p, 2) + i32x4.extract_lane(p, 3);
        total += <f32>sum * (load<f32>(xsi + (<usize>b << 2)) * load<f32>(s0 + (<usize>b << 2)));
      }
      store<f32>(out + <usize>i * (<usize>n << 2) + (<usize>j << 2), total + biasAt(bias, j));
    }
  }
}
