// Work shared between threads. A job (one matmul, one attention call) is cut into
// chunks of output rows: weight rows of a matmul, query heads of attention. Chunk
// edges fall where the kernels' own blocking does (multiples of 4 rows, of 16
// columns), so every output is computed by the same code whichever chunk and
// thread hold it: results are identical for any number of threads. Threads claim
// chunks with compare-and-swap on a counter, so a thread the OS has descheduled
// holds up nobody: the others take its chunks (the calling thread alone finishes a
// job if no worker wakes).
//
// The claim protocol. The caller writes a job's arguments, OP, TOTAL (tagged) and
// DONE = 0, then publishes it by storing NEXT = tag | 0, where the tag is the job's
// generation (mod 2^16) in the high 16 bits; then it bumps GENERATION to wake
// workers. A thread claims chunk c by swapping NEXT from tag | c to tag | c + 1,
// and only then reads TOTAL, checking its tag: a thread that was descheduled
// across jobs fails the swap (NEXT holds a newer tag) or finds TOTAL retagged, and
// claims nothing. A successful claim of c < total means the job is not finished
// (chunk c is not done), so the caller cannot be rewriting its arguments. The caller
// waits for DONE = total. A chunk whose kernel throws counts in FAILED instead: the
// caller then closes the job (no more claims), waits for the chunks already claimed,
// and throws.

import type { KernelExports } from "./module.js";

/** Int32 slots of the control block (a SharedArrayBuffer). */
export const GENERATION = 0;
/** Chunks of the current job whose kernel threw (a trap: a bug, never a normal outcome). */
export const FAILED = 1;
export const STOP = 2;
export const OP = 3;
/** tag | chunks in the current job; tag | next unclaimed chunk; chunks finished. */
export const TOTAL = 4;
export const NEXT = 5;
export const DONE = 6;
/** Integer arguments start here; float arguments are in the same slots read as float32. */
export const ARGS = 8;
export const CONTROL_INTS = 32;
/** Chunks per job are at most this (the low half of the tagged words). */
export const MAX_CHUNKS = 0xffff;

/** The tag of a job of generation `generation`, in the high 16 bits of an int32. */
export function jobTag(generation: number): number {
  return (generation & 0xffff) << 16;
}

export const OP_MATMUL_F32 = 1;
export const OP_MATMUL_QUANT = 2;
export const OP_ATTENTION = 3;
export const OP_MATMUL_COLUMNS = 4;
export const OP_MATMUL_HALF = 5;
/** A chunked kernel of tasks.ts: the task number and its argument block. */
export const OP_TASK = 6;

/** Rows per chunk: about `chunks` chunks, each a multiple of `align` rows. */
export function chunkRows(count: number, chunks: number, align: number): number {
  return Math.max(align, Math.ceil(count / chunks / align) * align);
}

/** Claims and runs chunks of the job tagged `tag` until none are left or a newer job has replaced it. */
export function work(kernels: KernelExports, ints: Int32Array, floats: Float32Array, thread: number, tag: number): void {
  for (;;) {
    const claim = Atomics.load(ints, NEXT);
    if ((claim & ~MAX_CHUNKS) !== tag) return;
    if (Atomics.compareExchange(ints, NEXT, claim, claim + 1) !== claim) continue;
    const total = Atomics.load(ints, TOTAL);
    if ((total & ~MAX_CHUNKS) !== tag || (claim & MAX_CHUNKS) >= (total & MAX_CHUNKS)) return;
    try {
      runChunk(kernels, ints, floats, claim & MAX_CHUNKS, thread);
    } catch (error) {
      Atomics.add(ints, FAILED, 1);
      Atomics.notify(ints, DONE);
      throw error;
    }
    if (Atomics.add(ints, DONE, 1) + 1 === (total & MAX_CHUNKS)) Atomics.notify(ints, DONE);
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
      // kind, out, xq, xd, xs, w (panels: quant-panels.ts), bias, m, n, k, rowsPerChunk, scratch, scratchBytes
      const n = ints[a + 8]!;
      const j0 = chunk * ints[a + 10]!;
      const j1 = Math.min(n, j0 + ints[a + 10]!);
      const scratch = ints[a + 11]! + thread * ints[a + 12]!;
      kernels.matmulQuant(ints[a]!, ints[a + 1]!, ints[a + 2]!, ints[a + 3]!, ints[a + 4]!, ints[a + 5]!, ints[a + 6]!, ints[a + 7]!, n, ints[a + 9]!, j0, j1, scratch);
      return;
    }
    case OP_MATMUL_HALF: {
      // kind, out, x, w, bias, m, n, k, rowsPerChunk, scratch, scratchBytes
      const n = ints[a + 6]!;
      const j0 = chunk * ints[a + 8]!;
      const j1 = Math.min(n, j0 + ints[a + 8]!);
      const scratch = ints[a + 9]! + thread * ints[a + 10]!;
      kernels.matmulHalf(ints[a]!, ints[a + 1]!, ints[a + 2]!, ints[a + 3]!, ints[a + 4]!, ints[a + 5]!, n, ints[a + 7]!, j0, j1, scratch);
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
      // out, q, k, v, queryCount, keyCount, queryOffset, nHeads, nKvHeads, headDim, scale (f32), causal, mask, scratch, scratchBytes,
      // window, softcap (f32), slopes, biasWeights, biasBuckets, maxDistance, headsPerChunk
      const scratch = ints[a + 13]! + thread * ints[a + 14]!;
      const h0 = chunk * ints[a + 21]!;
      const h1 = Math.min(ints[a + 7]!, h0 + ints[a + 21]!);
      kernels.attention(
        ints[a]!, ints[a + 1]!, ints[a + 2]!, ints[a + 3]!, ints[a + 4]!, ints[a + 5]!, ints[a + 6]!,
        ints[a + 7]!, ints[a + 8]!, ints[a + 9]!, floats[a + 10]!, ints[a + 11]!, ints[a + 12]!, h0, h1, scratch,
        ints[a + 15]!, floats[a + 16]!, ints[a + 17]!, ints[a + 18]!, ints[a + 19]!, ints[a + 20]!,
      );
      return;
    }
    case OP_TASK:
      // task, argument block
      kernels.runTask(ints[a]!, ints[a + 1]!, chunk, thread);
      return;
    default:
      throw new Error(`unknown job ${ints[OP]}`);
  }
}
