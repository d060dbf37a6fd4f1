// A kernel thread: instantiates the kernels on the shared memory, then waits for
// jobs in the control block (spinning briefly, then Atomics.wait) and claims
// chunks of each (jobs.ts). Started once per backend by thread-pool.ts
// (worker_threads in Node, a module Web Worker in browsers); never per call.

import { GENERATION, STOP, jobTag, work } from "./jobs.js";
import { instantiateKernels } from "./module.js";

export interface WorkerStart {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  /** This thread's number (the caller is 0): selects its scratch. */
  index: number;
}

/** Spins on the generation counter about this many times (a few hundred µs) before sleeping. */
const SPINS_BEFORE_WAIT = 100_000;

function serve(start: WorkerStart, ready: () => void): void {
  const kernels = instantiateKernels(start.module, start.memory);
  const ints = new Int32Array(start.control);
  const floats = new Float32Array(start.control);
  let seen = Atomics.load(ints, GENERATION);
  ready();
  for (;;) {
    let spins = 0;
    while (Atomics.load(ints, GENERATION) === seen) {
      if (++spins >= SPINS_BEFORE_WAIT) {
        Atomics.wait(ints, GENERATION, seen);
        spins = 0;
      }
    }
    seen = Atomics.load(ints, GENERATION);
    if (Atomics.load(ints, STOP) !== 0) return;
    try {
      work(kernels, ints, floats, start.index, jobTag(seen));
    } catch {
      // Counted in FAILED (jobs.ts): the calling thread stops the job and throws.
    }
  }
}

const isNode = typeof process !== "undefined" && process.versions?.node !== undefined;
if (isNode) {
  const { parentPort, workerData } = await import("node:worker_threads");
  if (parentPort !== null) serve(workerData as WorkerStart, () => parentPort.postMessage("ready"));
} else {
  const scope = globalThis as unknown as { onmessage: ((e: MessageEvent) => void) | null; postMessage(m: unknown): void };
  scope.onmessage = (event: MessageEvent) => serve(event.data as WorkerStart, () => scope.postMessage("ready"));
}
