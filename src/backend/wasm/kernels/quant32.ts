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
// IQ4 indices go through an i8x16.swizzle table). For m > 1 (prompt processing) every
// activation row runs over the panel while it is in L1.

import { storePanel, transposeSum } from "./panels";

export function matmulQuant32(
  kind: i32, out: usize, xq: usize, xd: usize, xs: usize, w: usize, bias: usize,
  m: i32, n: i32, k: i32, j0: i32, j1: i32,
): void {
  // One copy of the loops per format, each with the format fixed at compile time.
  if (kind == 1) quant32Of(1, 144, 16, out, xq, xd, xs, w, bias, m, n, k, j0, j1);
  else if (kind == 2) quant32Of(2, 80, 16, out, xq, xd, xs, w, bias, m, n, k, j0, j1);
  else if (kind == 3) quant32Of(3, 96, 32, out, xq, xd, xs, w, bias, m, n, k, j0, j1);
  else if (kind == 4) quant32Of(4, 144, 16, out, xq, xd, xs, w, bias, m, n, k, j0, j1);
  else if (kind == 5) quant32Of(5, 160, 32, out, xq, xd, xs, w, bias, m, n, k, j0, j1);
  else quant32Of(6, 80, 16, out, xq, xd, xs, w, bias, m, n, k, j0, j1);
}

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

@inline function quant32Of(
  kind: i32, tile: usize, quants: usize, out: usize, xq: usize, xd: usize, xs: usize, w: usize, bias: usize,
  m: i32, n: i32, k: i32, j0: i32, j1: i32,
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
        const s0 = rowSum(kind, q, x0, x1, x2, x3, low, table, lowBytes);
        const s1 = rowSum(kind, q + rowBytes, x0, x1, x2, x3, low, table, lowBytes);
        const s2 = rowSum(kind, q + 2 * rowBytes, x0, x1, x2, x3, low, table, lowBytes);
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
