// Plans and runs the packed-panel matrix product of kernels/gemm.ts,
//   C[m, n] (+)= A[m, k] · B[k, n] (+ bias),
// for every f32 product of prompt processing and training: the forward x·Wᵀ
// (B = W stored [n, k], transposed in the kernel's packing), GPT-2's Conv1D
// windows (B = W[:, first ..] stored [k, stride]), and the backward products
// dx += dOut·W and dW += dOutᵀ·x (A stored transposed). Work is cut into blocks of
// C: columns in multiples of the kernel's 8-wide panels (at most 256 columns, which
// bounds each thread's packed scratch), and, when there are too few column blocks
// to go round, rows in multiples of its 4-row tiles.

import { TASK_GEMM, type Tasks } from "./tasks.js";
import type { KernelExports } from "./module.js";

export interface GemmOperands {
  /** C's address and its row stride in floats. */
  c: number;
  ldc: number;
  /** A's address, its row stride in floats, and whether it is stored [k, m] (transposed). */
  a: number;
  lda: number;
  aTransposed: boolean;
  /** B's address, its row stride in floats, and whether it is stored [n, k] (transposed). */
  b: number;
  ldb: number;
  bTransposed: boolean;
  m: number;
  n: number;
  k: number;
  /** C += A·B (true) or C = A·B + bias (false). */
  accumulate: boolean;
  /** Address of bias[n], or 0; used when not accumulating. */
  bias: number;
}

/** Below this many multiply–adds a product runs on the calling thread alone. */
export const PARALLEL_GEMM_WORK = 64 * 1024;
/** About this many blocks of C per thread, so a descheduled thread's share is taken over in small pieces. */
const CHUNKS_PER_THREAD = 8;
const PANEL = 8;
const TILE_ROWS = 4;
/** Columns of a block at most (32 panels): a thread's packed scratch stays within 256 × 256 floats. */
const MAX_BLOCK_COLUMNS = 256;

export function runGemm(tasks: Tasks, kernels: KernelExports, g: GemmOperands): void {
  const { m, n, k } = g;
  if (m === 0 || n === 0) return;
  const parallel = tasks.threads > 1 && m * n * k >= PARALLEL_GEMM_WORK;
  const target = parallel ? CHUNKS_PER_THREAD * tasks.threads : 1;
  const panels = Math.ceil(n / PANEL);
  const colsPerChunk = Math.min(MAX_BLOCK_COLUMNS, PANEL * Math.ceil(panels / target));
  const colChunks = Math.ceil(n / colsPerChunk);
  const rowTiles = Math.ceil(m / TILE_ROWS);
  const rowChunks = Math.min(rowTiles, Math.max(1, Math.ceil(target / colChunks)));
  const rowsPerChunk = TILE_ROWS * Math.ceil(rowTiles / rowChunks);
  const chunks = colChunks * Math.ceil(m / rowsPerChunk);
  const scratch = tasks.scratch(kernels.gemmScratchBytes(colsPerChunk), parallel);
  const block = tasks.block([
    g.c, g.ldc, g.a, g.lda, g.aTransposed ? 1 : 0, g.b, g.ldb, g.bTransposed ? 1 : 0,
    m, n, k, g.accumulate ? 1 : 0, g.bias, rowsPerChunk, colsPerChunk, colChunks, scratch.at, scratch.bytes,
  ]);
  tasks.run(TASK_GEMM, block, chunks, parallel);
}
