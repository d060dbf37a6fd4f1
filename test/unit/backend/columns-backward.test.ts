// The Conv1D-window backward computed through a backend's forward matmul
// (columns-backward.ts) against the plain reference kernel, on awkward shapes,
// for the js backend and (when the runtime has WebAssembly SIMD) the wasm one.
import assert from "node:assert/strict";
import { test } from "node:test";
import { columnsBackwardVia } from "../../../src/backend/columns-backward.js";
import { jsBackend } from "../../../src/backend/js/index.js";
import { jsBackwardKernels } from "../../../src/backend/js/backward/index.js";
import { createBackend, disposeBackend, wasmSimdSupported } from "../../../src/backend/select.js";
import type { Backend } from "../../../src/backend/backend.js";
import { randomNormal, seededRandom } from "../../helpers/random.js";
import { maxAbs, maxAbsDiff } from "../../helpers/reference.js";

const random = seededRandom(77);

function check(backend: Backend): void {
  const viaBackend = columnsBackwardVia(backend);
  for (const [rows, inF, stride, first, count] of [[1, 1, 1, 0, 1], [5, 7, 12, 4, 5], [33, 17, 39, 13, 13], [64, 48, 144, 96, 48]] as const) {
    const x = randomNormal(random, rows * inF);
    const w = randomNormal(random, inF * stride);
    const dOut = randomNormal(random, rows * count);
    const start = () => ({ dx: randomNormal(random, rows * inF), dW: randomNormal(random, inF * stride), db: randomNormal(random, stride) });
    const expected = start();
    const actual = { dx: expected.dx.slice(), dW: expected.dW.slice(), db: expected.db.slice() };
    jsBackwardKernels.matmulColumnsBackward(expected.dx, expected.dW, expected.db, dOut, x, w, rows, inF, stride, first, count);
    viaBackend(actual.dx, actual.dW, actual.db, dOut, x, w, rows, inF, stride, first, count);
    for (const key of ["dx", "dW", "db"] as const) {
      const diff = maxAbsDiff(actual[key], expected[key]);
      assert.ok(diff <= 1e-5 * Math.max(1, maxAbs(expected[key])), `${backend.name} ${key} ${rows}×${inF} window ${first}+${count} of ${stride}: ${diff}`);
    }
  }
}

test("Conv1D-window backward through the js backend's matmul equals the reference", () => check(jsBackend));

test("Conv1D-window backward through the wasm backend's matmul equals the reference", { skip: !wasmSimdSupported() }, async () => {
  const backend = await createBackend({ backend: "wasm", threads: 2 });
  try {
    check(backend);
  } finally {
    disposeBackend(backend);
  }
});
