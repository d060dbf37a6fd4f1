// AssemblyScript. Backward kernels that work element by element or row by row,
// following src/backend/js/backward (elementwise.ts, activations.ts, softmax.ts,
// rope.ts), four lanes at a time, every gradient added into (+=):
//  - dst += scale · a (a residual's or a reshape's gradient; scale 1 or any);
//    dst += a ⊙ b (each half of the product's backward: da += dOut ⊙ b, db += dOut ⊙ a);
//    dst *= scale (gradient clipping and accumulation);
//  - activations from their input x (GELU tanh and erf, SiLU) or output y (tanh):
//      GELU tanh: ½(1 + tanh u) + ½x(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²),
//                 u = √(2/π)(x + 0.044715x³)
//      GELU erf:  Φ(x) + x·φ(x), Φ by erf to within 1.5e-7 (Abramowitz & Stegun 7.1.26)
//      SiLU:      σ(x)(1 + x(1 − σ(x)));  tanh: 1 − y²
//    An elementwise job is cut into fixed blocks of elements.
//  - the row softmax from its output, dx += y ⊙ (dOut − Σ y·dOut);
//  - RoPE, each pair turned back by its angle (dx0 += dy0·c + dy1·s, dx1 += dy1·c − dy0·s).

import { expLanes } from "./exp";
import { hsum } from "./lanes";

// Elementwise operations (slot OP).
const ADD_SCALED = 0, MULTIPLY_ADD = 1, SCALE = 2, GELU_TANH = 3, GELU_ERF = 4, SILU = 5, TANH = 6;

// Argument slots (src/backend/wasm/backward.ts writes them).
const OP = 0, N = 1, DST = 2, A = 3, B = 4, FACTOR = 5, PER_CHUNK = 6;

@inline function arg(args: usize, slot: i32): i32 {
  return load<i32>(args + (<usize>slot << 2));
}

const SQRT_TWO_OVER_PI: f32 = 0.7978845608;
const GELU_CUBIC: f32 = 0.044715;
const INV_SQRT_TWO_PI: f32 = 0.3989422804;

@inline function geluTanhSlope(x: v128): v128 {
  const one = f32x4.splat(1), half = f32x4.splat(0.5);
  const x2 = f32x4.mul(x, x);
  const u = f32x4.mul(f32x4.splat(SQRT_TWO_OVER_PI), f32x4.add(x, f32x4.mul(f32x4.splat(GELU_CUBIC), f32x4.mul(x2, x))));
  // With e = e^{−2|u|}: 1 ± tanh|u| = 2/(1 + e) and 2e/(1 + e), 1 − tanh²u their product;
  // no difference of nearly equal numbers where tanh u → ±1 (the slope there is tiny or near 1).
  const e = expLanes(f32x4.mul(f32x4.splat(-2), f32x4.abs(u)));
  const large = f32x4.div(f32x4.splat(2), f32x4.add(one, e));
  const small = f32x4.mul(large, e);
  const onePlusTanh = v128.bitselect(small, large, f32x4.lt(u, f32x4.splat(0)));
  const du = f32x4.mul(f32x4.splat(SQRT_TWO_OVER_PI), f32x4.add(one, f32x4.mul(f32x4.splat(3 * GELU_CUBIC), x2)));
  return f32x4.add(f32x4.mul(half, onePlusTanh), f32x4.mul(f32x4.mul(half, x), f32x4.mul(f32x4.mul(small, large), du)));
}

@inline function geluErfSlope(x: v128): v128 {
  // Φ(x) = ½(1 + erf(x/√2)); erf(z) = 1 − (a1 s + … + a5 s⁵)·e^{−z²}, s = 1/(1 + p|z|), odd in z.
  const one = f32x4.splat(1);
  const z = f32x4.mul(x, f32x4.splat(0.7071067812));
  const az = f32x4.abs(z);
  const s = f32x4.div(one, f32x4.add(one, f32x4.mul(f32x4.splat(0.3275911), az)));
  let poly = f32x4.splat(1.061405429);
  poly = f32x4.add(f32x4.mul(poly, s), f32x4.splat(-1.453152027));
  poly = f32x4.add(f32x4.mul(poly, s), f32x4.splat(1.421413741));
  poly = f32x4.add(f32x4.mul(poly, s), f32x4.splat(-0.284496736));
  poly = f32x4.add(f32x4.mul(poly, s), f32x4.splat(0.254829592));
  const gauss = expLanes(f32x4.neg(f32x4.mul(z, z))); // e^{−x²/2}
  const erfAbs = f32x4.sub(one, f32x4.mul(f32x4.mul(poly, s), gauss));
  const erf = v128.bitselect(f32x4.neg(erfAbs), erfAbs, f32x4.lt(z, f32x4.splat(0)));
  const cdf = f32x4.mul(f32x4.splat(0.5), f32x4.add(one, erf));
  return f32x4.add(cdf, f32x4.mul(x, f32x4.mul(f32x4.splat(INV_SQRT_TWO_PI), gauss)));
}

@inline function siluSlope(x: v128): v128 {
  const one = f32x4.splat(1);
  const sigmoid = f32x4.div(one, f32x4.add(one, expLanes(f32x4.neg(x))));
  return f32x4.mul(sigmoid, f32x4.add(one, f32x4.mul(x, f32x4.sub(one, sigmoid))));
}

/** The op on four lanes: the new value of dst. */
@inline function apply(op: i32, d: v128, a: v128, b: v128, factor: v128): v128 {
  switch (op) {
    case ADD_SCALED: return f32x4.add(d, f32x4.mul(factor, a));
    case MULTIPLY_ADD: return f32x4.add(d, f32x4.mul(a, b));
    case SCALE: return f32x4.mul(d, factor);
    case GELU_TANH: return f32x4.add(d, f32x4.mul(a, geluTanhSlope(b)));
    case GELU_ERF: return f32x4.add(d, f32x4.mul(a, geluErfSlope(b)));
    case SILU: return f32x4.add(d, f32x4.mul(a, siluSlope(b)));
    default: return f32x4.add(d, f32x4.mul(a, f32x4.sub(f32x4.splat(1), f32x4.mul(b, b)))); // TANH
  }
}

/** One block of an elementwise op: dst op= (a, b) for elements [chunk · perChunk, …). */
export function pointwiseTask(args: usize, chunk: i32): void {
  const op = arg(args, OP), n = arg(args, N), perChunk = arg(args, PER_CHUNK);
  const dst = <usize>arg(args, DST), a = <usize>arg(args, A), b = <usize>arg(args, B);
  const factor = f32x4.splat(load<f32>(args + (FACTOR << 2)));
  const from = <usize>(chunk * perChunk) << 2;
  const to = <usize>min(n, chunk * perChunk + perChunk) << 2;
  const to4 = from + ((to - from) & ~15);
  // One loop per op, each with the op fixed (the switch folds away in each copy).
  switch (op) {
    case ADD_SCALED: pointwiseLoop(ADD_SCALED, dst, a, b, factor, from, to4, to); break;
    case MULTIPLY_ADD: pointwiseLoop(MULTIPLY_ADD, dst, a, b, factor, from, to4, to); break;
    case SCALE: pointwiseLoop(SCALE, dst, a, b, factor, from, to4, to); break;
    case GELU_TANH: pointwiseLoop(GELU_TANH, dst, a, b, factor, from, to4, to); break;
    case GELU_ERF: pointwiseLoop(GELU_ERF, dst, a, b, factor, from, to4, to); break;
    case SILU: pointwiseLoop(SILU, dst, a, b, factor, from, to4, to); break;
    default: pointwiseLoop(TANH, dst, a, b, factor, from, to4, to);
  }
}

@inline function pointwiseLoop(op: i32, dst: usize, a: usize, b: usize, factor: v128, from: usize, to4: usize, to: usize): void {
  const readsA = op != SCALE, readsB = op != ADD_SCALED && op != SCALE;
  let t = from;
  for (; t < to4; t += 16) {
    const av = readsA ? v128.load(a + t) : f32x4.splat(0);
    const bv = readsB ? v128.load(b + t) : f32x4.splat(0);
    v128.store(dst + t, apply(op, v128.load(dst + t), av, bv, factor));
  }
  // The tail, one element in lane 0 (the other lanes compute on zeros and are dropped).
  for (; t < to; t += 4) {
    const av = readsA ? f32x4.splat(load<f32>(a + t)) : f32x4.splat(0);
    const bv = readsB ? f32x4.splat(load<f32>(b + t)) : f32x4.splat(0);
    store<f32>(dst + t, f32x4.extract_lane(apply(op, f32x4.splat(load<f32>(dst + t)), av, bv, factor), 0));
  }
}

// Row kernels: softmax and RoPE (slots).
const DX = 0, D_OUT = 1, Y = 2, ROWS = 3, COLS = 4, ROWS_PER_CHUNK = 5;
const COS = 2, SIN = 3, ROPE_ROWS = 4, N_HEADS = 5, HEAD_DIM = 6, ROTARY_DIM = 7, INTERLEAVED = 8, ROPE_ROWS_PER_CHUNK = 9;

/** dx += y ⊙ (dOut − Σ_row y·dOut) for a block of rows. */
export function softmaxBackwardTask(args: usize, chunk: i32): void {
  const rows = arg(args, ROWS), cols = arg(args, COLS), perChunk = arg(args, ROWS_PER_CHUNK);
  const dx = <usize>arg(args, DX), dOut = <usize>arg(args, D_OUT), y = <usize>arg(args, Y);
  const bytes = <usize>cols << 2;
  const b4 = <usize>(cols & ~3) << 2;
  for (let r = chunk * perChunk; r < min(rows, chunk * perChunk + perChunk); r++) {
    const at = <usize>r * bytes;
    const yr = y + at, gr = dOut + at, dr = dx + at;
    let acc = f32x4.splat(0);
    let t: usize = 0;
    for (; t < b4; t += 16) acc = f32x4.add(acc, f32x4.mul(v128.load(yr + t), v128.load(gr + t)));
    let dot = <f64>hsum(acc);
    for (; t < bytes; t += 4) dot += <f64>(load<f32>(yr + t) * load<f32>(gr + t));
    const dotF = <f32>dot;
    const d4 = f32x4.splat(dotF);
    for (t = 0; t < b4; t += 16) {
      v128.store(dr + t, f32x4.add(v128.load(dr + t), f32x4.mul(v128.load(yr + t), f32x4.sub(v128.load(gr + t), d4))));
    }
    for (; t < bytes; t += 4) store<f32>(dr + t, load<f32>(dr + t) + load<f32>(yr + t) * (load<f32>(gr + t) - dotF));
  }
}

/**
 * The backward of RoPE for a block of rows of dx, dOut [rows, nHeads, headDim];
 * cos/sin point at the table row of row 0's position ([rows, rotaryDim/2]).
 */
export function ropeBackwardTask(args: usize, chunk: i32): void {
  const rows = arg(args, ROPE_ROWS), nHeads = arg(args, N_HEADS), headDim = arg(args, HEAD_DIM);
  const rotaryDim = arg(args, ROTARY_DIM), interleaved = arg(args, INTERLEAVED) != 0, perChunk = arg(args, ROPE_ROWS_PER_CHUNK);
  const dx = <usize>arg(args, DX), dOut = <usize>arg(args, D_OUT), cos = <usize>arg(args, COS), sin = <usize>arg(args, SIN);
  const half = rotaryDim >> 1;
  const hb = <usize>half << 2;
  for (let r = chunk * perChunk; r < min(rows, chunk * perChunk + perChunk); r++) {
    const c = cos + (<usize>(r * half) << 2);
    const s = sin + (<usize>(r * half) << 2);
    for (let h = 0; h < nHeads; h++) {
      const at = <usize>((r * nHeads + h) * headDim) << 2;
      const g = dOut + at, d = dx + at;
      if (!interleaved) {
        let i = 0;
        for (; i + 4 <= half; i += 4) {
          const o = <usize>i << 2;
          const cv = v128.load(c + o), sv = v128.load(s + o);
          const g0 = v128.load(g + o), g1 = v128.load(g + hb + o);
          v128.store(d + o, f32x4.add(v128.load(d + o), f32x4.add(f32x4.mul(g0, cv), f32x4.mul(g1, sv))));
          v128.store(d + hb + o, f32x4.add(v128.load(d + hb + o), f32x4.sub(f32x4.mul(g1, cv), f32x4.mul(g0, sv))));
        }
        for (; i < half; i++) {
          const o = <usize>i << 2;
          const cv = load<f32>(c + o), sv = load<f32>(s + o);
          const g0 = load<f32>(g + o), g1 = load<f32>(g + hb + o);
          store<f32>(d + o, load<f32>(d + o) + (g0 * cv + g1 * sv));
          store<f32>(d + hb + o, load<f32>(d + hb + o) + (g1 * cv - g0 * sv));
        }
      } else {
        for (let i = 0; i < half; i++) {
          const o = <usize>i << 2;
          const cv = load<f32>(c + o), sv = load<f32>(s + o);
          const p = o << 1;
          const g0 = load<f32>(g + p), g1 = load<f32>(g + p, 4);
          store<f32>(d + p, load<f32>(d + p) + (g0 * cv + g1 * sv));
          store<f32>(d + p, load<f32>(d + p, 4) + (g1 * cv - g0 * sv), 4);
        }
      }
      for (let o = <usize>rotaryDim << 2; o < <usize>headDim << 2; o += 4) store<f32>(d + o, load<f32>(d + o) + load<f32>(g + o));
    }
  }
}
