// The memory-bandwidth probe: the bound of decode speed (every weight is read once
// per token). `threads` threads each stream their own share of a 512 MiB region
// (16× the L3 cache here) with the WASM SIMD sum kernel and nothing else, so the
// figure is the read rate this runtime can reach, not a native peak. The memory
// bus is shared with other machines' work and its rate moves from minute to
// minute (here between ~28 and ~55 GB/s for two threads), so a benchmark measures
// the probe next to every figure it compares with it rather than once per process.

import { Worker } from "node:worker_threads";
import { WasmMemory } from "../src/backend/wasm/memory.js";
import { instantiateKernels, kernelModule, type KernelExports } from "../src/backend/wasm/module.js";

const PROBE_BYTES = 512 * 2 ** 20;

export class BandwidthProbe {
  private constructor(
    readonly threads: number,
    private readonly kernels: KernelExports,
    private readonly ptr: number,
    private readonly workers: Worker[],
  ) {}

  /** Places the region and starts `threads − 1` workers, each with its share. */
  static async start(threads: number): Promise<BandwidthProbe> {
    const module = await kernelModule(true);
    const mem = new WasmMemory(true);
    const ptr = mem.reserve(PROBE_BYTES);
    new Float32Array(mem.memory.buffer, ptr, PROBE_BYTES / 4).fill(1);
    const kernels = instantiateKernels(module, mem.memory);
    const share = PROBE_BYTES / threads;
    const url = new URL("../src/backend/wasm/module.js", import.meta.url).href;
    const workers = Array.from({ length: threads - 1 }, (_, i) => {
      const code = `
        const { parentPort, workerData } = require("node:worker_threads");
        import(${JSON.stringify(url)}).then(({ instantiateKernels }) => {
          const k = instantiateKernels(workerData.module, workerData.memory);
          parentPort.on("message", () => { k.sumForBandwidth(workerData.ptr, workerData.n); parentPort.postMessage(0); });
          parentPort.postMessage(0);
        });`;
      return new Worker(code, { eval: true, workerData: { module, memory: mem.memory, ptr: ptr + (i + 1) * share, n: share / 4 } });
    });
    await Promise.all(workers.map((w) => new Promise((r) => w.once("message", r))));
    return new BandwidthProbe(threads, kernels, ptr, workers);
  }

  /** GB/s: the median of `passes` reads of the whole region, all threads at once. */
  async measure(passes = 3): Promise<number> {
    const times: number[] = [];
    for (let pass = 0; pass < passes; pass++) {
      const t0 = performance.now();
      const done = this.workers.map((w) => new Promise((r) => { w.once("message", r); w.postMessage(0); }));
      this.kernels.sumForBandwidth(this.ptr, PROBE_BYTES / this.threads / 4);
      await Promise.all(done);
      times.push((performance.now() - t0) / 1000);
    }
    times.sort((a, b) => a - b);
    return PROBE_BYTES / times[times.length >> 1]! / 1e9;
  }

  async stop(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
