// createBackend: option checking, "auto" picking the WASM backend where SIMD is
// available, thread counts, and that workers do not outlive dispose().
import assert from "node:assert/strict";
import { test } from "node:test";
import { jsBackend } from "../../../src/backend/js/index.js";
import { createBackend, disposeBackend, wasmSimdSupported } from "../../../src/backend/select.js";
import { WasmBackend } from "../../../src/backend/wasm/index.js";
import { OptionError } from "../../../src/errors.js";

test("createBackend checks its options", async () => {
  await assert.rejects(createBackend({ backend: "gpu" as "js" }), (e: unknown) => e instanceof OptionError && e.option === "backend");
  for (const threads of [0, -1, 1.5, NaN, 1000]) {
    await assert.rejects(createBackend({ backend: "wasm", threads }), (e: unknown) => e instanceof OptionError && e.option === "threads");
  }
});

test("js gives the reference backend; auto and wasm give the WASM backend on Node", async () => {
  assert.equal(await createBackend({ backend: "js" }), jsBackend);
  assert.ok(wasmSimdSupported());
  const auto = await createBackend({ threads: 2 });
  assert.ok(auto instanceof WasmBackend);
  assert.equal(auto.threads, 2);
  assert.equal(auto.sharedMemory, true);
  disposeBackend(auto);
  assert.throws(() => auto.add(auto.allocate(1), auto.allocate(1), auto.allocate(1), 1), /disposed/);
  const one = await createBackend({ backend: "wasm", threads: 1 });
  assert.equal((one as WasmBackend).threads, 1);
  disposeBackend(one);
  disposeBackend(jsBackend); // a no-op
});
