// AssemblyScript. Elementwise kernels, norms, softmax, activations and RoPE,
// each following its reference in src/backend/js (norms.ts, softmax.ts,
// activations.ts, elementwise.ts, rope.ts). Sums of squares and means are
// accumulated in f32 lanes, then finished in f64.

import { hsum } from "./lanes";
import { expLanes } from "./exp";

/** Zeroes `bytes` bytes at `at` (bulk memory's memory.fill: several times faster than a typed array's fill on a shared memory). */
export function zero(at: usize, bytes: usize): void {
  memory.fill(at, 0, bytes);
}

/** Copies `bytes` bytes from `from` to `to` (bulk memory's memory.copy; regions may overlap). */
export function copy(to: usize, from: usize, bytes: usize): void {
  memory.copy(to, from, bytes);
}

export function add(out: usize, a: usize, b: usize, n: i32): void {
  const n4 = <usize>(n & ~3) << 2;
  let t: usize = 0;
  for (; t < n4; t += 16) v128.store(out + t, f32x4.add(v128.load(a + t), v128.load(b + t)));
  for (; t < <usize>n << 2; t += 4) store<f32>(out + t, load<f32>(a + t) + load<f32>(b + t));
}

export function mul(out: usize, a: usize, b: usize, n: i32): void {
  const n4 = <usize>(n & ~3) << 2;
  let t: usize = 0;
  for (; t < n4; t += 16) v128.store(out + t, f32x4.mul(v128.load(a + t), v128.load(b + t)));
  for (; t < <usize>n << 2; t += 4) store<f32>(out + t, load<f32>(a + t) * load<f32>(b + t));
}

export function scaleInPlace(x: usize, n: i32, factor: f32): void {
  const n4 = <usize>(n & ~3) << 2;
  const f = f32x4.splat(factor);
  let t: usize = 0;
  for (; t < n4; t += 16) v128.store(x + t, f32x4.mul(v128.load(x + t), f));
  for (; t < <usize>n << 2; t += 4) store<f32>(x + t, load<f32>(x + t) * factor);
}

export function rmsNorm(out: usize, x: usize, weight: usize, rows: i32, dim: i32, eps: f32, weightOffset: f32): void {
  const bytes = <usize>dim << 2;
  const d4 = <usize>(dim & ~3) << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * bytes;
    const or = out + <usize>r * bytes;
    let acc = f32x4.splat(0);
    let t: usize = 0;
    for (; t < d4; t += 16) {
      const v = v128.load(xr + t);
      acc = f32x4.add(acc, f32x4.mul(v, v));
    }
    let sum = <f64>hsum(acc);
    for (; t < bytes; t += 4) {
      const v = <f64>load<f32>(xr + t);
      sum += v * v;
    }
    const inv = <f32>(1 / Math.sqrt(sum / dim + eps));
    const s = f32x4.splat(inv);
    const offset = f32x4.splat(weightOffset);
    t = 0;
    for (; t < d4; t += 16) v128.store(or + t, f32x4.mul(f32x4.mul(v128.load(xr + t), s), f32x4.add(offset, v128.load(weight + t))));
    for (; t < bytes; t += 4) store<f32>(or + t, load<f32>(xr + t) * inv * (weightOffset + load<f32>(weight + t)));
  }
}

export function layerNorm(out: usize, x: usize, weight: usize, bias: usize, rows: i32, dim: i32, eps: f32): void {
  const bytes = <usize>dim << 2;
  const d4 = <usize>(dim & ~3) << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * bytes;
    const or = out + <usize>r * bytes;
    let acc = f32x4.splat(0);
    let t: usize = 0;
    for (; t < d4; t += 16) acc = f32x4.add(acc, v128.load(xr + t));
    let sum = <f64>hsum(acc);
    for (; t < bytes; t += 4) sum += <f64>load<f32>(xr + t);
    const meanF = <f32>(sum / dim);
    const mean = f32x4.splat(meanF);
    acc = f32x4.splat(0);
    t = 0;
    for (; t < d4; t += 16) {
      const d = f32x4.sub(v128.load(xr + t), mean);
      acc = f32x4.add(acc, f32x4.mul(d, d));
    }
    let squares = <f64>hsum(acc);
    for (; t < bytes; t += 4) {
      const d = <f64>(load<f32>(xr + t) - meanF);
      squares += d * d;
    }
    const invF = <f32>(1 / Math.sqrt(squares / dim + eps));
    const inv = f32x4.splat(invF);
    t = 0;
    for (; t < d4; t += 16) {
      const v = f32x4.mul(f32x4.mul(f32x4.sub(v128.load(xr + t), mean), inv), v128.load(weight + t));
      v128.store(or + t, f32x4.add(v, v128.load(bias + t)));
    }
    for (; t < bytes; t += 4) {
      store<f32>(or + t, (load<f32>(xr + t) - meanF) * invF * load<f32>(weight + t) + load<f32>(bias + t));
    }
  }
}

/** Softmax of x[0 .. length) in place (max-subtracted); e^x four lanes at a time. */
export function softmaxSpan(x: usize, length: i32): void {
  const bytes = <usize>length << 2;
  const b4 = <usize>(length & ~3) << 2;
  let mx: f32 = -Infinity;
  for (let t: usize = 0; t < bytes; t += 4) mx = max(mx, load<f32>(x + t));
  const m4 = f32x4.splat(mx);
  let acc = f32x4.splat(0);
  let t: usize = 0;
  for (; t < b4; t += 16) {
    const e = expLanes(f32x4.sub(v128.load(x + t), m4));
    v128.store(x + t, e);
    acc = f32x4.add(acc, e);
  }
  let sum = <f64>hsum(acc);
  for (; t < bytes; t += 4) {
    const e = f32x4.extract_lane(expLanes(f32x4.splat(load<f32>(x + t) - mx)), 0);
    store<f32>(x + t, e);
    sum += e;
  }
  const inv = <f32>(1 / sum);
  const i4 = f32x4.splat(inv);
  t = 0;
  for (; t < b4; t += 16) v128.store(x + t, f32x4.mul(v128.load(x + t), i4));
  for (; t < bytes; t += 4) store<f32>(x + t, load<f32>(x + t) * inv);
}

export function softmaxRows(x: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) softmaxSpan(x + <usize>r * (<usize>cols << 2), cols);
}

const SQRT_TWO_OVER_PI: f64 = 0.7978845608028654;

/**
 * GPT-2's gelu_new, 0.5·x·(1 + tanh(y)) with y = √(2/π)(x + 0.044715x³), computed
 * as the equal x / (1 + e^(−2y)) four lanes at a time.
 */
export function geluTanh(x: usize, n: i32): void {
  const b4 = <usize>(n & ~3) << 2;
  const one = f32x4.splat(1);
  const c = f32x4.splat(<f32>(-2 * SQRT_TWO_OVER_PI));
  const cubic = f32x4.splat(0.044715);
  let t: usize = 0;
  for (; t < b4; t += 16) {
    const v = v128.load(x + t);
    const inner = f32x4.mul(c, f32x4.add(v, f32x4.mul(cubic, f32x4.mul(v, f32x4.mul(v, v)))));
    v128.store(x + t, f32x4.div(v, f32x4.add(one, expLanes(inner))));
  }
  for (; t < <usize>n << 2; t += 4) {
    const v = <f64>load<f32>(x + t);
    store<f32>(x + t, <f32>(0.5 * v * (1 + Math.tanh(SQRT_TWO_OVER_PI * (v + 0.044715 * v * v * v)))));
  }
}

/**
 * erf in f64: Maclaurin series below 2.5, the continued fraction of erfc up to 6,
 * ±1 beyond (the same method as src/backend/erf.ts, |error| < 1e-14).
 */
function erf(x: f64): f64 {
  const a = Math.abs(x);
  if (a < 2.5) {
    const x2 = x * x;
    let power = x;
    let sum = x;
    for (let n = 1; n < 60; n++) {
      power *= -x2 / n;
      const term = power / (2 * n + 1);
      sum += term;
      if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
    }
    return 1.1283791670955126 * sum;
  }
  if (a > 6) return x > 0 ? 1 : -1;
  let fraction = a;
  for (let n = 60; n >= 1; n--) fraction = a + <f64>n / 2 / fraction;
  const complement = Math.exp(-a * a) / 1.7724538509055159 / fraction;
  return x > 0 ? 1 - complement : complement - 1;
}

export function geluErf(x: usize, n: i32): void {
  for (let t: usize = 0; t < <usize>n << 2; t += 4) {
    const v = <f64>load<f32>(x + t);
    store<f32>(x + t, <f32>(0.5 * v * (1 + erf(v * 0.7071067811865476))));
  }
}

export function tanhInPlace(x: usize, n: i32): void {
  for (let t: usize = 0; t < <usize>n << 2; t += 4) store<f32>(x + t, <f32>Math.tanh(<f64>load<f32>(x + t)));
}

export function relu(x: usize, n: i32): void {
  const n4 = <usize>(n & ~3) << 2;
  const zero = f32x4.splat(0);
  let t: usize = 0;
  for (; t < n4; t += 16) v128.store(x + t, f32x4.pmax(zero, v128.load(x + t)));
  for (; t < <usize>n << 2; t += 4) {
    const v = load<f32>(x + t);
    store<f32>(x + t, v > 0 ? v : 0);
  }
}

/** x · σ(x) = x / (1 + e^−x), four lanes at a time. */
export function silu(x: usize, n: i32): void {
  const b4 = <usize>(n & ~3) << 2;
  const one = f32x4.splat(1);
  let t: usize = 0;
  for (; t < b4; t += 16) {
    const v = v128.load(x + t);
    v128.store(x + t, f32x4.div(v, f32x4.add(one, expLanes(f32x4.neg(v)))));
  }
  for (; t < <usize>n << 2; t += 4) {
    const v = f32x4.splat(load<f32>(x + t));
    store<f32>(x + t, f32x4.extract_lane(f32x4.div(v, f32x4.add(one, expLanes(f32x4.neg(v)))), 0));
  }
}

/**
 * RoPE in place on x [rows, nHeads, headDim]; cos/sin point at the table row of
 * row 0's position ([rows, rotaryDim/2]). interleaved = 0: pairs (i, i + half);
 * 1: pairs (2i, 2i + 1).
 */
export function rope(x: usize, rows: i32, nHeads: i32, headDim: i32, cos: usize, sin: usize, rotaryDim: i32, interleaved: i32): void {
  const half = rotaryDim >> 1;
  for (let r = 0; r < rows; r++) {
    const c = cos + (<usize>(r * half) << 2);
    const s = sin + (<usize>(r * half) << 2);
    for (let h = 0; h < nHeads; h++) {
      const base = x + (<usize>((r * nHeads + h) * headDim) << 2);
      if (interleaved == 0) {
        let i = 0;
        const hb = <usize>half << 2;
        for (; i + 4 <= half; i += 4) {
          const o = <usize>i << 2;
          const cv = v128.load(c + o), sv = v128.load(s + o);
          const x0 = v128.load(base + o), x1 = v128.load(base + hb + o);
          v128.store(base + o, f32x4.sub(f32x4.mul(x0, cv), f32x4.mul(x1, sv)));
          v128.store(base + hb + o, f32x4.add(f32x4.mul(x0, sv), f32x4.mul(x1, cv)));
        }
        for (; i < half; i++) {
          const o = <usize>i << 2;
          const cv = load<f32>(c + o), sv = load<f32>(s + o);
          const x0 = load<f32>(base + o), x1 = load<f32>(base + hb + o);
          store<f32>(base + o, x0 * cv - x1 * sv);
          store<f32>(base + hb + o, x0 * sv + x1 * cv);
        }
      } else {
        for (let i = 0; i < half; i++) {
          const o = <usize>i << 2;
          const cv = load<f32>(c + o), sv = load<f32>(s + o);
          const p = base + (o << 1);
          const x0 = load<f32>(p), x1 = load<f32>(p, 4);
          store<f32>(p, x0 * cv - x1 * sv);
          store<f32>(p, x0 * sv + x1 * cv, 4);
        }
      }
    }
  }
}

/** Σ x[0 .. n) with n a multiple of 16: a streaming read, the memory-bandwidth probe of bench/kernels.ts. */
export function sumForBandwidth(x: usize, n: i32): f32 {
  let a = f32x4.splat(0), b = f32x4.splat(0), c = f32x4.splat(0), d = f32x4.splat(0);
  for (let t: usize = 0; t < <usize>n << 2; t += 64) {
    a = f32x4.add(a, v128.load(x + t));
    b = f32x4.add(b, v128.load(x + t, 16));
    c = f32x4.add(c, v128.load(x + t, 32));
    d = f32x4.add(d, v128.load(x + t, 48));
  }
  const s = f32x4.add(f32x4.add(a, b), f32x4.add(c, d));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}
