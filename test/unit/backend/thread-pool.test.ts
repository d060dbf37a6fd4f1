// The worker-thread job protocol (src/backend/wasm/jobs.ts) under load: thousands
// of short parallel jobs back to back, whose chunk counts change from one job to
// the next, so that workers still finishing one job overlap the publication of the
// next. Every result must equal the single-thread result exactly (each output is
// computed by one thread with the same code), and no job may hang — nor a job whose
// kernel traps, which fails at once.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { AttentionShape } from "../../../src/backend/backend.js";
import { WasmBackend, createWasmBackend } from "../../../src/backend/wasm/index.js";
import { ARGS, OP_MATMUL_F32 } from "../../../src/backend/wasm/jobs.js";
import { WasmMemory } from "../../../src/backend/wasm/memory.js";
import { instantiateKernels, kernelModule } from "../../../src/backend/wasm/module.js";
import { ThreadPool } from "../../../src/backend/wasm/thread-pool.js";
import { f32Matrix } from "../../../src/tensor/weights.js";
import { randomNormal, seededRandom } from "../../helpers/random.js";

const random = seededRandom(4242);
let one: WasmBackend;
let two: WasmBackend;
let three: WasmBackend;

before(async () => {
  one = await createWasmBackend({ threads: 1 });
  two = await createWasmBackend({ threads: 2 });
  three = await createWasmBackend({ threads: 3 });
});
after(() => {
  one.dispose();
  two.dispose();
  three.dispose();
});

interface Job {
  run(backend: WasmBackend): Float32Array;
}

/** An attention job with `nHeads` chunks, just above the size that goes parallel. */
function attentionJob(backend: WasmBackend, others: WasmBackend[], nHeads: number): Job {
  const headDim = 16;
  const keyCount = Math.ceil(16384 / (nHeads * headDim)) + 3;
  const shape: AttentionShape = { queryCount: 1, keyCount, queryOffset: keyCount - 1, nHeads, nKvHeads: nHeads, headDim, scale: 0.25, causal: true };
  const data = [randomNormal(random, nHeads * headDim), randomNormal(random, keyCount * nHeads * headDim), randomNormal(random, keyCount * nHeads * headDim)];
  const placed = new Map([backend, ...others].map((b) => [b, data.map((d) => { const v = b.allocate(d.length); v.set(d); return v; })]));
  return {
    run(b) {
      const [q, k, v] = placed.get(b)!;
      const out = b.allocate(nHeads * headDim);
      b.attention(out, q!, k!, v!, shape, new Float32Array(keyCount));
      return out.slice();
    },
  };
}

/** A matrix–vector job of n weight rows (a different chunk count for each n). */
function matmulJob(n: number): Job {
  const k = 2048;
  const w = f32Matrix(randomNormal(random, n * k), n, k);
  const x = randomNormal(random, k);
  return {
    run(b) {
      const out = new Float32Array(n);
      b.matmul(out, x, w, null, 1);
      return out;
    },
  };
}

test("thousands of short parallel jobs with changing chunk counts give the single-thread results", () => {
  const jobs: Job[] = [];
  for (let nHeads = 2; nHeads <= 9; nHeads++) jobs.push(attentionJob(one, [two, three], nHeads));
  for (const n of [33, 40, 64, 100, 129]) jobs.push(matmulJob(n));
  const expected = jobs.map((job) => job.run(one));
  for (const backend of [two, three]) {
    for (let round = 0; round < 400; round++) {
      for (let j = 0; j < jobs.length; j++) {
        const index = (j * 7 + round) % jobs.length;
        assert.deepEqual(jobs[index]!.run(backend), expected[index], `job ${index}, round ${round}, ${backend.threads} threads`);
      }
    }
  }
});

test("a kernel that traps in a job fails the call at once, and the pool refuses later jobs", async () => {
  const module = await kernelModule(true);
  const memory = new WasmMemory(true);
  const kernels = instantiateKernels(module, memory.memory);
  const pool = await ThreadPool.start(2, module, memory.memory, kernels);
  try {
    const [n, k] = [64, 16];
    const x = memory.reserve(k * 4);
    const w = memory.reserve(n * k * 4);
    const outOfBounds = 0x7fff0000; // far past the memory's end: every chunk's store traps
    pool.ints.set([outOfBounds, x, w, 0, 1, n, k, 4], ARGS);
    const started = performance.now();
    assert.throws(() => pool.run(OP_MATMUL_F32, n / 4), /out of bounds/);
    assert.ok(performance.now() - started < 5000, "no wait for the stall limit");
    assert.throws(() => pool.run(OP_MATMUL_F32, n / 4), /stopped after a kernel failed/);
  } finally {
    pool.dispose();
  }
});
