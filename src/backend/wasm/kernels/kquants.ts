// AssemblyScript. Matrix products with weights in ggml's K-quant formats (super-blocks
// of 256) — Q2_K (kind 10), Q3_K (11), Q4_K (12), Q5_K (13), Q6_K (14), IQ4_XS (15) —
// as panels of 4 rows (src/backend/wasm/quant-panels.ts lays out each tile), against
// activations quantized to Q8_K (quant-activations.ts: i16 levels in xq, per block the
// scale xd and 48 bytes of level sums in xs: Σ per 16 as i16[16], Σ per 32 as i16[8]).
// For each output, as the reference src/backend/js/matmul-blocks.ts (ggml's vec_dots):
//   Σ_blocks d_w·d_x · Σ_sub sc_sub·(Σ w_q·x_q)  −  dmin_w·d_x · Σ_sub m_sub·(Σ x_q)
// Each sub-block's integer sums (exact) are multiplied by its scale (i16 in the tile,
// splat to i32 lanes), so each row accumulates one i32x4 per super-block. The mins use
// the activation sums (one dot of the row's mins with them), and so do the offsets of
// Q3_K's levels, stored + 4. Per super-block and panel the 4 rows' sums are transposed into one vector, then
// converted and scaled once. Weight widening per 8: Q4_K/Q3_K one or two bit operations on
// u16-lane nibbles, Q2_K a shift and a mask of 2-bit lanes, Q5_K/Q6_K nothing (int8 levels
// widen as they load), IQ4_XS a table swizzle and a sign extension.

import { storePanel, transposeSum } from "./panels";
import { dotIq4, iq4Table } from "./quant32";

export function matmulKQuant(
  kind: i32, out: usize, xq: usize, xd: usize, xs: usize, w: usize, bias: usize,
  m: i32, n: i32, k: i32, j0: i32, j1: i32,
): void {
  if (kind == 10) kQuantOf(10, 480, out, xq, xd, xs, w, bias, m, n, k, j0, j1);
  else if (kind == 11) kQuantOf(11, 656, out, xq, xd, xs, w, bias, m, n, k, j0, j1);
  else if (kind == 12) kQuantOf(12, 640, out, xq, xd, xs, w, bias, m, n, k, j0, j1);
  else if (kind == 13) kQuantOf(13, 1152, out, xq, xd, xs, w, bias, m, n, k, j0, j1);
  else if (kind == 14) kQuantOf(14, 1168, out, xq, xd, xs, w, bias, m, n, k, j0, j1);
  else kQuantOf(15, 656, out, xq, xd, xs, w, bias, m, n, k, j0, j1);
}

@inline function dot4(w0: v128, w1: v128, w2: v128, w3: v128, x0: v128, x1: v128, x2: v128, x3: v128): v128 {
  return i32x4.add(
    i32x4.add(i32x4.dot_i16x8_s(w0, x0), i32x4.dot_i16x8_s(w1, x1)),
    i32x4.add(i32x4.dot_i16x8_s(w2, x2), i32x4.dot_i16x8_s(w3, x3)),
  );
}

/**
 * Row r's sum over group g (32 weights) of the tile at t, scales folded in. Activations
 * x0..x3 are the group's 32 levels.
 */
@inline function groupSum(kind: i32, t: usize, r: usize, g: usize, x0: v128, x1: v128, x2: v128, x3: v128, low: v128, two: v128, table: v128, lowBytes: v128): v128 {
  if (kind == 12) {
    // Q4_K: nibbles @128 [8][4][16]; i16 scale per 32 @32 [4][8].
    const v = v128.load(t + 128 + ((g << 2) + r) * 16);
    const sum = dot4(v128.and(v, low), v128.and(i16x8.shr_u(v, 4), low), v128.and(i16x8.shr_u(v, 8), low), i16x8.shr_u(v, 12), x0, x1, x2, x3);
    return i32x4.mul(sum, scale32(t + 32 + (r << 4) + (g << 1)));
  }
  if (kind == 13) {
    // Q5_K: int8 levels @128 [8][4][32]; i16 scale per 32 @32 [4][8].
    const p = t + 128 + ((g << 2) + r) * 32;
    const sum = dot4(v128.load8x8_s(p), v128.load8x8_s(p, 8), v128.load8x8_s(p, 16), v128.load8x8_s(p, 24), x0, x1, x2, x3);
    return i32x4.mul(sum, scale32(t + 32 + (r << 4) + (g << 1)));
  }
  if (kind == 14) {
    // Q6_K: int8 levels − 32 @144 [8][4][32]; i16 scale per 16 @16 [4][16].
    const p = t + 144 + ((g << 2) + r) * 32;
    const s = t + 16 + (r << 5) + (g << 2);
    const a = i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(p), x0), i32x4.dot_i16x8_s(v128.load8x8_s(p, 8), x1));
    const b = i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(p, 16), x2), i32x4.dot_i16x8_s(v128.load8x8_s(p, 24), x3));
    return i32x4.add(i32x4.mul(a, scale32(s)), i32x4.mul(b, scale32(s + 2)));
  }
  if (kind == 11) {
    // Q3_K: nibbles (level + 4) @144 [8][4][16]; i16 scale per 16 @16 [4][16].
    const v = v128.load(t + 144 + ((g << 2) + r) * 16);
    const s = t + 16 + (r << 5) + (g << 2);
    const a = i32x4.add(i32x4.dot_i16x8_s(v128.and(v, low), x0), i32x4.dot_i16x8_s(v128.and(i16x8.shr_u(v, 4), low), x1));
    const b = i32x4.add(i32x4.dot_i16x8_s(v128.and(i16x8.shr_u(v, 8), low), x2), i32x4.dot_i16x8_s(i16x8.shr_u(v, 12), x3));
    return i32x4.add(i32x4.mul(a, scale32(s)), i32x4.mul(b, scale32(s + 2)));
  }
  if (kind == 10) {
    // Q2_K: 2-bit lanes @224 [4 groups of 64][4][16], group g is half g & 1 of 64-group g >> 1;
    // i16 scale per 16 @32 [4][16].
    const v = i16x8.shr_u(v128.load(t + 224 + (((g >> 1) << 2) + r) * 16), <i32>((g & 1) << 3));
    const s = t + 32 + (r << 5) + (g << 2);
    const a = i32x4.add(i32x4.dot_i16x8_s(v128.and(v, two), x0), i32x4.dot_i16x8_s(v128.and(i16x8.shr_u(v, 2), two), x1));
    const b = i32x4.add(i32x4.dot_i16x8_s(v128.and(i16x8.shr_u(v, 4), two), x2), i32x4.dot_i16x8_s(v128.and(i16x8.shr_u(v, 6), two), x3));
    return i32x4.add(i32x4.mul(a, scale32(s)), i32x4.mul(b, scale32(s + 2)));
  }
  // IQ4_XS: indices @144 [8][4][16] in ggml's order; i32 scale per 32 @16 [4][8].
  return i32x4.mul(
    dotIq4(t + 144 + ((g << 2) + r) * 16, x0, x1, x2, x3, table, lowBytes),
    v128.load32_splat(t + 16 + (r << 5) + (g << 2)),
  );
}

/** The i16 scale at p in every i32 lane. */
@inline function scale32(p: usize): v128 {
  return i32x4.extend_low_i16x8_s(v128.load16_splat(p));
}

/** Σ over the super-block of row r's mins (Q2_K per 16, Q4_K/Q5_K per 32) times the activation sums. */
@inline function minSum(kind: i32, t: usize, r: usize, sums: usize): v128 {
  if (kind == 10) {
    const p = t + 160 + (r << 4);
    return i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_u(p), v128.load(sums)), i32x4.dot_i16x8_s(v128.load8x8_u(p, 8), v128.load(sums, 16)));
  }
  return i32x4.dot_i16x8_s(v128.load8x8_u(t + 96 + (r << 3)), v128.load(sums, 32));
}

/** Q3_K: Σ over the super-block of row r's scales times the activation sums per 16 (the +4 of its levels). */
@inline function offsetSum(t: usize, r: usize, sums: usize): v128 {
  const p = t + 16 + (r << 5);
  return i32x4.add(i32x4.dot_i16x8_s(v128.load(p), v128.load(sums)), i32x4.dot_i16x8_s(v128.load(p, 16), v128.load(sums, 16)));
}

@inline function kQuantOf(
  kind: i32, tile: usize, out: usize, xq: usize, xd: usize, xs: usize, w: usize, bias: usize,
  m: i32, n: i32, k: i32, j0: i32, j1: i32,
): void {
  const blocks = <usize>(k >> 8);
  const low = i16x8.splat(15);
  const two = i16x8.splat(3);
  const lowBytes = i8x16.splat(15);
  const table = iq4Table();
  const hasMins = kind == 10 || kind == 12 || kind == 13;
  for (let j = j0; j < j1; j += 4) {
    const panel = w + <usize>(j >> 2) * blocks * tile;
    for (let i = 0; i < m; i++) {
      let acc = f32x4.splat(0);
      let t = panel;
      let x = xq + <usize>i * (<usize>k << 1);
      let scale = xd + ((<usize>i * blocks) << 2);
      let sums = xs + <usize>i * blocks * 48;
      for (let b: usize = 0; b < blocks; b++) {
        let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
        for (let g: usize = 0; g < 8; g++) {
          const xg = x + (g << 6);
          const x0 = v128.load(xg), x1 = v128.load(xg, 16), x2 = v128.load(xg, 32), x3 = v128.load(xg, 48);
          a0 = i32x4.add(a0, groupSum(kind, t, 0, g, x0, x1, x2, x3, low, two, table, lowBytes));
          a1 = i32x4.add(a1, groupSum(kind, t, 1, g, x0, x1, x2, x3, low, two, table, lowBytes));
          a2 = i32x4.add(a2, groupSum(kind, t, 2, g, x0, x1, x2, x3, low, two, table, lowBytes));
          a3 = i32x4.add(a3, groupSum(kind, t, 3, g, x0, x1, x2, x3, low, two, table, lowBytes));
        }
        if (kind == 11) {
          // Levels are stored + 4: subtract 4·Σ scale·(Σ x per 16).
          a0 = i32x4.sub(a0, i32x4.shl(offsetSum(t, 0, sums), 2));
          a1 = i32x4.sub(a1, i32x4.shl(offsetSum(t, 1, sums), 2));
          a2 = i32x4.sub(a2, i32x4.shl(offsetSum(t, 2, sums), 2));
          a3 = i32x4.sub(a3, i32x4.shl(offsetSum(t, 3, sums), 2));
        }
        const dx = f32x4.splat(load<f32>(scale));
        acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(transposeSum(a0, a1, a2, a3)), f32x4.mul(v128.load(t), dx)));
        if (hasMins) {
          const mins = transposeSum(minSum(kind, t, 0, sums), minSum(kind, t, 1, sums), minSum(kind, t, 2, sums), minSum(kind, t, 3, sums));
          acc = f32x4.sub(acc, f32x4.mul(f32x4.convert_i32x4_s(mins), f32x4.mul(v128.load(t, 16), dx)));
        }
        t += tile;
        x += 512;
        scale += 4;
        sums += 48;
      }
      storePanel(out, bias, n, i, j, acc);
    }
  }
}
