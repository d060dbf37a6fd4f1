// AssemblyScript (compiled to WebAssembly SIMD by scripts/build-wasm.mjs; not part
// of the tsc project). Float32 matrix product out[m, n] = x[m, k] · wᵀ (+ bias),
// w in nn.Linear layout [n, k]: the hot spot of every forward pass.
// Follows the reference src/backend/js/matmul.ts; sums accumulate in f32 lanes.
// Every pointer is a byte address in the shared linear memory; [j0, j1) is the
// slice of output columns (weight rows) this thread computes.
//  - m = 1 (decode): a matrix–vector product, memory-bound: each weight row is
//    streamed on its own, sixteen floats per step in four accumulators.
//  - m > 1 (prefill): tiles of 4 x-rows × 2 weight rows; the weight pair stays in
//    L1 while the x rows stream from L2, so each weight is read once per 4 tokens
//    from L1 and once per call from memory.
//  - matmulF32Columns: GPT-2's Conv1D layout [k, stride] (16-column blocks, or a
//    row-streaming axpy for m = 1).

import { hsum, biasAt } from "./lanes";

/**
 * out[row, j0..j1) for one x row: one weight row at a time, 16 floats per step in
 * four accumulators. Streaming a single row is what reaches the memory bandwidth
 * here: interleaving 2–4 weight rows measured 2–4× slower on large matrices
 * (bench/kernels.ts, 2026-11-22), presumably the hardware prefetcher.
 */
function matvecRow(out: usize, x: usize, w: usize, bias: usize, n: i32, k: i32, j0: i32, j1: i32): void {
  const rowBytes = <usize>k << 2;
  const k16 = <usize>(k & ~15) << 2;
  const k4 = <usize>(k & ~3) << 2;
  for (let j = j0; j < j1; j++) {
    const wj = w + <usize>j * rowBytes;
    let a = f32x4.splat(0), b = f32x4.splat(0), c = f32x4.splat(0), d = f32x4.splat(0);
    let t: usize = 0;
    for (; t < k16; t += 64) {
      a = f32x4.add(a, f32x4.mul(v128.load(wj + t), v128.load(x + t)));
      b = f32x4.add(b, f32x4.mul(v128.load(wj + t, 16), v128.load(x + t, 16)));
      c = f32x4.add(c, f32x4.mul(v128.load(wj + t, 32), v128.load(x + t, 32)));
      d = f32x4.add(d, f32x4.mul(v128.load(wj + t, 48), v128.load(x + t, 48)));
    }
    for (; t < k4; t += 16) a = f32x4.add(a, f32x4.mul(v128.load(wj + t), v128.load(x + t)));
    let s = hsum(f32x4.add(f32x4.add(a, b), f32x4.add(c, d)));
    for (; t < rowBytes; t += 4) s += load<f32>(wj + t) * load<f32>(x + t);
    store<f32>(out + (<usize>j << 2), s + biasAt(bias, j));
  }
}

/** Four x rows against weight rows j and j+1 (a 4×2 tile of out). */
@inline function tile4x2(out: usize, x: usize, w: usize, bias: usize, n: i32, k: i32, j: i32): void {
  const rowBytes = <usize>k << 2;
  const k4 = k & ~3;
  const x0 = x, x1 = x0 + rowBytes, x2 = x1 + rowBytes, x3 = x2 + rowBytes;
  const w0 = w + <usize>j * rowBytes;
  const w1 = w0 + rowBytes;
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let t: usize = 0; t < <usize>k4 << 2; t += 16) {
    const v0 = v128.load(w0 + t);
    const v1 = v128.load(w1 + t);
    let xv = v128.load(x0 + t);
    c00 = f32x4.add(c00, f32x4.mul(xv, v0));
    c01 = f32x4.add(c01, f32x4.mul(xv, v1));
    xv = v128.load(x1 + t);
    c10 = f32x4.add(c10, f32x4.mul(xv, v0));
    c11 = f32x4.add(c11, f32x4.mul(xv, v1));
    xv = v128.load(x2 + t);
    c20 = f32x4.add(c20, f32x4.mul(xv, v0));
    c21 = f32x4.add(c21, f32x4.mul(xv, v1));
    xv = v128.load(x3 + t);
    c30 = f32x4.add(c30, f32x4.mul(xv, v0));
    c31 = f32x4.add(c31, f32x4.mul(xv, v1));
  }
  let s00 = hsum(c00), s01 = hsum(c01), s10 = hsum(c10), s11 = hsum(c11);
  let s20 = hsum(c20), s21 = hsum(c21), s30 = hsum(c30), s31 = hsum(c31);
  for (let t = k4; t < k; t++) {
    const o = <usize>t << 2;
    const a = load<f32>(w0 + o), b = load<f32>(w1 + o);
    const y0 = load<f32>(x0 + o), y1 = load<f32>(x1 + o), y2 = load<f32>(x2 + o), y3 = load<f32>(x3 + o);
    s00 += y0 * a; s01 += y0 * b;
    s10 += y1 * a; s11 += y1 * b;
    s20 += y2 * a; s21 += y2 * b;
    s30 += y3 * a; s31 += y3 * b;
  }
  const b0 = biasAt(bias, j), b1 = biasAt(bias, j + 1);
  const outRow = <usize>n << 2;
  const o = out + (<usize>j << 2);
  store<f32>(o, s00 + b0); store<f32>(o, s01 + b1, 4);
  store<f32>(o + outRow, s10 + b0); store<f32>(o + outRow, s11 + b1, 4);
  store<f32>(o + 2 * outRow, s20 + b0); store<f32>(o + 2 * outRow, s21 + b1, 4);
  store<f32>(o + 3 * outRow, s30 + b0); store<f32>(o + 3 * outRow, s31 + b1, 4);
}

export function matmulF32(out: usize, x: usize, w: usize, bias: usize, m: i32, n: i32, k: i32, j0: i32, j1: i32): void {
  const xRow = <usize>k << 2;
  const outRow = <usize>n << 2;
  const m4 = m & ~3;
  if (m4 > 0) {
    // Weight-row pairs outer, x quads inner: the pair stays in L1 for all quads.
    let j = j0;
    for (; j + 2 <= j1; j += 2) {
      for (let i = 0; i < m4; i += 4) tile4x2(out + <usize>i * outRow, x + <usize>i * xRow, w, bias, n, k, j);
    }
    if (j < j1) {
      for (let i = 0; i < m4; i++) matvecRow(out + <usize>i * outRow, x + <usize>i * xRow, w, bias, n, k, j, j1);
    }
  }
  for (let i = m4; i < m; i++) matvecRow(out + <usize>i * outRow, x + <usize>i * xRow, w, bias, n, k, j0, j1);
}

/**
 * GPT-2's Conv1D layout: out[m, j] = Σ_t x[m, t] · W[t, first + j] (+ bias[j]) for
 * j in [j0, j1), W stored [k, stride] (the transpose of nn.Linear), as
 * src/backend/js/matmul.ts matmulF32Columns. Blocks of 16 output columns (four
 * vectors, one cache line of each weight row) accumulate in registers while t
 * walks down the rows; two x rows share every weight load.
 */
export function matmulF32Columns(
  out: usize, x: usize, w: usize, bias: usize, m: i32, n: i32, k: i32, stride: i32, first: i32, j0: i32, j1: i32,
): void {
  const xRow = <usize>k << 2;
  const outRow = <usize>n << 2;
  const wRow = <usize>stride << 2;
  const base = w + (<usize>first << 2);
  if (m == 1) {
    matvecColumns(out, x, base, bias, k, wRow, j0, j1);
    return;
  }
  let j = j0;
  for (; j + 16 <= j1; j += 16) {
    const wj = base + (<usize>j << 2);
    let i = 0;
    for (; i + 2 <= m; i += 2) {
      const xa = x + <usize>i * xRow;
      const xb = xa + xRow;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
      let p = wj;
      for (let t: usize = 0; t < xRow; t += 4) {
        const va = f32x4.splat(load<f32>(xa + t));
        const vb = f32x4.splat(load<f32>(xb + t));
        const w0 = v128.load(p), w1 = v128.load(p, 16), w2 = v128.load(p, 32), w3 = v128.load(p, 48);
        a0 = f32x4.add(a0, f32x4.mul(va, w0)); b0 = f32x4.add(b0, f32x4.mul(vb, w0));
        a1 = f32x4.add(a1, f32x4.mul(va, w1)); b1 = f32x4.add(b1, f32x4.mul(vb, w1));
        a2 = f32x4.add(a2, f32x4.mul(va, w2)); b2 = f32x4.add(b2, f32x4.mul(vb, w2));
        a3 = f32x4.add(a3, f32x4.mul(va, w3)); b3 = f32x4.add(b3, f32x4.mul(vb, w3));
        p += wRow;
      }
      const oa = out + <usize>i * outRow + (<usize>j << 2);
      const ob = oa + outRow;
      storeBlock16(oa, a0, a1, a2, a3, bias, j);
      storeBlock16(ob, b0, b1, b2, b3, bias, j);
    }
    if (i < m) {
      const xa = x + <usize>i * xRow;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let p = wj;
      for (let t: usize = 0; t < xRow; t += 4) {
        const va = f32x4.splat(load<f32>(xa + t));
        a0 = f32x4.add(a0, f32x4.mul(va, v128.load(p)));
        a1 = f32x4.add(a1, f32x4.mul(va, v128.load(p, 16)));
        a2 = f32x4.add(a2, f32x4.mul(va, v128.load(p, 32)));
        a3 = f32x4.add(a3, f32x4.mul(va, v128.load(p, 48)));
        p += wRow;
      }
      storeBlock16(out + <usize>i * outRow + (<usize>j << 2), a0, a1, a2, a3, bias, j);
    }
  }
  for (; j + 4 <= j1; j += 4) {
    const wj = base + (<usize>j << 2);
    for (let i = 0; i < m; i++) {
      const xa = x + <usize>i * xRow;
      let a0 = f32x4.splat(0);
      let p = wj;
      for (let t: usize = 0; t < xRow; t += 4) {
        a0 = f32x4.add(a0, f32x4.mul(f32x4.splat(load<f32>(xa + t)), v128.load(p)));
        p += wRow;
      }
      if (bias != 0) a0 = f32x4.add(a0, v128.load(bias + (<usize>j << 2)));
      v128.store(out + <usize>i * outRow + (<usize>j << 2), a0);
    }
  }
  for (; j < j1; j++) {
    const wj = base + (<usize>j << 2);
    for (let i = 0; i < m; i++) {
      const xa = x + <usize>i * xRow;
      let s: f32 = 0;
      let p = wj;
      for (let t: usize = 0; t < xRow; t += 4) {
        s += load<f32>(xa + t) * load<f32>(p);
        p += wRow;
      }
      store<f32>(out + <usize>i * outRow + (<usize>j << 2), s + biasAt(bias, j));
    }
  }
}

@inline function storeBlock16(o: usize, a0: v128, a1: v128, a2: v128, a3: v128, bias: usize, j: i32): void {
  if (bias != 0) {
    const b = bias + (<usize>j << 2);
    a0 = f32x4.add(a0, v128.load(b));
    a1 = f32x4.add(a1, v128.load(b, 16));
    a2 = f32x4.add(a2, v128.load(b, 32));
    a3 = f32x4.add(a3, v128.load(b, 48));
  }
  v128.store(o, a0);
  v128.store(o, a1, 16);
  v128.store(o, a2, 32);
  v128.store(o, a3, 48);
}

/**
 * The m = 1 (decode) case of matmulF32Columns, as y += x[t] · W[t, j0..j1) row
 * after row: the weights stream in storage order (a column-block walk jumps
 * between rows and reads memory ~4× slower), the output slice stays in L1. Each
 * output is summed over t in the same order as the blocked loop, so both paths
 * give the same bits.
 */
function matvecColumns(out: usize, x: usize, w: usize, bias: usize, k: i32, wRow: usize, j0: i32, j1: i32): void {
  const o = out + (<usize>j0 << 2);
  const bytes = <usize>(j1 - j0) << 2;
  const b16 = bytes & ~63;
  const b4 = bytes & ~15;
  for (let c: usize = 0; c < bytes; c += 4) store<f32>(o + c, 0);
  let row = w + (<usize>j0 << 2);
  for (let t = 0; t < k; t++) {
    const xs = load<f32>(x + (<usize>t << 2));
    const xv = f32x4.splat(xs);
    let c: usize = 0;
    for (; c < b16; c += 64) {
      v128.store(o + c, f32x4.add(v128.load(o + c), f32x4.mul(xv, v128.load(row + c))));
      v128.store(o + c, f32x4.add(v128.load(o + c, 16), f32x4.mul(xv, v128.load(row + c, 16))), 16);
      v128.store(o + c, f32x4.add(v128.load(o + c, 32), f32x4.mul(xv, v128.load(row + c, 32))), 32);
      v128.store(o + c, f32x4.add(v128.load(o + c, 48), f32x4.mul(xv, v128.load(row + c, 48))), 48);
    }
    for (; c < b4; c += 16) v128.store(o + c, f32x4.add(v128.load(o + c), f32x4.mul(xv, v128.load(row + c))));
    for (; c < bytes; c += 4) store<f32>(o + c, load<f32>(o + c) + xs * load<f32>(row + c));
    row += wRow;
  }
  if (bias != 0) {
    const b = bias + (<usize>j0 << 2);
    for (let c: usize = 0; c < bytes; c += 4) store<f32>(o + c, load<f32>(o + c) + load<f32>(b + c));
  }
}
