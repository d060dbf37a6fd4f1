// The WASM backend in a real browser (Chromium, driven by playwright-core; served by
// harness.ts): once cross-origin isolated (SharedArrayBuffer, module Web Workers)
// and once plain (no SharedArrayBuffer: the stated single-thread fallback on an
// unshared memory). In each, the page runs checks.ts: kernels against the js
// reference, and greedy decoding of a seeded random Llama, whose ids must equal the
// ids the same code gives in Node. `npm run test:browser`; skipped when no Chromium
// is installed (apt-get install chromium, or set CHROMIUM_PATH).
import assert from "node:assert/strict";
import type { Server } from "node:http";
import { after, before, test } from "node:test";
import { runChecks, type BrowserReport } from "./checks.js";
import { CHROMIUM, runPage, serve } from "./harness.js";

let server: Server;
let expected: BrowserReport;

before(async () => {
  if (CHROMIUM === undefined) return;
  server = await serve();
  expected = await runChecks(2);
});
after(() => server?.close());

for (const mode of ["isolated", "plain"] as const) {
  test(`${mode} page: WASM kernels match the js reference and greedy ids equal Node's`, { skip: CHROMIUM === undefined && "no Chromium installed" }, async () => {
    const report = await runPage<BrowserReport>(server, mode, "backend-page");
    assert.equal(report.backend, "wasm");
    if (mode === "isolated") {
      assert.equal(report.crossOriginIsolated, true);
      assert.equal(report.threads, 2, "two threads (module Web Workers over SharedArrayBuffer)");
      assert.equal(report.sharedMemory, true);
    } else {
      assert.equal(report.crossOriginIsolated, false);
      assert.equal(report.threads, 1, "the single-thread fallback without SharedArrayBuffer");
      assert.equal(report.sharedMemory, false);
    }
    for (const [kernel, error] of Object.entries(report.kernelErrors)) {
      assert.ok(error <= (kernel.includes("q") ? 2e-5 : 1e-5), `${kernel}: relative error ${error} against the js reference`);
    }
    assert.deepEqual(report.greedyIds, expected.greedyIds);
    assert.equal(report.greedyIds.length, 24);
  });
}
