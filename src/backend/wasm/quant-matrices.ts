// The WASM backend's quantized matrices (Q8_0, Q4_0 and ggml's other block formats):
// placed once as panels (quant-panels.ts), and multiplied by quantizing the activations
// (kernels/quant-activations.ts) then running the panel kernels (kernels/quant-matmul.ts)
// over chunks of whole panels on the thread pool.

import type { BlockQuantMatrix, Q4_0Matrix, Q8_0Matrix, WeightMatrix } from "../../tensor/weights.js";
import { ARGS, OP_MATMUL_QUANT, chunkRows } from "./jobs.js";
import type { WasmMemory } from "./memory.js";
import type { KernelExports } from "./module.js";
import { ActivationKind, PANEL_ROWS, isPanelType, packPanels, panelKernel, unpackPanels, type PanelMatrix } from "./quant-panels.js";
import type { ThreadPool } from "./thread-pool.js";

export function isPanelMatrix(w: WeightMatrix): w is PanelMatrix {
  return isPanelType(w.type);
}

/** Writes `m` as panels into the memory at `data` (panelBytes of it, reserved by the caller); returns that address. */
export function placePanels(mem: WasmMemory, m: PanelMatrix, data: number): number {
  packPanels(mem.memory.buffer, data, m);
  return data;
}

/**
 * The matrix object uploadMatrix hands out for panels at `data`: the backend keeps this
 * one copy; its quants/scales (Q8_0, Q4_0) or blocks are rebuilt, as new arrays, when
 * someone asks for them (e.g. to write a GGUF file).
 */
export function panelMatrixView(mem: WasmMemory, data: number, m: PanelMatrix): PanelMatrix {
  const { type, rows, cols } = m;
  const unpack = () => unpackPanels(mem.memory.buffer, data, type, rows, cols);
  if (type === "q8_0") {
    return { type, rows, cols, get quants() { return (unpack() as Q8_0Matrix).quants; }, get scales() { return (unpack() as Q8_0Matrix).scales; } } satisfies Q8_0Matrix;
  }
  if (type === "q4_0") {
    return { type, rows, cols, get quants() { return (unpack() as Q4_0Matrix).quants; }, get scales() { return (unpack() as Q4_0Matrix).scales; } } satisfies Q4_0Matrix;
  }
  return { type, rows, cols, get blocks() { return (unpack() as BlockQuantMatrix).blocks; } } satisfies BlockQuantMatrix;
}

/** Bytes of activation sums per block: an f32 s per 32 (Q8_0/Q8_1), or i16 sums per 16 and 32 per 256 (Q8_K). */
const SUM_BYTES: Record<ActivationKind, number> = { [ActivationKind.Q8_0]: 4, [ActivationKind.Q8_1]: 4, [ActivationKind.Q8_K]: 48 };

/** Below this many multiply–adds a matmul runs on the calling thread alone. */
const PARALLEL_WORK = 64 * 1024;
/** A parallel matmul is cut into about this many chunks (of whole panels) per thread. */
const CHUNKS_PER_THREAD = 8;

/**
 * out[m, n] = x[m, k] · wᵀ + bias for a matrix held as panels at `w` (all addresses in
 * the memory; temporaries are reserved from it and released by the caller).
 */
export function panelProduct(
  mem: WasmMemory, kernels: KernelExports, pool: ThreadPool | null, type: PanelMatrix["type"],
  out: number, x: number, w: number, bias: number, m: number, n: number, k: number,
): void {
  const { kind, activation, blockSize } = panelKernel(type);
  if (k % blockSize !== 0) throw new RangeError(`${type} weight has ${k} columns, not a multiple of ${blockSize}`);
  const blocks = (m * k) / blockSize;
  // i16 levels, and for Q8_K room for the relaxed-SIMD build's two int8 copies of them.
  const xq = mem.reserve(m * k * (activation === ActivationKind.Q8_K ? 4 : 2));
  const xd = mem.reserve(blocks * 4);
  const xs = mem.reserve(blocks * SUM_BYTES[activation]);
  kernels.quantizeActivations(activation, xq, xd, xs, x, m, k);
  // Per thread: widened weights and a float accumulator per row for m ≥ 4, and 64 bytes the kernels write to order their loads.
  const scratchBytes = Math.ceil(kernels.quantScratchBytes(m) / 64) * 64;
  if (pool !== null && m * n * k >= PARALLEL_WORK && n >= 2 * PANEL_ROWS) {
    const rows = chunkRows(n, CHUNKS_PER_THREAD * pool.parts, PANEL_ROWS);
    const scratch = mem.reserve(scratchBytes * pool.parts);
    pool.ints.set([kind, out, xq, xd, xs, w, bias, m, n, k, rows, scratch, scratchBytes], ARGS);
    pool.run(OP_MATMUL_QUANT, Math.ceil(n / rows));
  } else {
    kernels.matmulQuant(kind, out, xq, xd, xs, w, bias, m, n, k, 0, n, mem.reserve(scratchBytes));
  }
}
