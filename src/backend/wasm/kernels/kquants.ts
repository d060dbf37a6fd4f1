// AssemblyScript. Matrix products with weights in ggml's K-quant formats (super-blocks
// of 256) — Q2_K (kind 10), Q3_K (11), Q4_K (12), Q5_K (13), Q6_K (14), IQ4_XS (15) —
// as panels of 4 rows (src/backend/wasm/quant-panels.ts lays out each tile), against
// activations quantized to Q8_K (quant-activations.ts: i16 levels in xq, per block the
// scale xd and 48 bytes of level sums in xs: Σ per 16 as i16[16], Σ per 32 as i16[8]).
// For each output, as the reference src/backend/js/matmul-blocks.ts (ggml's vec_dots):
//   Σ_blocks d_w·d_x · Σ_sub sc_sub·(Σ w_q·x_q)  −  dmin_w·d_x · Σ_sub m_sub·(Σ x_q)
// Each sub-block's integer sums (exact) are multiplied by its scale (i16 in the tile),
// so each row accumulates one i32x4 per super-block: Q4_K/Q5_K, whose products fit i16,
// multiply and add as i16 and meet the scale in the dot that widens them; the others
// take i32x4.dot_i16x8_s and meet the scale after. The mins use
// the activation sums (one dot of the row's mins with them), and so do the offsets of
// Q3_K's levels, stored + 4. Per super-block and panel the 4 rows' sums are transposed into one vector, then
// converted and scaled once. Weight widening per 8: Q4_K/Q3_K one or two bit operations on
// u16-lane nibbles, Q2_K a shift and a mask of 2-bit lanes, Q5_K/Q6_K nothing (int8 levels
// widen as they load), IQ4_XS a table swizzle and a sign extension. The relaxed-SIMD build
// multiplies Q4_K's nibbles and Q6_K's levels + 32 as bytes with the activations' int8
// copies (i16x8.relaxed_dot_i8x16_i7x16_s: 16 products per instruction, the weights
// being the 7-bit operand), about half the instructions of the widening path.
//
// For m ≥ 4 (prompt processing) each super-block of the panel is widened once into
// per-thread scratch — i16 levels times their sub-block scale (|·| ≤ 4096; Q3_K's levels
// with their −4 applied) — and interleaved by pairs of columns (panels.ts); 4 activation
// rows at a time then take one i32 splat and one i32x4.dot_i16x8_s per 8 weights against
// it (the weight vector shared by the 4 rows), with a float accumulator per row kept in
// scratch until the panel is done.

import { PREFILL_ACCUMULATORS, PREFILL_ROWS, PREFILL_SUMS, PREFILL_WIDENED, interleavePairs, pairDots1, pairDots4, storePanel, sunk, transposeSum } from "./panels";
import { dotIq4, iq4Table } from "./quant32";

/** Σ of w_i·x_i over 4 vector pairs as i16 lanes (the caller bounds the sums). */
@inline function mul4(w0: v128, w1: v128, w2: v128, w3: v128, x0: v128, x1: v128, x2: v128, x3: v128): v128 {
  return i16x8.add(i16x8.add(i16x8.mul(w0, x0), i16x8.mul(w1, x1)), i16x8.add(i16x8.mul(w2, x2), i16x8.mul(w3, x3)));
}

/**
 * Row r's sum over group g (32 weights) of the tile at t, scales folded in. Activations
 * x0..x3 are the group's 32 levels.
 */
@inline function groupSum(kind: i32, t: usize, r: usize, g: usize, x0: v128, x1: v128, x2: v128, x3: v128, low: v128, two: v128, table: v128, lowBytes: v128): v128 {
  if (kind == 12) {
    // Q4_K: nibbles @128 [8][4][16]; i16 scale per 32 @32 [4][8].
    const v = v128.load(t + 128 + ((g << 2) + r) * 16);
    if (ASC_FEATURE_RELAXED_SIMD) {
      // x0, x1: the group's int8 levels in nibble order. Lane i of v holds weights i, 8+i,
      // 16+i, 24+i in its 4 nibbles, so its low byte's low nibble and its high byte's low
      // nibble are weights i and 16+i (meeting x0), and after a shift by 4 weights 8+i
      // and 24+i (meeting x1). Each relaxed dot gives 8 i16 sums of two products
      // (|·| ≤ 2·15·127, no saturation), added and then scaled into i32 by one dot.
      const first = i16x8.relaxed_dot_i8x16_i7x16_s(x0, v128.and(v, lowBytes));
      const second = i16x8.relaxed_dot_i8x16_i7x16_s(x1, v128.and(i16x8.shr_u(v, 4), lowBytes));
      return i32x4.dot_i16x8_s(i16x8.add(first, second), v128.load16_splat(t + 32 + (r << 4) + (g << 1)));
    }
    // The 32 products fit i16 (4 per lane: |·| ≤ 4·15·127), so they are multiplied and
    // added as i16 and meet the scale in the one dot that widens them.
    const sum = mul4(v128.and(v, low), v128.and(i16x8.shr_u(v, 4), low), v128.and(i16x8.shr_u(v, 8), low), i16x8.shr_u(v, 12), x0, x1, x2, x3);
    return i32x4.dot_i16x8_s(sum, v128.load16_splat(t + 32 + (r << 4) + (g << 1)));
  }
  if (kind == 13) {
    // Q5_K: int8 levels @128 [8][4][32]; i16 scale per 32 @32 [4][8].
    const p = t + 128 + ((g << 2) + r) * 32;
    // Levels 0..31: the products fit i16 as Q4_K's do (|·| ≤ 4·31·127).
    const sum = mul4(v128.load8x8_s(p), v128.load8x8_s(p, 8), v128.load8x8_s(p, 16), v128.load8x8_s(p, 24), x0, x1, x2, x3);
    return i32x4.dot_i16x8_s(sum, v128.load16_splat(t + 32 + (r << 4) + (g << 1)));
  }
  if (kind == 14) {
    // Q6_K: int8 levels − 32 @144 [8][4][32]; i16 scale per 16 @16 [4][16].
    const p = t + 144 + ((g << 2) + r) * 32;
    const s = t + 16 + (r << 5) + (g << 2);
    if (ASC_FEATURE_RELAXED_SIMD) {
      // x0, x1: the group's int8 levels in order. The levels + 32 (0..63) are the relaxed
      // dot's 7-bit operand; each dot's 8 i16 lanes (|·| ≤ 2·63·127) are one sub-block's,
      // scaled into i32 by a dot with its scale. kQuantOf subtracts the + 32.
      const offset = i8x16.splat(32);
      const a = i16x8.relaxed_dot_i8x16_i7x16_s(x0, i8x16.add(v128.load(p), offset));
      const b = i16x8.relaxed_dot_i8x16_i7x16_s(x1, i8x16.add(v128.load(p, 16), offset));
      return i32x4.add(i32x4.dot_i16x8_s(a, v128.load16_splat(s)), i32x4.dot_i16x8_s(b, v128.load16_splat(s, 2)));
    }
    const a = i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(p), x0), i32x4.dot_i16x8_s(v128.load8x8_s(p, 8), x1));
    const b = i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_s(p, 16), x2), i32x4.dot_i16x8_s(v128.load8x8_s(p, 24), x3));
    return scaledHalves(a, b, s);
  }
  if (kind == 11) {
    // Q3_K: nibbles (level + 4) @144 [8][4][16]; i16 scale per 16 @16 [4][16].
    const v = v128.load(t + 144 + ((g << 2) + r) * 16);
    const s = t + 16 + (r << 5) + (g << 2);
    const a = i32x4.add(i32x4.dot_i16x8_s(v128.and(v, low), x0), i32x4.dot_i16x8_s(v128.and(i16x8.shr_u(v, 4), low), x1));
    const b = i32x4.add(i32x4.dot_i16x8_s(v128.and(i16x8.shr_u(v, 8), low), x2), i32x4.dot_i16x8_s(i16x8.shr_u(v, 12), x3));
    return scaledHalves(a, b, s);
  }
  if (kind == 10) {
    // Q2_K: 2-bit lanes @224 [4 groups of 64][4][16], group g is half g & 1 of 64-group g >> 1;
    // i16 scale per 16 @32 [4][16].
    const v = i16x8.shr_u(v128.load(t + 224 + (((g >> 1) << 2) + r) * 16), <i32>((g & 1) << 3));
    const s = t + 32 + (r << 5) + (g << 2);
    const a = i32x4.add(i32x4.dot_i16x8_s(v128.and(v, two), x0), i32x4.dot_i16x8_s(v128.and(i16x8.shr_u(v, 2), two), x1));
    const b = i32x4.add(i32x4.dot_i16x8_s(v128.and(i16x8.shr_u(v, 4), two), x2), i32x4.dot_i16x8_s(v128.and(i16x8.shr_u(v, 6), two), x3));
    return scaledHalves(a, b, s);
  }
  // IQ4_XS: indices @144 [8][4][16] in ggml's order; i32 scale per 32 @16 [4][8].
  return i32x4.mul(
    dotIq4(t + 144 + ((g << 2) + r) * 16, x0, x1, x2, x3, table, lowBytes),
    v128.load32_splat(t + 16 + (r << 5) + (g << 2)),
  );
}

/**
 * For the two halves of a group whose scales are per 16 weights (Q2_K, Q3_K, Q6_K): a and
 * b are the halves' integer sums, whose lanes (4 products of |level| ≤ 32 and |x| ≤ 127)
 * fit in i16, so they are narrowed into one vector [a0..a3, b0..b3] that meets
 * [s0 ×4, s1 ×4] (the two i16 scales at s) in one i32x4.dot_i16x8_s: the lanes of the
 * result sum to s0·Σa + s1·Σb (two multiplies and the widening of each scale saved).
 */
@inline function scaledHalves(a: v128, b: v128, s: usize): v128 {
  const pair = v128.load32_splat(s);
  const scales = i8x16.shuffle(pair, pair, 0, 1, 0, 1, 0, 1, 0, 1, 2, 3, 2, 3, 2, 3, 2, 3);
  return i32x4.dot_i16x8_s(i16x8.narrow_i32x4_s(a, b), scales);
}

/** Σ over the super-block of row r's mins (Q2_K per 16, Q4_K/Q5_K per 32) times the activation sums. */
@inline function minSum(kind: i32, t: usize, r: usize, sums: usize): v128 {
  if (kind == 10) {
    const p = t + 160 + (r << 4);
    return i32x4.add(i32x4.dot_i16x8_s(v128.load8x8_u(p), v128.load(sums)), i32x4.dot_i16x8_s(v128.load8x8_u(p, 8), v128.load(sums, 16)));
  }
  return i32x4.dot_i16x8_s(v128.load8x8_u(t + 96 + (r << 3)), v128.load(sums, 32));
}

/** Σ over the super-block of row r's scales per 16 times the activation sums per 16 (Q3_K's + 4 on its levels, the relaxed Q6_K kernel's + 32). */
@inline function offsetSum(t: usize, r: usize, sums: usize): v128 {
  const p = t + 16 + (r << 5);
  return i32x4.add(i32x4.dot_i16x8_s(v128.load(p), v128.load(sums)), i32x4.dot_i16x8_s(v128.load(p, 16), v128.load(sums, 16)));
}

@inline export function kQuantOf(
  kind: i32, tile: usize, out: usize, xq: usize, xd: usize, xs: usize, w: usize, bias: usize,
  m: i32, n: i32, k: i32, j0: i32, j1: i32, sink: usize,
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
      // The relaxed build's int8 levels (quant-activations.ts): in Q4_K's nibble order, or in order.
      let bytes = xq + <usize>m * <usize>k * (kind == 12 ? 2 : 3) + <usize>i * <usize>k;
      let scale = xd + ((<usize>i * blocks) << 2);
      let sums = xs + <usize>i * blocks * 48;
      for (let b: usize = 0; b < blocks; b++) {
        let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
        for (let g: usize = 0; g < 8; g++) {
          let x0: v128, x1: v128, x2: v128, x3: v128;
          if (ASC_FEATURE_RELAXED_SIMD && (kind == 12 || kind == 14)) {
            x0 = v128.load(bytes + (g << 5));
            x1 = v128.load(bytes + (g << 5), 16);
            x2 = x0;
            x3 = x1;
          } else {
            const xg = x + (g << 6);
            x0 = v128.load(xg);
            x1 = v128.load(xg, 16);
            x2 = v128.load(xg, 32);
            x3 = v128.load(xg, 48);
          }
          // (sunk: see panels.ts — without it V8 loads all 4 rows' weights and scales first, and spills.)
          a0 = i32x4.add(a0, sunk(sink, groupSum(kind, t, 0, g, x0, x1, x2, x3, low, two, table, lowBytes)));
          a1 = i32x4.add(a1, sunk(sink, groupSum(kind, t, 1, g, x0, x1, x2, x3, low, two, table, lowBytes)));
          a2 = i32x4.add(a2, sunk(sink, groupSum(kind, t, 2, g, x0, x1, x2, x3, low, two, table, lowBytes)));
          a3 = i32x4.add(a3, groupSum(kind, t, 3, g, x0, x1, x2, x3, low, two, table, lowBytes));
        }
        if (kind == 11) {
          // Levels are stored + 4: subtract 4·Σ scale·(Σ x per 16).
          a0 = i32x4.sub(a0, i32x4.shl(offsetSum(t, 0, sums), 2));
          a1 = i32x4.sub(a1, i32x4.shl(offsetSum(t, 1, sums), 2));
          a2 = i32x4.sub(a2, i32x4.shl(offsetSum(t, 2, sums), 2));
          a3 = i32x4.sub(a3, i32x4.shl(offsetSum(t, 3, sums), 2));
        }
        if (ASC_FEATURE_RELAXED_SIMD && kind == 14) {
          // The relaxed dots took the levels + 32: subtract 32·Σ scale·(Σ x per 16).
          a0 = i32x4.sub(a0, i32x4.shl(offsetSum(t, 0, sums), 5));
          a1 = i32x4.sub(a1, i32x4.shl(offsetSum(t, 1, sums), 5));
          a2 = i32x4.sub(a2, i32x4.shl(offsetSum(t, 2, sums), 5));
          a3 = i32x4.sub(a3, i32x4.shl(offsetSum(t, 3, sums), 5));
        }
        const dx = f32x4.splat(load<f32>(scale));
        acc = f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(transposeSum(a0, a1, a2, a3)), f32x4.mul(v128.load(t), dx)));
        if (hasMins) {
          const mins = transposeSum(minSum(kind, t, 0, sums), minSum(kind, t, 1, sums), minSum(kind, t, 2, sums), minSum(kind, t, 3, sums));
          acc = f32x4.sub(acc, f32x4.mul(f32x4.convert_i32x4_s(mins), f32x4.mul(v128.load(t, 16), dx)));
        }
        t += tile;
        x += 512;
        bytes += 256;
        scale += 4;
        sums += 48;
      }
      storePanel(out, bias, n, i, j, acc);
    }
  }
}

/** Widens row r's group g (32 weights) of the tile at t, times its sub-block scales, to 4 i16 vectors at dst. */
@inline function expandGroup(kind: i32, t: usize, r: usize, g: usize, dst: usize, low: v128, two: v128, four: v128, table: v128, lowBytes: v128): void {
  let w0: v128, w1: v128, w2: v128, w3: v128;
  if (kind == 12 || kind == 11) {
    // Q4_K (scale per 32) / Q3_K (levels + 4, scale per 16)
    const v = v128.load(t + (kind == 12 ? 128 : 144) + ((g << 2) + r) * 16);
    const offset = kind == 11 ? four : i16x8.splat(0);
    w0 = i16x8.sub(v128.and(v, low), offset);
    w1 = i16x8.sub(v128.and(i16x8.shr_u(v, 4), low), offset);
    w2 = i16x8.sub(v128.and(i16x8.shr_u(v, 8), low), offset);
    w3 = i16x8.sub(i16x8.shr_u(v, 12), offset);
  } else if (kind == 13 || kind == 14) {
    const p = t + (kind == 13 ? 128 : 144) + ((g << 2) + r) * 32;
    w0 = v128.load8x8_s(p);
    w1 = v128.load8x8_s(p, 8);
    w2 = v128.load8x8_s(p, 16);
    w3 = v128.load8x8_s(p, 24);
  } else if (kind == 10) {
    const v = i16x8.shr_u(v128.load(t + 224 + (((g >> 1) << 2) + r) * 16), <i32>((g & 1) << 3));
    w0 = v128.and(v, two);
    w1 = v128.and(i16x8.shr_u(v, 2), two);
    w2 = v128.and(i16x8.shr_u(v, 4), two);
    w3 = v128.and(i16x8.shr_u(v, 6), two);
  } else {
    const v = v128.load(t + 144 + ((g << 2) + r) * 16);
    const first = i8x16.swizzle(table, v128.and(v, lowBytes));
    const second = i8x16.swizzle(table, v128.and(i16x8.shr_u(v, 4), lowBytes));
    w0 = i16x8.extend_low_i8x16_s(first);
    w1 = i16x8.extend_high_i8x16_s(first);
    w2 = i16x8.extend_low_i8x16_s(second);
    w3 = i16x8.extend_high_i8x16_s(second);
  }
  // Scales: one per 32 (Q4_K, Q5_K at @32; IQ4_XS i32 at @16), or one per 16 (Q2_K @32, Q3_K and Q6_K @16).
  let a: v128, b: v128;
  if (kind == 12 || kind == 13) {
    a = v128.load16_splat(t + 32 + (r << 4) + (g << 1));
    b = a;
  } else if (kind == 15) {
    a = i16x8.splat(<i16>load<i32>(t + 16 + (r << 5) + (g << 2)));
    b = a;
  } else {
    const s = t + (kind == 10 ? 32 : 16) + (r << 5) + (g << 2);
    a = v128.load16_splat(s);
    b = v128.load16_splat(s, 2);
  }
  v128.store(dst, i16x8.mul(w0, a));
  v128.store(dst, i16x8.mul(w1, a), 16);
  v128.store(dst, i16x8.mul(w2, b), 32);
  v128.store(dst, i16x8.mul(w3, b), 48);
}

/** A super-block's float term for the 4 weight rows and activation row `block`'s scale and sums. */
@inline function superBlockTerm(kind: i32, s: v128, t: usize, xd: usize, xs: usize, block: usize): v128 {
  const dx = f32x4.splat(load<f32>(xd + (block << 2)));
  let term = f32x4.mul(f32x4.convert_i32x4_s(s), f32x4.mul(v128.load(t), dx));
  if (kind == 10 || kind == 12 || kind == 13) {
    const sums = xs + block * 48;
    const mins = transposeSum(minSum(kind, t, 0, sums), minSum(kind, t, 1, sums), minSum(kind, t, 2, sums), minSum(kind, t, 3, sums));
    term = f32x4.sub(term, f32x4.mul(f32x4.convert_i32x4_s(mins), f32x4.mul(v128.load(t, 16), dx)));
  }
  return term;
}

@inline export function prefillOf(
  kind: i32, tile: usize, out: usize, xq: usize, xd: usize, xs: usize, w: usize, bias: usize,
  m: i32, n: i32, k: i32, j0: i32, j1: i32, scratch: usize,
): void {
  const blocks = <usize>(k >> 8);
  const low = i16x8.splat(15);
  const two = i16x8.splat(3);
  const four = i16x8.splat(4);
  const lowBytes = i8x16.splat(15);
  const table = iq4Table();
  const widened = scratch + PREFILL_WIDENED;
  const rows = scratch + PREFILL_ROWS;
  const sums = scratch + PREFILL_SUMS;
  const accumulators = scratch + PREFILL_ACCUMULATORS; // m float accumulators of 4 lanes
  const xStride = <usize>k << 1;
  for (let j = j0; j < j1; j += 4) {
    const panel = w + <usize>(j >> 2) * blocks * tile;
    for (let i = 0; i < m; i++) v128.store(accumulators + (<usize>i << 4), f32x4.splat(0));
    for (let b: usize = 0; b < blocks; b++) {
      const t = panel + b * tile;
      // Widen the super-block (group g of row r to rows + 256g + 64r), then interleave each group by pairs.
      for (let g: usize = 0; g < 8; g++) {
        for (let r: usize = 0; r < 4; r++) expandGroup(kind, t, r, g, rows + (g << 8) + (r << 6), low, two, four, table, lowBytes);
        interleavePairs(rows + (g << 8), 64, widened + (g << 8), 16);
      }
      let i = 0;
      for (; i + 4 <= m; i += 4) {
        pairDots4(widened, 128, xq + <usize>i * xStride + (b << 9), xStride, sums);
        const block = <usize>i * blocks + b;
        const at = accumulators + (<usize>i << 4);
        v128.store(at, f32x4.add(v128.load(at), superBlockTerm(kind, v128.load(sums), t, xd, xs, block)));
        v128.store(at, f32x4.add(v128.load(at, 16), superBlockTerm(kind, v128.load(sums, 16), t, xd, xs, block + blocks)), 16);
        v128.store(at, f32x4.add(v128.load(at, 32), superBlockTerm(kind, v128.load(sums, 32), t, xd, xs, block + 2 * blocks)), 32);
        v128.store(at, f32x4.add(v128.load(at, 48), superBlockTerm(kind, v128.load(sums, 48), t, xd, xs, block + 3 * blocks)), 48);
      }
      for (; i < m; i++) {
        const at = accumulators + (<usize>i << 4);
        const s = pairDots1(widened, 128, xq + <usize>i * xStride + (b << 9));
        v128.store(at, f32x4.add(v128.load(at), superBlockTerm(kind, s, t, xd, xs, <usize>i * blocks + b)));
      }
    }
    for (let i = 0; i < m; i++) storePanel(out, bias, n, i, j, v128.load(accumulators + (<usize>i << 4)));
  }
}
