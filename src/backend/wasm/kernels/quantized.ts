// AssemblyScript. Block-quantized matrix products (llama.cpp ggml_vec_dot_q8_0_q8_0
// and ggml_vec_dot_q4_0_q8_0): each x row is first quantized per block of 32 to
// int8 exactly as src/backend/js/matmul-quantized.ts does (ggml quantize_row_q8_0_ref
// with an f32 scale: d = max|x| / 127, q = roundf(x · (1/d)), all zero when d = 0;
// kept widened to i16 so the weights' i8 → i16 widening meets it in
// i32x4.dot_i16x8_s), then every block contributes (Σ qx·qw) · scaleX · scaleW.
// The integer sum of a block is exact; the products of scales accumulate in f32.
// Weights as the WASM backend places them: each row is its blocks one after the
// other, each block its f32 scale followed by its quants — Q8_0: 32 int8 (36 bytes
// a block); Q4_0: 16 bytes, byte j = weight j in the low nibble | weight j+16 in the
// high, value = nibble − 8 (20 bytes a block). One stream per row (scales beside
// their quants) read 8–18% faster than quants and scales as two arrays. k is a
// multiple of 32.

import { hsum, biasAt } from "./lanes";

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

/** Σ over one block of the i16 x (4 vectors) with 32 weights widened to i16 (4 vectors). */
@inline function dot32(x0: v128, x1: v128, x2: v128, x3: v128, w0: v128, w1: v128, w2: v128, w3: v128): v128 {
  return i32x4.add(
    i32x4.add(i32x4.dot_i16x8_s(w0, x0), i32x4.dot_i16x8_s(w1, x1)),
    i32x4.add(i32x4.dot_i16x8_s(w2, x2), i32x4.dot_i16x8_s(w3, x3)),
  );
}

/** Σ over one block with 32 int8 weights at w, each group of 8 sign-extended as it is loaded. */
@inline function dotQ8(x0: v128, x1: v128, x2: v128, x3: v128, w: usize): v128 {
  return dot32(x0, x1, x2, x3, v128.load8x8_s(w), v128.load8x8_s(w, 8), v128.load8x8_s(w, 16), v128.load8x8_s(w, 24));
}

/**
 * Σ over one block with 16 bytes of Q4_0 nibbles at w: each half of the bytes is
 * zero-extended to i16 as it is loaded, its low nibbles are weights 0..7 (or 8..15)
 * and its high nibbles weights 16..23 (or 24..31), each minus 8.
 */
@inline function dotQ4(x0: v128, x1: v128, x2: v128, x3: v128, w: usize, fifteen: v128, eight: v128): v128 {
  const a = v128.load8x8_u(w);
  const b = v128.load8x8_u(w, 8);
  return dot32(
    x0, x1, x2, x3,
    i16x8.sub(v128.and(a, fifteen), eight), i16x8.sub(v128.and(b, fifteen), eight),
    i16x8.sub(i16x8.shr_u(a, 4), eight), i16x8.sub(i16x8.shr_u(b, 4), eight),
  );
}

/**
 * out[m, j0..j1) for Q8_0 (kind 8) or Q4_0 (kind 4) weights. xq/xs are the
 * quantized x rows (quantizeRowsQ8). One weight row at a time (a single stream
 * reads memory fastest, as in matmul.ts). Each block's four lanes of integer
 * sums (exact in f32, |lane| ≤ 8·127·128) are converted and multiplied by the
 * block's product of scales; the lanes are summed once per output.
 */
export function matmulQuant(
  kind: i32, out: usize, xq: usize, xs: usize, w: usize, bias: usize,
  m: i32, n: i32, k: i32, j0: i32, j1: i32,
): void {
  // Two copies of the loop, each with the format fixed, so neither branches on it.
  if (kind == 8) matmulQuantOf(true, out, xq, xs, w, bias, m, n, k, j0, j1);
  else matmulQuantOf(false, out, xq, xs, w, bias, m, n, k, j0, j1);
}

/** The four lanes of one block's partial sums: 32 i16 x values at x, the block's quants at q. */
@inline function blockDot(isQ8: bool, x: usize, q: usize, fifteen: v128, eight: v128): v128 {
  const x0 = v128.load(x), x1 = v128.load(x, 16), x2 = v128.load(x, 32), x3 = v128.load(x, 48);
  return isQ8 ? dotQ8(x0, x1, x2, x3, q) : dotQ4(x0, x1, x2, x3, q, fifteen, eight);
}

@inline function matmulQuantOf(
  isQ8: bool, out: usize, xq: usize, xs: usize, w: usize, bias: usize,
  m: i32, n: i32, k: i32, j0: i32, j1: i32,
): void {
  const blocks = k >> 5;
  const blockBytes: usize = isQ8 ? 36 : 20;
  const rowBytes = <usize>blocks * blockBytes;
  const fifteen = i16x8.splat(15), eight = i16x8.splat(8);
  // Weight rows outer, x rows inner: a weight row is read from memory once and
  // stays in L1 for every x row (prompt processing), while the i16 x rows stream from L2.
  for (let j = j0; j < j1; j++) {
    const row = w + <usize>j * rowBytes;
    for (let i = 0; i < m; i++) {
      const xqi = xq + <usize>i * (<usize>k << 1);
      // One block per iteration, pointers stepping through the blocks. Unrolled by
      // four blocks, V8 (TurboFan) issued all 32 loads of a step before the first
      // multiply and spilled registers to the stack; with indices instead of
      // pointers it recomputed the row addresses from the stack on every block.
      // This form measured 1.2–1.3× faster (bench/kernels.ts, 2026-11-22). Two
      // weight rows per step (sharing the x loads) measured 2× slower: two
      // interleaved streams, as in matmul.ts.
      let acc = f32x4.splat(0);
      let block = row, sx = xs + <usize>i * (<usize>blocks << 2);
      for (let x = xqi, end = xqi + (<usize>k << 1); x < end; x += 64) {
        const scale = load<f32>(sx) * load<f32>(block);
        acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(blockDot(isQ8, x, block + 4, fifteen, eight)), f32x4.splat(scale)));
        block += blockBytes;
        sx += 4;
      }
      store<f32>(out + <usize>i * (<usize>n << 2) + (<usize>j << 2), hsum(acc) + biasAt(bias, j));
    }
  }
}
