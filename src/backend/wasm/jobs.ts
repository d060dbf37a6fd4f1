// Work shared between threads. A job (one matmul, one attention call) is cut into
// chunks of output rows: weight rows of a matmul, query heads of attention. Chunk
// edges fall where the kernels' own blocking does (multiples of 4 rows, of 16
// columns), so every output is computed by the same code whichever chunk and
// thread hold it: results are identical for any number of threads. Threads claim chunks with an atomic
// counter, so a thread the OS has descheduled holds up nobody: the others take
// its chunks (the calling thread alone finishes a job if no worker wakes).

import type { KernelExports } from "./module.js";

/** Int32 slots of the control block (a SharedArrayBuffer). */
export const GENERATION = 0;
/** Threads inside the current job (workers register before they read its arguments). */
export const ACTIVE = 1;
export const STOP = 2;
export const OP = 3;
/** Chunks in the current job, the next unclaimed chunk, chunks finished. */
export const TOTAL = 4;
export const NEXT = 5;
export const DONE = 6;
/** Integer arguments start here; float arguments are in the same slots read as float32. */
export const ARGS = 8;
export const CONTROL_INTS = 32;

export const OP_MATMUL_F32 = 1;
export const OP_MATMUL_QUANT = 2;
export const OP_ATTENTION = 3;
export const OP_MATMUL_COLUMNS = 4;

/** Rows per chunk: about `chunks` chunks, each a multiple of `align` rows. */
export function chunkRows(count: number, chunks: number, align: number): number {
  return Math.max(align, Math.ceil(count / chunks / align) * align);
}

/** Claims and runs chunks of the job in the control block until none are left. */
export function work(kernels: KernelExports, ints: Int32Array, floats: Float32Array, thread: number): void {
  const total = ints[TOTAL]!;
  for (;;) {
    const chunk = Atomics.add(ints, NEXT, 1);
    if (chunk >= total) return;
    runChunk(kernels, ints, floats, chunk, thread);
    Atomics.add(ints, DONE, 1);
  }
}

function runChunk(kernels: KernelExports, ints: Int32Array, floats: Float32Array, chunk: number, thread: number): void {
  const a = ARGS;
  switch (ints[OP]) {
    case OP_MATMUL_F32: {
      // out, x, w, bias, m, n, k, rowsPerChunk
      const n = ints[a + 5]!;
      const j0 = chunk * ints[a + 7]!;
      const j1 = Math.min(n, j0 + ints[a + 7]!);
      kernels.matmulF32(ints[a]!, ints[a + 1]!, ints[a + 2]!, ints[a + 3]!, ints[a + 4]!, n, ints[a + 6]!, j0, j1);
      return;
    }
    case OP_MATMUL_QUANT: {
      // kind, out, xq, xs, wq, ws, bias, m, n, k, rowsPerChunk
      const n = ints[a + 8]!;
      const j0 = chunk * ints[a + 10]!;
      const j1 = Math.min(n, j0 + ints[a + 10]!);
      kernels.matmulQuant(
        ints[a]!, ints[a + 1]!, ints[a + 2]!, ints[a + 3]!, ints[a + 4]!, ints[a + 5]!, ints[a + 6]!,
        ints[a + 7]!, n, ints[a + 9]!, j0, j1,
      );
      return;
    }
    case OP_MATMUL_COLUMNS: {
      // out, x, w, bias, m, n, k, stride, first, columnsPerChunk
      const n = ints[a + 5]!;
      const j0 = chunk * ints[a + 9]!;
      const j1 = Math.min(n, j0 + ints[a + 9]!);
      kernels.matmulF32Columns(ints[a]!, ints[a + 1]!, ints[a + 2]!, ints[a + 3]!, ints[a + 4]!, n, ints[a + 6]!, ints[a + 7]!, ints[a + 8]!, j0, j1);
      return;
    }
    case OP_ATTENTION: {
      // out, q, k, v, queryCount, keyCount, queryOffset, nHeads, nKvHeads, headDim, scale (f32), causal, mask, scratch, scratchBytes
      const scratch = ints[a + 13]! + thread * ints[a + 14]!;
      kernels.attention(
        ints[a]!, ints[a + 1]!, ints[a + 2]!, ints[a + 3]!, ints[a + 4]!, ints[a + 5]!, ints[a + 6]!,
        ints[a + 7]!, ints[a + 8]!, ints[a + 9]!, floats[a + 10]!, ints[a + 11]!, ints[a + 12]!, chunk, chunk + 1, scratch,
      );
      return;
    }
    default:
      throw new Error(`unknown job ${ints[OP]}`);
  }
}
