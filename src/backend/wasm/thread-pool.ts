// Kernel threads over the shared WASM memory: worker_threads in Node, module Web
// Workers in browsers (which need SharedArrayBuffer, i.e. a cross-origin-isolated
// page; without it the backend runs on the calling thread alone). Workers start
// once; a job is published in the control block (the claim protocol of jobs.ts),
// then the generation counter is bumped and workers notified; the caller claims
// chunks too, then waits (spinning, then Atomics.wait where this thread may block)
// until every chunk is done. A kernel that throws (a trap: a bug) fails the call at
// once, after the chunks already claimed have finished, and the pool refuses later
// jobs. Workers are unref'd so they never keep a Node process alive; dispose() stops them.

import { CONTROL_INTS, DONE, FAILED, GENERATION, MAX_CHUNKS, NEXT, OP, STOP, TOTAL, jobTag, work } from "./jobs.js";
import type { KernelExports } from "./module.js";
import type { WorkerStart } from "./worker.js";

interface AnyWorker {
  terminate(): unknown;
}

export class ThreadPool {
  readonly ints: Int32Array;
  readonly floats: Float32Array;
  private disposed = false;
  private failed = false;
  private canWait = true;

  private constructor(
    readonly parts: number,
    private readonly kernels: KernelExports,
    control: SharedArrayBuffer,
    private readonly workers: AnyWorker[],
  ) {
    this.ints = new Int32Array(control);
    this.floats = new Float32Array(control);
  }

  /** Starts `parts − 1` workers on the memory and waits until each has instantiated the kernels. */
  static async start(
    parts: number,
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    kernels: KernelExports,
  ): Promise<ThreadPool> {
    const control = new SharedArrayBuffer(CONTROL_INTS * 4);
    const url = new URL("./worker.js", import.meta.url);
    const workers: AnyWorker[] = [];
    const ready: Promise<void>[] = [];
    const isNode = typeof process !== "undefined" && process.versions?.node !== undefined;
    for (let index = 1; index < parts; index++) {
      const start: WorkerStart = { module, memory, control, index };
      if (isNode) {
        const { Worker } = await import("node:worker_threads");
        const worker = new Worker(url, { workerData: start });
        workers.push(worker);
        ready.push(
          new Promise<void>((resolve, reject) => {
            worker.once("message", () => {
              worker.unref(); // only once started: an unref'd worker cannot hold the process open while we wait
              resolve();
            });
            worker.once("error", reject);
          }),
        );
      } else {
        const worker = new Worker(url, { type: "module" });
        workers.push(worker);
        ready.push(
          new Promise<void>((resolve, reject) => {
            worker.onmessage = () => resolve();
            worker.onerror = (event) => reject(new Error(event.message));
          }),
        );
        worker.postMessage(start);
      }
    }
    try {
      await Promise.all(ready);
    } catch (error) {
      for (const worker of workers) worker.terminate();
      throw error;
    }
    return new ThreadPool(parts, kernels, control, workers);
  }

  /** Runs the job whose arguments the caller wrote into ints/floats from ARGS on, in `chunks` chunks, on all threads. */
  run(op: number, chunks: number): void {
    if (this.disposed) throw new Error("the WASM backend has been disposed");
    if (this.failed) throw new Error("the WASM backend stopped after a kernel failed in an earlier call");
    if (chunks > MAX_CHUNKS >> 1) throw new RangeError(`a job of ${chunks} chunks exceeds the thread pool's ${MAX_CHUNKS >> 1}`);
    const ints = this.ints;
    const generation = ints[GENERATION]! + 1;
    const tag = jobTag(generation);
    ints[OP] = op;
    Atomics.store(ints, DONE, 0);
    Atomics.store(ints, FAILED, 0);
    Atomics.store(ints, TOTAL, tag | chunks);
    Atomics.store(ints, NEXT, tag); // published: chunks can be claimed from here on
    Atomics.store(ints, GENERATION, generation);
    Atomics.notify(ints, GENERATION);
    let failure: unknown = null;
    try {
      work(this.kernels, ints, this.floats, 0, tag);
    } catch (error) {
      failure = error;
    }
    // Wait for every chunk, or after a failure for those already claimed (no closure:
    // a decode step runs ~100 jobs and allocates nothing).
    let target = chunks;
    let spins = 0;
    let since = 0;
    for (;;) {
      if (target === chunks && (failure !== null || Atomics.load(ints, FAILED) > 0)) target = this.close(tag, chunks);
      if (Atomics.load(ints, DONE) + Atomics.load(ints, FAILED) >= target) break;
      if (++spins > SPINS_BEFORE_WAIT) {
        // A straggler (descheduled by the OS), or a worker that died outside a kernel.
        if (since === 0) since = performance.now();
        else if (performance.now() - since > STALL_LIMIT_MS) {
          throw new Error(`a WASM worker thread has not finished its share in ${STALL_LIMIT_MS / 1000} s`);
        }
        if (this.canWait) this.wait(ints, Atomics.load(ints, DONE));
      }
    }
    if (failure !== null || Atomics.load(ints, FAILED) > 0) {
      // The memory may hold half-written results and a worker may be gone: refuse later jobs.
      this.failed = true;
      throw failure ?? new Error("a kernel trapped on a WASM worker thread (a fault inside WebAssembly, e.g. an address past the memory)");
    }
  }

  /** Stops further claims of the job tagged `tag`; returns how many of its chunks were claimed. */
  private close(tag: number, chunks: number): number {
    for (;;) {
      const claim = Atomics.load(this.ints, NEXT);
      const claimed = Math.min(claim & MAX_CHUNKS, chunks);
      if ((claim & ~MAX_CHUNKS) !== tag || claimed >= chunks) return claimed;
      if (Atomics.compareExchange(this.ints, NEXT, claim, tag | chunks) === claim) return claimed;
    }
  }

  /** Atomics.wait on DONE, where this thread may block (not a browser's main thread). */
  private wait(ints: Int32Array, done: number): void {
    try {
      Atomics.wait(ints, DONE, done, 1);
    } catch {
      this.canWait = false;
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    Atomics.store(this.ints, STOP, 1);
    Atomics.add(this.ints, GENERATION, 1);
    Atomics.notify(this.ints, GENERATION);
    for (const worker of this.workers) worker.terminate();
  }
}

/** The caller spins this many times for stragglers before it sleeps in 1 ms steps. */
const SPINS_BEFORE_WAIT = 20_000;
/** A job whose workers have not finished after this long has lost one (it crashed or was killed). */
const STALL_LIMIT_MS = 30_000;

export { ARGS } from "./jobs.js";
