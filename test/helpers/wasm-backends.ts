// The WASM backends the kernel tests compare: one thread, two threads, and one
// thread on an ordinary (unshared) memory — the browser fallback. Created before the
// file's tests and disposed after them. They run the plain SIMD128 build, or the
// relaxed-SIMD build when LMSCOPE_TEST_RELAXED=1 (wasm-relaxed.test.ts sets it).
import { after, before } from "node:test";
import { WasmBackend, createWasmBackend } from "../../src/backend/wasm/index.js";

export interface TestBackends {
  one: WasmBackend;
  two: WasmBackend;
  unshared: WasmBackend;
}

/** Registers before/after hooks in the calling test file; the fields are set once `before` has run. */
export function wasmTestBackends(): TestBackends {
  const backends = {} as TestBackends;
  const relaxedSimd = process.env["LMSCOPE_TEST_RELAXED"] === "1";
  before(async () => {
    backends.one = await createWasmBackend({ threads: 1, relaxedSimd });
    backends.two = await createWasmBackend({ threads: 2, relaxedSimd });
    backends.unshared = await createWasmBackend({ threads: 1, sharedMemory: false, relaxedSimd });
  });
  after(() => {
    backends.one.dispose();
    backends.two.dispose();
    backends.unshared.dispose();
  });
  return backends;
}
