// AssemblyScript (compiled to WebAssembly SIMD by scripts/build-wasm.mjs; not part
// of the tsc project). Float32 matrix product out[m, n] = x[m, k] · wᵀ (+ bias),
// w in nn.Linear layout [n, k]: the hot spot of every forward pass.
// Follows the reference src/backend/js/matmul.ts; sums accumulate in f32 lanes.
// Every pointer is a byte address in the shared linear memory; [j0, j1) is the
// slice of output columns (weight rows) this thread computes. These are the
// matrix–vector products of decoding (m = 1, up to 3 rows), memory-bound: each
// weight row is streamed on its own, sixteen floats per step in four
// accumulators; GPT-2's Conv1D layout [k, stride] as a row-streaming axpy.
// Products of more rows (prompt processing, training) are gemm.ts's.

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

/** out[i, j0..j1) for each of the m rows of x (the TypeScript side sends m ≥ 4 to gemm.ts). */
export function matmulF32(out: usize, x: usize, w: usize, bias: usize, m: i32, n: i32, k: i32, j0: i32, j1: i32): void {
  const xRow = <usize>k << 2;
  const outRow = <usize>n << 2;
  for (let i = 0; i < m; i++) matvecRow(out + <usize>i * outRow, x + <usize>i * xRow, w, bias, n, k, j0, j1);
}

/**
 * GPT-2's Conv1D layout: out[i, j] = Σ_t x[i, t] · W[t, first + j] (+ bias[j]) for
 * j in [j0, j1), W stored [k, stride] (the transpose of nn.Linear), as
 * src/backend/js/matmul.ts matmulF32Columns, one x row at a time (the TypeScript
 * side sends m ≥ 2 to gemm.ts).
 */
export function matmulF32Columns(
  out: usize, x: usize, w: usize, bias: usize, m: i32, n: i32, k: i32, stride: i32, first: i32, j0: i32, j1: i32,
): void {
  const xRow = <usize>k << 2;
  const outRow = <usize>n << 2;
  const base = w + (<usize>first << 2);
  for (let i = 0; i < m; i++) matvecColumns(out + <usize>i * outRow, x + <usize>i * xRow, base, bias, k, <usize>stride << 2, j0, j1);
}

/**
 * One x row of matmulF32Columns, as y += x[t] · W[t, j0..j1) row after row: the
 * weights stream in storage order (a column-block walk jumps between rows and
 * reads memory ~4× slower), the output slice stays in L1.
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
