// AssemblyScript. Helpers of the quantized panel kernels (quant32.ts, kquants.ts): a
// panel is 4 weight rows whose blocks are interleaved (src/backend/wasm/quant-panels.ts
// describes every tile), so 4 outputs are computed together and stored as one vector.

/** [Σ lanes of a, Σ b, Σ c, Σ d]: the four rows' integer sums as one vector (6 shuffles, 3 adds). */
@inline export function transposeSum(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = i32x4.add(i32x4.shuffle(a, b, 0, 4, 1, 5), i32x4.shuffle(a, b, 2, 6, 3, 7));
  const cd = i32x4.add(i32x4.shuffle(c, d, 0, 4, 1, 5), i32x4.shuffle(c, d, 2, 6, 3, 7));
  return i32x4.add(i32x4.shuffle(ab, cd, 0, 1, 4, 5), i32x4.shuffle(ab, cd, 2, 3, 6, 7));
}

/** out[i, j .. j+4) = the 4 lanes of v (+ bias[j ..]), only the columns below n. */
@inline export function storePanel(out: usize, bias: usize, n: i32, i: i32, j: i32, v: v128): void {
  const at = out + ((<usize>i * <usize>n + <usize>j) << 2);
  let sum = v;
  if (n - j >= 4) {
    if (bias != 0) sum = f32x4.add(sum, v128.load(bias + (<usize>j << 2)));
    v128.store(at, sum);
    return;
  }
  const b = bias + (<usize>j << 2);
  store<f32>(at, f32x4.extract_lane(sum, 0) + (bias != 0 ? load<f32>(b) : 0));
  if (n - j > 1) store<f32>(at + 4, f32x4.extract_lane(sum, 1) + (bias != 0 ? load<f32>(b + 4) : 0));
  if (n - j > 2) store<f32>(at + 8, f32x4.extract_lane(sum, 2) + (bias != 0 ? load<f32>(b + 8) : 0));
}

/**
 * v, after storing it at `sink`. TurboFan issues a basic block's loads in program order
 * but places arithmetic as late as it can, so a loop body with many independent loads
 * loads everything first and spills; a store of an intermediate result orders the
 * loads that follow it after that result.
 */
@inline export function sunk(sink: usize, v: v128): v128 {
  v128.store(sink, v);
  return v;
}

// ---- Prompt processing (m ≥ 4): widened weights interleaved by pairs ------------------------
//
// The weights a panel's block holds for its 4 rows are widened once into scratch, to i16
// levels (times their sub-block scales for the K-quants), and interleaved by pairs of
// columns: one vector per pair p is [r0 w2p, r0 w2p+1, r1 w2p, r1 w2p+1, …, r3 w2p+1]. An
// activation row's pair (two i16 levels, one i32) splat to all lanes meets it in one
// i32x4.dot_i16x8_s whose lanes are the 4 weight rows: the rows' sums come out as one
// vector, with no transposition, and 4 activation rows share each weight vector.

/**
 * Scratch bytes a quantized product needs per thread: for m ≥ 4 the regions below and m
 * float accumulators, else the 64 bytes the matrix–vector kernels store to (sunk).
 */
export function quantScratchBytes(m: i32): i32 {
  return m >= 4 ? PREFILL_ACCUMULATORS + 16 * m : 64;
}

/** Scratch regions of a prompt-sized product: the interleaved weights, the rows before interleaving, 4 rows' sums and a sink after them. */
export const PREFILL_WIDENED = 0;
export const PREFILL_ROWS = 2048;
export const PREFILL_SUMS = 4096;
export const PREFILL_ACCUMULATORS = 4224;

/**
 * Interleaves 4 rows of 2·pairs widened weights (row r at src + r·rowStride, i16) into
 * pairs vectors at dst (pairs a multiple of 4): a 4 × 4 transposition of i32 lanes per
 * 8 columns.
 */
@inline export function interleavePairs(src: usize, rowStride: usize, dst: usize, pairs: usize): void {
  for (let c: usize = 0; c < pairs << 2; c += 16) {
    const r0 = v128.load(src + c), r1 = v128.load(src + rowStride + c);
    const r2 = v128.load(src + 2 * rowStride + c), r3 = v128.load(src + 3 * rowStride + c);
    const lo01 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), hi01 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
    const lo23 = i32x4.shuffle(r2, r3, 0, 4, 1, 5), hi23 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
    const at = dst + (c << 2);
    v128.store(at, i32x4.shuffle(lo01, lo23, 0, 1, 4, 5));
    v128.store(at, i32x4.shuffle(lo01, lo23, 2, 3, 6, 7), 16);
    v128.store(at, i32x4.shuffle(hi01, hi23, 0, 1, 4, 5), 32);
    v128.store(at, i32x4.shuffle(hi01, hi23, 2, 3, 6, 7), 48);
  }
}

/**
 * The integer sums of 4 activation rows (at x, x + stride, …; i16 levels) with `pairs`
 * interleaved weight pairs at e (a multiple of 4), stored at `sums` as 4 vectors whose
 * lanes are the panel's 4 weight rows (and a 16-byte sink after them: see sunk).
 */
@inline export function pairDots4(e: usize, pairs: usize, x: usize, stride: usize, sums: usize): void {
  const sink = sums + 64;
  let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
  let x0 = x, x1 = x + stride, x2 = x1 + stride, x3 = x2 + stride;
  const end = e + (pairs << 4);
  for (let p = e; p < end; p += 64) {
    const w0 = v128.load(p), w1 = v128.load(p, 16), w2 = v128.load(p, 32), w3 = v128.load(p, 48);
    a0 = sunk(sink, i32x4.add(a0, i32x4.add(i32x4.add(i32x4.dot_i16x8_s(w0, v128.load32_splat(x0)), i32x4.dot_i16x8_s(w1, v128.load32_splat(x0, 4))), i32x4.add(i32x4.dot_i16x8_s(w2, v128.load32_splat(x0, 8)), i32x4.dot_i16x8_s(w3, v128.load32_splat(x0, 12))))));
    a1 = sunk(sink, i32x4.add(a1, i32x4.add(i32x4.add(i32x4.dot_i16x8_s(w0, v128.load32_splat(x1)), i32x4.dot_i16x8_s(w1, v128.load32_splat(x1, 4))), i32x4.add(i32x4.dot_i16x8_s(w2, v128.load32_splat(x1, 8)), i32x4.dot_i16x8_s(w3, v128.load32_splat(x1, 12))))));
    a2 = sunk(sink, i32x4.add(a2, i32x4.add(i32x4.add(i32x4.dot_i16x8_s(w0, v128.load32_splat(x2)), i32x4.dot_i16x8_s(w1, v128.load32_splat(x2, 4))), i32x4.add(i32x4.dot_i16x8_s(w2, v128.load32_splat(x2, 8)), i32x4.dot_i16x8_s(w3, v128.load32_splat(x2, 12))))));
    a3 = i32x4.add(a3, i32x4.add(i32x4.add(i32x4.dot_i16x8_s(w0, v128.load32_splat(x3)), i32x4.dot_i16x8_s(w1, v128.load32_splat(x3, 4))), i32x4.add(i32x4.dot_i16x8_s(w2, v128.load32_splat(x3, 8)), i32x4.dot_i16x8_s(w3, v128.load32_splat(x3, 12)))));
    x0 += 16;
    x1 += 16;
    x2 += 16;
    x3 += 16;
  }
  v128.store(sums, a0);
  v128.store(sums, a1, 16);
  v128.store(sums, a2, 32);
  v128.store(sums, a3, 48);
}

/** As pairDots4 for one activation row at x: the vector of the 4 weight rows' sums. */
@inline export function pairDots1(e: usize, pairs: usize, x: usize): v128 {
  let a = i32x4.splat(0);
  const end = e + (pairs << 4);
  for (let p = e; p < end; p += 64) {
    a = i32x4.add(a, i32x4.add(
      i32x4.add(i32x4.dot_i16x8_s(v128.load(p), v128.load32_splat(x)), i32x4.dot_i16x8_s(v128.load(p, 16), v128.load32_splat(x, 4))),
      i32x4.add(i32x4.dot_i16x8_s(v128.load(p, 32), v128.load32_splat(x, 8)), i32x4.dot_i16x8_s(v128.load(p, 48), v128.load32_splat(x, 12))),
    ));
    x += 16;
  }
  return a;
}
