// `npm run bench -- kernels [--quick]`: memory read bandwidth (the bound of decode),
// then matvec (m = 1, decode) and matmul (m = 64, prefill) speed of f32, F16, Q8_0,
// Q4_0, Q4_K, Q5_K and Q6_K weights on the 110M-Llama shapes, per backend and thread count, in GB/s of
// weights read and GFLOP/s. Prints figures; asserts nothing.

import { availableParallelism } from "node:os";
import type { Backend } from "../src/backend/backend.js";
import { BandwidthProbe } from "./bandwidth.js";
import { jsBackend } from "../src/backend/js/index.js";
import { jsBackwardKernels } from "../src/backend/js/backward/index.js";
import type { BackwardKernels } from "../src/backend/backward.js";
import { createWasmBackend, WasmBackend } from "../src/backend/wasm/index.js";
import { quantizeMatrix } from "../src/tensor/quantize.js";
import { BLOCK_FORMATS, isBlockQuantType } from "../src/tensor/block-formats.js";
import { f32ToF16 } from "../src/tensor/dtype.js";
import { f32Matrix, halfMatrix, type WeightMatrix } from "../src/tensor/weights.js";

/** Bytes of weights (and scales) a product with `w` reads, as GGUF stores them. */
function weightBytes(w: WeightMatrix): number {
  const n = w.rows * w.cols;
  if (isBlockQuantType(w.type)) return (n / BLOCK_FORMATS[w.type].blockSize) * BLOCK_FORMATS[w.type].blockBytes;
  if (w.type === "f16" || w.type === "bf16") return n * 2;
  return w.type === "f32" || w.type === "f32_columns" ? n * 4 : w.type === "q8_0" ? (n / 32) * 34 : (n / 32) * 18;
}

/** Seconds per call of `body`, the median of runs over about `seconds`. */
function timeIt(body: () => void, seconds: number): number {
  body();
  const samples: number[] = [];
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end || samples.length < 3) {
    const t0 = performance.now();
    body();
    samples.push((performance.now() - t0) / 1000);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1]!;
}

export async function main(args: string[]): Promise<void> {
  const quick = args.includes("--quick");
  const seconds = quick ? 0.3 : 1;
  const cores = availableParallelism();
  console.log(`memory read bandwidth (512 MiB, WASM SIMD streaming sum, median of 5), ${new Date().toISOString()}`);
  for (const threads of [...new Set([1, Math.min(2, cores)])]) {
    const probe = await BandwidthProbe.start(threads);
    console.log(`  ${threads} thread${threads > 1 ? "s" : ""}: ${(await probe.measure(5)).toFixed(1)} GB/s`);
    await probe.stop();
  }
  const backends: [string, Backend & { dispose?(): void }][] = [["js", jsBackend]];
  for (const threads of [...new Set([1, Math.min(2, cores), cores])]) {
    backends.push([`wasm×${threads}`, await createWasmBackend({ threads })]);
  }
  const shapes: [string, number, number][] = [["768×768", 768, 768], ["2048×768", 2048, 768], ["768×2048", 768, 2048], ["32000×768", 32000, 768]];
  console.log("\nmatvec/matmul: out[m, n] = x[m, k] · W[n, k]ᵀ  (GB/s of weights read; GFLOP/s)");
  console.log(`  ${"backend".padEnd(9)} ${"type".padEnd(5)} ${"n×k".padEnd(10)} ${"m=1 GB/s".padStart(9)} ${"m=1 GFLOP/s".padStart(12)} ${"m=64 GFLOP/s".padStart(13)}`);
  for (const [name, n, k] of shapes) {
    const data = new Float32Array(n * k).map((_, i) => Math.sin(i) * 0.05);
    for (const type of ["f32", "f16", "q8_0", "q4_0", "q4_k", "q5_k", "q6_k"] as const) {
      const matrix =
        type === "f32" ? f32Matrix(data, n, k) : type === "f16" ? halfMatrix("f16", Uint16Array.from(data, f32ToF16), n, k) : quantizeMatrix(data, n, k, type);
      for (const [label, backend] of backends) {
        if (label === "js" && (type !== "f32" || (quick && n > 2048))) continue;
        const w = backend.uploadMatrix(matrix);
        const x = backend.allocate(64 * k).fill(0.5);
        const out = backend.allocate(64 * n);
        const one = timeIt(() => backend.matmul(out, x, w, null, 1), seconds);
        const many = label === "js" && n > 2048 ? NaN : timeIt(() => backend.matmul(out, x, w, null, 64), seconds);
        console.log(
          `  ${label.padEnd(9)} ${type.padEnd(5)} ${name.padEnd(10)} ${(weightBytes(w) / one / 1e9).toFixed(1).padStart(9)} ` +
            `${((2 * n * k) / one / 1e9).toFixed(1).padStart(12)} ${((2 * 64 * n * k) / many / 1e9).toFixed(1).padStart(13)}`,
        );
      }
    }
  }
  console.log("\ntraining matmuls, rows = 128 tokens: forward x·Wᵀ, backward dx = dOut·W and dW += dOutᵀ·x (GFLOP/s)");
  const rows = 128;
  for (const [name, n, k] of shapes.slice(0, 3)) {
    let jsTimes: number[] = [];
    for (const [label, backend] of backends) {
      const backward: BackwardKernels<Float32Array> = backend instanceof WasmBackend ? backend.backwardKernels() : jsBackwardKernels;
      const w = backend.allocate(n * k).map((_, i) => Math.sin(i) * 0.05);
      const x = backend.allocate(rows * k).fill(0.5);
      const out = backend.allocate(rows * n);
      const dOut = backend.allocate(rows * n).fill(0.1);
      const dx = backend.allocate(rows * k);
      const dw = backend.allocate(n * k);
      const matrix = f32Matrix(w, n, k);
      const forward = timeIt(() => backend.matmul(out, x, matrix, null, rows), seconds);
      const backX = timeIt(() => backward.matmulBackward(dx, null, null, dOut, x, w, rows, n, k), seconds);
      const backW = timeIt(() => backward.matmulBackward(null, dw, null, dOut, x, w, rows, n, k), seconds);
      const times = [forward, backX, backW];
      if (label === "js") jsTimes = times;
      const flops = 2 * rows * n * k;
      const cells = times.map((t, i) => `${(flops / t / 1e9).toFixed(1).padStart(6)} (${(jsTimes[i]! / t).toFixed(1)}× js)`);
      console.log(`  ${label.padEnd(9)} ${name.padEnd(10)} forward ${cells[0]}  dx ${cells[1]}  dW ${cells[2]}`);
    }
  }
  for (const [, backend] of backends) backend.dispose?.();
}
