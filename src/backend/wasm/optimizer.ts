// The WASM backend's optimizer kernels (backend/optimizer.ts; the reference is
// src/backend/js/optimizer.ts): AdamW's update, the squared norm and the scaling
// of gradient clipping in SIMD on the backend's memory (kernels/optimizer.ts,
// kernels/pointwise-backward.ts), in blocks of elements split across the threads.
// The squared norm's blocks are summed in block order, in float64.

import type { AdamWScalars, OptimizerKernels } from "../optimizer.js";
import type { KernelHost } from "./host.js";
import { PARALLEL_POINTWISE, POINTWISE_CHUNK, POINTWISE_SCALE, TASK_ADAMW, TASK_SUM_OF_SQUARES } from "./tasks.js";

export class WasmOptimizerKernels implements OptimizerKernels<Float32Array> {
  constructor(
    private readonly host: KernelHost,
    /** The backend's allocate: moments placed in its memory. */
    readonly allocate: (length: number) => Float32Array,
  ) {}

  adamwStep(param: Float32Array, grad: Float32Array, expAvg: Float32Array, expAvgSq: Float32Array, n: number, s: AdamWScalars): void {
    const { host } = this;
    if (n === 0) return;
    host.call((copyBack) => {
      const gp = host.input(grad, n, "adamwStep grad");
      const pp = host.output(param, n, "adamwStep param", true);
      const mp = host.output(expAvg, n, "adamwStep expAvg", true);
      const vp = host.output(expAvgSq, n, "adamwStep expAvgSq", true);
      const block = host.tasks.block(
        [pp, gp, mp, vp, n, POINTWISE_CHUNK, s.beta1, s.beta2, s.stepSize, s.decay, s.biasCorrection2Sqrt, s.eps],
        [6, 7, 8, 9, 10, 11],
      );
      host.tasks.run(TASK_ADAMW, block, Math.ceil(n / POINTWISE_CHUNK), n >= PARALLEL_POINTWISE);
      copyBack(param, pp, n);
      copyBack(expAvg, mp, n);
      copyBack(expAvgSq, vp, n);
    });
  }

  sumOfSquares(x: Float32Array, n: number): number {
    const { host } = this;
    let sum = 0;
    if (n === 0) return sum;
    host.call(() => {
      const xp = host.input(x, n, "sumOfSquares x");
      const chunks = Math.ceil(n / POINTWISE_CHUNK);
      const partials = host.mem.reserve(chunks * 8);
      const block = host.tasks.block([xp, n, POINTWISE_CHUNK, partials]);
      host.tasks.run(TASK_SUM_OF_SQUARES, block, chunks, n >= PARALLEL_POINTWISE);
      const sums = new Float64Array(host.mem.memory.buffer, partials, chunks);
      for (let c = 0; c < chunks; c++) sum += sums[c]!;
    });
    return sum;
  }

  scale(x: Float32Array, n: number, factor: number): void {
    const { host } = this;
    if (n === 0) return;
    host.call((copyBack) => {
      const xp = host.output(x, n, "scale x", true);
      host.tasks.pointwise(POINTWISE_SCALE, n, xp, 0, 0, factor);
      copyBack(x, xp, n);
    });
  }
}
