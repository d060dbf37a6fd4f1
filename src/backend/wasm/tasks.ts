// The chunked kernels of prompt processing and training ("tasks": the GEMM, the
// backward kernels, the optimizer) as the TypeScript side calls them. A task's
// arguments are 4-byte slots (i32 addresses and sizes, f32 scalars) written into
// a block of the memory; every thread then calls the kernels' runTask(task, block,
// chunk, thread) for the chunks it claims (one job type of jobs.ts for all of them),
// and the calling thread alone runs them in order when the work is small or there
// are no workers. Chunks are cut by the shape only, never by the thread count, so a
// result does not depend on how many threads computed it.

import { ARGS, OP_TASK } from "./jobs.js";
import type { WasmMemory } from "./memory.js";
import type { KernelExports } from "./module.js";
import type { ThreadPool } from "./thread-pool.js";

/** Task numbers: the cases of kernels/tasks.ts. */
export const TASK_GEMM = 1;
export const TASK_ATTENTION_BACKWARD = 2;
export const TASK_NORM_BACKWARD = 3;
export const TASK_COLUMN_SUMS = 4;
export const TASK_EMBEDDING_BACKWARD = 5;
export const TASK_POINTWISE = 6;
export const TASK_SOFTMAX_BACKWARD = 7;
export const TASK_ROPE_BACKWARD = 8;
export const TASK_CROSS_ENTROPY = 9;
export const TASK_ADAMW = 10;
export const TASK_SUM_OF_SQUARES = 11;
export const TASK_ACTIVATION = 12;
export const TASK_NORM_ROWS = 13;

/** The activations of TASK_ACTIVATION (kernels/forward-tasks.ts). */
export const ACTIVATION_GELU_TANH = 0;
export const ACTIVATION_GELU_ERF = 1;
export const ACTIVATION_SILU = 2;
export const ACTIVATION_TANH = 3;

/** The operations of TASK_POINTWISE (kernels/pointwise-backward.ts). */
export const POINTWISE_ADD_SCALED = 0;
export const POINTWISE_MULTIPLY_ADD = 1;
export const POINTWISE_SCALE = 2;
export const POINTWISE_GELU_TANH = 3;
export const POINTWISE_GELU_ERF = 4;
export const POINTWISE_SILU = 5;
export const POINTWISE_TANH = 6;

/** Elements per chunk of an elementwise task, and the size from which it runs on every thread. */
export const POINTWISE_CHUNK = 16 * 1024;
export const PARALLEL_POINTWISE = 4 * POINTWISE_CHUNK;

export class Tasks {
  constructor(
    private readonly mem: WasmMemory,
    private readonly kernels: KernelExports,
    private readonly pool: ThreadPool | null,
  ) {}

  /** Threads a parallel task runs on, the caller's included. */
  get threads(): number {
    return this.pool?.parts ?? 1;
  }

  /**
   * An argument block holding `slots` (integers as i32; the slots listed in
   * `floatSlots` as f32), in the memory's temporary region: valid until the
   * enclosing backend call ends.
   */
  block(slots: readonly number[], floatSlots: readonly number[] = []): number {
    const at = this.mem.reserve(slots.length * 4);
    const base = at >>> 2;
    const ints = this.mem.ints;
    for (let i = 0; i < slots.length; i++) ints[base + i] = slots[i]!;
    const heap = this.mem.heap;
    for (const slot of floatSlots) heap[base + slot] = slots[slot]!;
    return at;
  }

  /** Per-thread scratch of `bytes` each (64-byte aligned), for `parallel` or single-thread runs; temporary as block's. */
  scratch(bytes: number, parallel: boolean): { at: number; bytes: number } {
    const aligned = Math.ceil(bytes / 64) * 64;
    return { at: this.mem.reserve(aligned * (parallel ? this.threads : 1)), bytes: aligned };
  }

  /**
   * An elementwise task over n elements, cut into POINTWISE_CHUNK blocks: dst op= (a, b)
   * with `factor`; arguments are addresses (0 for an operand the op does not read).
   */
  pointwise(op: number, n: number, dst: number, a: number, b: number, factor: number): void {
    if (n === 0) return;
    const block = this.block([op, n, dst, a, b, factor, POINTWISE_CHUNK], [5]);
    this.run(TASK_POINTWISE, block, Math.ceil(n / POINTWISE_CHUNK), n >= PARALLEL_POINTWISE);
  }

  /** Runs chunks 0 .. chunks−1 of the task: on every thread when `parallel`, else on this one. */
  run(task: number, block: number, chunks: number, parallel: boolean): void {
    const pool = this.pool;
    if (parallel && pool !== null && chunks > 1) {
      pool.ints[ARGS] = task;
      pool.ints[ARGS + 1] = block;
      pool.run(OP_TASK, chunks);
    } else {
      for (let chunk = 0; chunk < chunks; chunk++) this.kernels.runTask(task, block, chunk, 0);
    }
  }
}
