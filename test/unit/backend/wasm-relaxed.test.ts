// The relaxed-SIMD build of the kernels (fused multiply–adds, the i8 dot products of
// the Q4_K and Q6_K matrix–vector kernels; scripts/build-wasm.mjs)
// passes the same kernel tests as the plain SIMD128 build: the kernel test files
// run again in a child Node process with LMSCOPE_TEST_RELAXED=1, which makes their
// backends load the relaxed build — with --experimental-wasm-relaxed-simd where the
// engine needs it (Node 20).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { relaxedSimdSupported } from "../../../src/backend/select.js";
import { createWasmBackend } from "../../../src/backend/wasm/index.js";

test("the relaxed-SIMD kernels pass the WASM kernel tests (1 and 2 threads, unshared memory)", () => {
  const flags = relaxedSimdSupported() ? [] : ["--experimental-wasm-relaxed-simd"];
  const files = ["wasm-kernels.test.js", "wasm-backward.test.js", "wasm-quantized.test.js"].map((f) => fileURLToPath(new URL(f, import.meta.url)));
  const env: NodeJS.ProcessEnv = { ...process.env, LMSCOPE_TEST_RELAXED: "1" };
  delete env["NODE_TEST_CONTEXT"]; // a test runner of its own, reporting to its stdout
  const child = spawnSync(process.execPath, [...flags, "--test", "--test-reporter=spec", ...files], {
    env,
    encoding: "utf8",
    timeout: 600_000,
  });
  assert.equal(child.status, 0, `${child.stdout}\n${child.stderr}`);
  assert.match(child.stdout, /the backends run the relaxed-SIMD build/);
});

test("asking for relaxed SIMD where the engine has none is refused by name", { skip: relaxedSimdSupported() }, async () => {
  await assert.rejects(createWasmBackend({ relaxedSimd: true }), /no relaxed SIMD.*--experimental-wasm-relaxed-simd/);
});
