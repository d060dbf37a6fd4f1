// AssemblyScript. Matrix products with weights in ggml's 32-weight block formats —
// Q8_0 (kind 1), Q4_0 (2), Q4_1 (3), Q5_0 (4), Q5_1 (5), IQ4_NL (6) — as panels of 4
// rows (src/backend/wasm/quant-panels.ts lays out each tile), against activations
// quantized as ggml does (quant-activations.ts: int8 levels widened to i16 in xq, per
// block the scale xd and the sum term xs). For each output, as the reference
// src/backend/js/matmul-quantized.ts / matmul-blocks.ts (ggml's vec_dot kernels):
//   Σ_blocks  (Σ w_q·x_q) · d_w · d_x   [+ m_w · s_x for Q4_1/Q5_1;  − 8·d_w · s_x for Q4_0,
//                                          whose levels are stored 0..15]
// The integer sums are exact; the float terms are summed in another order than the
// reference (4 lanes), so results agree to float32 rounding.
//
// The hot loop, per block of 32 and panel of 4 rows: the 32 activations are loaded once
// (4 vectors of i16), each row's 32 weights are widened to 4 vectors of i16 and meet
// them in 4 i32x4.dot_i16x8_s; the 4 rows' lane sums are transposed into one vector,
// converted and scaled once for all 4 rows. Weights widen with one instruction per 8
// (load8x8_s for int8 levels) or one or two per 8 (and/shift of the u16-lane nibbles;
// IQ4 indices go through an i8x16.swizzle table).
//
// For m ≥ 4 (prompt processing) the weights are widened once instead of once per
// activation row: up to 8 blocks of the panel at a time are expanded into per-thread
// scratch as i16 levels (offsets applied: Q4_0's − 8) and interleaved by pairs of columns
// (panels.ts), then 4 activation rows at a time take their dot products against them
// (per 8 weights and row: an i32 splat of the row's pair and one i32x4.dot_i16x8_s, the
// weight vector shared by the 4 rows), keeping a float accumulator per row in scratch
// until the panel is done.

import { PREFILL_ACCUMULATORS, PREFILL_ROWS, PREFILL_SUMS, PREFILL_WIDENED, interleavePairs, pairDots1, pairDots4, storePanel, sunk, transposeSum } from "./panels";

/** Σ of one row's 32 int8 weights at p (widened as they load) with the activations x0..x3. */
@inline function dotInt8(p: usize, x0: v128, x1: v128, x2: v128, x3: v128): v128 {
  return i32x4.add(
    i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(p), x0), i32x4.dot_i16x8_s(v128.load8x8_s(p, 8), x1)),
    i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(p, 16), x2), i32x4.dot_i16x8_s(v128.load8x8_s(p, 24), x3)),
  );
}

/** Σ of one row's 32 nibbles in u16-lane order at p (weights 0-7, 8-15, 16-23, 24-31 by shifts of 0, 4, 8, 12). */
@inline function dotNibbles(p: usize, x0: v128, x1: v128, x2: v128, x3: v128, low: v128): v128 {
  const v = v128.load(p);
  return i32x4.add(
    i32x4.add(i32x4.dot_i16x8_s(v128.and(v, low), x0), i32x4.dot_i16x8_s(v128.and(i16x8.shr_u(v, 4), low), x1)),
    i32x4.add(i32x4.dot_i16x8_s(v128.and(i16x8.shr_u(v, 8), low), x2), i32x4.dot_i16x8_s(i16x8.shr_u(v, 12), x3)),
  );
}

/** Σ of one row's 32 IQ4 indices in ggml's order at p (byte j: index j | index j+16 << 4), looked up in `table`. */
@inline export function dotIq4(p: usize, x0: v128, x1: v128, x2: v128, x3: v128, table: v128, lowBytes: v128): v128 {
  const v = v128.load(p);
  const first = i8x16.swizzle(table, v128.and(v, lowBytes));
  // (i16x8.shr_u then the byte mask: V8 lowers i8x16.shr_u to the same shift plus a mask it rebuilds each time.)
  const second = i8x16.swizzle(table, v128.and(i16x8.shr_u(v, 4), lowBytes));
  return i32x4.add(
    i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(first), x0), i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(first), x1)),
    i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(second), x2), i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(second), x3)),
  );
}

/** The IQ4_NL / IQ4_XS levels (ggml kvalues_iq4nl) as a swizzle table. */
@inline export function iq4Table(): v128 {
  return i8x16(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);
}

/** Row r's integer sum over one block of the tile at t (quants from t + quants). */
@inline function rowSum(kind: i32, q: usize, x0: v128, x1: v128, x2: v128, x3: v128, low: v128, table: v128, lowBytes: v128): v128 {
  if (kind == 1 || kind == 4 || kind == 5) return dotInt8(q, x0, x1, x2, x3);
  if (kind == 2 || kind == 3) return dotNibbles(q, x0, x1, x2, x3, low);
  return dotIq4(q, x0, x1, x2, x3, table, lowBytes);
}

@inline export function quant32Of(
  kind: i32, tile: usize, quants: usize, out: usize, xq: usize, xd: usize, xs: usize, w: usize, bias: usize,
  m: i32, n: i32, k: i32, j0: i32, j1: i32, sink: usize,
): void {
  const blocks = <usize>(k >> 5);
  const rowBytes: usize = kind == 1 || kind == 4 || kind == 5 ? 32 : 16;
  const low = i16x8.splat(15);
  const lowBytes = i8x16.splat(15);
  const table = iq4Table();
  for (let j = j0; j < j1; j += 4) {
    const panel = w + <usize>(j >> 2) * blocks * tile;
    for (let i = 0; i < m; i++) {
      let acc = f32x4.splat(0);
      let t = panel;
      let x = xq + <usize>i * (<usize>k << 1);
      let scale = xd + ((<usize>i * blocks) << 2);
      let sum = xs + ((<usize>i * blocks) << 2);
      for (let b: usize = 0; b < blocks; b++) {
        const x0 = v128.load(x), x1 = v128.load(x, 16), x2 = v128.load(x, 32), x3 = v128.load(x, 48);
        const q = t + quants;
        // (sunk: see panels.ts — it keeps V8 from loading all 4 rows' weights first.)
        const s0 = sunk(sink, rowSum(kind, q, x0, x1, x2, x3, low, table, lowBytes));
        const s1 = sunk(sink, rowSum(kind, q + rowBytes, x0, x1, x2, x3, low, table, lowBytes));
        const s2 = sunk(sink, rowSum(kind, q + 2 * rowBytes, x0, x1, x2, x3, low, table, lowBytes));
        const s3 = rowSum(kind, q + 3 * rowBytes, x0, x1, x2, x3, low, table, lowBytes);
        const d = v128.load(t);
        acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(transposeSum(s0, s1, s2, s3)), f32x4.mul(d, f32x4.splat(load<f32>(scale)))));
        if (kind == 2) acc = f32x4.sub(acc, f32x4.mul(d, f32x4.splat(8 * load<f32>(sum))));
        if (kind == 3 || kind == 5) acc = f32x4.add(acc, f32x4.mul(v128.load(t, 16), f32x4.splat(load<f32>(sum))));
        t += tile;
        x += 64;
        scale += 4;
        sum += 4;
      }
      storePanel(out, bias, n, i, j, acc);
    }
  }
}

/** Widens row r's 32 weights of the tile at q into 4 vectors of i16 levels at dst. */
@inline function expandRow(kind: i32, q: usize, dst: usize, low: v128, eight: v128, table: v128, lowBytes: v128): void {
  if (kind == 1 || kind == 4 || kind == 5) {
    v128.store(dst, v128.load8x8_s(q));
    v128.store(dst, v128.load8x8_s(q, 8), 16);
    v128.store(dst, v128.load8x8_s(q, 16), 32);
    v128.store(dst, v128.load8x8_s(q, 24), 48);
  } else if (kind == 2 || kind == 3) {
    const v = v128.load(q);
    const offset = kind == 2 ? eight : i16x8.splat(0);
    v128.store(dst, i16x8.sub(v128.and(v, low), offset));
    v128.store(dst, i16x8.sub(v128.and(i16x8.shr_u(v, 4), low), offset), 16);
    v128.store(dst, i16x8.sub(v128.and(i16x8.shr_u(v, 8), low), offset), 32);
    v128.store(dst, i16x8.sub(i16x8.shr_u(v, 12), offset), 48);
  } else {
    const v = v128.load(q);
    const first = i8x16.swizzle(table, v128.and(v, lowBytes));
    const second = i8x16.swizzle(table, v128.and(i16x8.shr_u(v, 4), lowBytes));
    v128.store(dst, i16x8.extend_low_i8x16_s(first));
    v128.store(dst, i16x8.extend_high_i8x16_s(first), 16);
    v128.store(dst, i16x8.extend_low_i8x16_s(second), 32);
    v128.store(dst, i16x8.extend_high_i8x16_s(second), 48);
  }
}

/** Blocks a prefill chunk widens at a time (8 × 4 rows × 64 bytes = 2 KiB of scratch). */
const CHUNK_BLOCKS = 8;

/**
 * A block's float term for the 4 weight rows: the integer sums s · d_w · d_x [+ m_w · s_x
 * for Q4_1/Q5_1], the block's d_x at d (and its s_x at d − xd + xs).
 */
@inline function blockTerm(kind: i32, s: v128, t: usize, d: usize, xd: usize, xs: usize): v128 {
  let term = f32x4.mul(f32x4.convert_i32x4_s(s), f32x4.mul(v128.load(t), v128.load32_splat(d)));
  if (kind == 3 || kind == 5) term = f32x4.add(term, f32x4.mul(v128.load(t, 16), v128.load32_splat(d - xd + xs)));
  return term;
}

@inline export function prefill32Of(
  kind: i32, tile: usize, quants: usize, out: usize, xq: usize, xd: usize, xs: usize, w: usize, bias: usize,
  m: i32, n: i32, k: i32, j0: i32, j1: i32, scratch: usize,
): void {
  const blocks = <usize>(k >> 5);
  const rowBytes: usize = kind == 1 || kind == 4 || kind == 5 ? 32 : 16;
  const low = i16x8.splat(15);
  const eight = i16x8.splat(8);
  const lowBytes = i8x16.splat(15);
  const table = iq4Table();
  const widened = scratch + PREFILL_WIDENED;
  const rows = scratch + PREFILL_ROWS;
  const sums = scratch + PREFILL_SUMS;
  const accumulators = scratch + PREFILL_ACCUMULATORS; // m float accumulators of 4 lanes
  const xStride = <usize>k << 1;
  const dStride = blocks << 2;
  for (let j = j0; j < j1; j += 4) {
    const panel = w + <usize>(j >> 2) * blocks * tile;
    for (let i = 0; i < m; i++) v128.store(accumulators + (<usize>i << 4), f32x4.splat(0));
    for (let c: usize = 0; c < blocks; c += CHUNK_BLOCKS) {
      const count = min(<usize>CHUNK_BLOCKS, blocks - c);
      // Widen the chunk (block b's row r to rows + 256b + 64r), then interleave each block by pairs.
      for (let b: usize = 0; b < count; b++) {
        const q = panel + (c + b) * tile + quants;
        for (let r: usize = 0; r < 4; r++) expandRow(kind, q + r * rowBytes, rows + (b << 8) + (r << 6), low, eight, table, lowBytes);
        interleavePairs(rows + (b << 8), 64, widened + (b << 8), 16);
      }
      let i = 0;
      for (; i + 4 <= m; i += 4) {
        let f0 = f32x4.splat(0), f1 = f32x4.splat(0), f2 = f32x4.splat(0), f3 = f32x4.splat(0);
        let x = xq + <usize>i * xStride + (c << 6);
        let e = widened;
        let t = panel + c * tile;
        let d = xd + ((<usize>i * blocks + c) << 2); // row i's d_x of the block; the next rows' a row of blocks apart
        for (let b: usize = 0; b < count; b++) {
          pairDots4(e, 16, x, xStride, sums);
          f0 = f32x4.add(f0, blockTerm(kind, v128.load(sums), t, d, xd, xs));
          f1 = f32x4.add(f1, blockTerm(kind, v128.load(sums, 16), t, d + dStride, xd, xs));
          f2 = f32x4.add(f2, blockTerm(kind, v128.load(sums, 32), t, d + 2 * dStride, xd, xs));
          f3 = f32x4.add(f3, blockTerm(kind, v128.load(sums, 48), t, d + 3 * dStride, xd, xs));
          x += 64;
          e += 256;
          t += tile;
          d += 4;
        }
        const at = accumulators + (<usize>i << 4);
        v128.store(at, f32x4.add(v128.load(at), f0));
        v128.store(at, f32x4.add(v128.load(at, 16), f1), 16);
        v128.store(at, f32x4.add(v128.load(at, 32), f2), 32);
        v128.store(at, f32x4.add(v128.load(at, 48), f3), 48);
      }
      for (; i < m; i++) {
        let f = f32x4.splat(0);
        const x = xq + <usize>i * xStride + (c << 6);
        for (let b: usize = 0; b < count; b++) {
          f = f32x4.add(f, blockTerm(kind, pairDots1(widened + (b << 8), 16, x + (b << 6)), panel + (c + b) * tile, xd + ((<usize>i * blocks + c + b) << 2), xd, xs));
        }
        const at = accumulators + (<usize>i << 4);
        v128.store(at, f32x4.add(v128.load(at), f));
      }
    }
    for (let i = 0; i < m; i++) storePanel(out, bias, n, i, j, v128.load(accumulators + (<usize>i << 4)));
  }
}
