// The fused LSTM and GRU step kernels: the js reference against the equations
// written out one scalar at a time (helpers/recurrent-reference.ts), on awkward
// sizes and saturated gates, and the WASM backend against the js reference.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Backend } from "../../../src/backend/backend.js";
import { jsBackend as J } from "../../../src/backend/js/index.js";
import { referenceGruStep, referenceLstmStep } from "../../helpers/recurrent-reference.js";
import { randomNormal, seededRandom } from "../../helpers/random.js";
import { wasmTestBackends } from "../../helpers/wasm-backends.js";

const random = seededRandom(4242);
const wasm = wasmTestBackends();
const SHAPES = [[1, 1], [1, 5], [3, 7], [2, 17], [5, 33]] as const; // [rows, hidden]

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tol, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

/** Gate inputs of std 3: many gates near saturation, some in the linear range. */
const gateInputs = (n: number) => randomNormal(random, n, 3);

test("lstmCell: h and c of every row equal the LSTM equations (gate order i, f, g, o)", () => {
  for (const [rows, hidden] of SHAPES) {
    const gi = gateInputs(rows * 4 * hidden);
    const gh = gateInputs(rows * 4 * hidden);
    const cPrev = randomNormal(random, rows * hidden, 2);
    const state = new Float32Array(2 * rows * hidden + 3).fill(7);
    J.lstmCell(state, gi, gh, cPrev, rows, hidden);
    for (let r = 0; r < rows; r++) {
      const span = (a: Float32Array, width: number) => a.subarray(r * width, (r + 1) * width);
      const expected = referenceLstmStep(span(gi, 4 * hidden), span(gh, 4 * hidden), span(cPrev, hidden), hidden);
      close(state.subarray(r * hidden, (r + 1) * hidden), expected.h, 1e-6, `h row ${r} of ${rows}×${hidden}`);
      close(state.subarray((rows + r) * hidden, (rows + r + 1) * hidden), expected.c, 2e-6, `c row ${r} of ${rows}×${hidden}`);
    }
    assert.deepEqual([...state.subarray(2 * rows * hidden)], [7, 7, 7], "nothing written past the state");
  }
});

test("gruCell: h equals the GRU equations with the reset gate after the recurrent product (r, z, n)", () => {
  for (const [rows, hidden] of SHAPES) {
    const gi = gateInputs(rows * 3 * hidden);
    const gh = gateInputs(rows * 3 * hidden);
    const hPrev = randomNormal(random, rows * hidden);
    const h = new Float32Array(rows * hidden);
    J.gruCell(h, gi, gh, hPrev, rows, hidden);
    for (let r = 0; r < rows; r++) {
      const span = (a: Float32Array, width: number) => a.subarray(r * width, (r + 1) * width);
      close(span(h, hidden), referenceGruStep(span(gi, 3 * hidden), span(gh, 3 * hidden), span(hPrev, hidden), hidden), 1e-6, `h row ${r} of ${rows}×${hidden}`);
    }
  }
  // the reset gate scales h_n (b_hn included), not the input part: zero h_n makes r irrelevant
  const gi = Float32Array.of(5, 0, 0.5);
  const h = new Float32Array(1);
  J.gruCell(h, gi, Float32Array.of(0, 0, 0), Float32Array.of(0), 1, 1);
  const withOtherReset = new Float32Array(1);
  J.gruCell(withOtherReset, Float32Array.of(-5, 0, 0.5), Float32Array.of(0, 0, 0), Float32Array.of(0), 1, 1);
  assert.equal(h[0], withOtherReset[0]);
  assert.ok(Math.abs(h[0]! - 0.5 * Math.tanh(0.5)) < 1e-7);
});

test("the WASM backend's cells equal the js reference, in its memory and on foreign arrays", () => {
  const place = (backend: Backend, data: Float32Array, inMemory: boolean): Float32Array => {
    if (!inMemory) return data.slice();
    const view = backend.allocate(data.length);
    view.set(data);
    return view;
  };
  for (const [rows, hidden] of SHAPES) {
    const lstmGi = gateInputs(rows * 4 * hidden);
    const lstmGh = gateInputs(rows * 4 * hidden);
    const gruGi = gateInputs(rows * 3 * hidden);
    const gruGh = gateInputs(rows * 3 * hidden);
    const previous = randomNormal(random, rows * hidden);
    const lstmExpected = new Float32Array(2 * rows * hidden);
    const gruExpected = new Float32Array(rows * hidden);
    J.lstmCell(lstmExpected, lstmGi, lstmGh, previous, rows, hidden);
    J.gruCell(gruExpected, gruGi, gruGh, previous, rows, hidden);
    for (const [label, B] of [["1 thread", wasm.one], ["2 threads", wasm.two], ["unshared", wasm.unshared]] as const) {
      for (const inMemory of [true, false]) {
        const state = place(B, new Float32Array(2 * rows * hidden), inMemory);
        B.lstmCell(state, place(B, lstmGi, inMemory), place(B, lstmGh, inMemory), place(B, previous, inMemory), rows, hidden);
        close(state, lstmExpected, 2e-6, `lstmCell ${rows}×${hidden} ${label}`);
        const h = place(B, new Float32Array(rows * hidden), inMemory);
        B.gruCell(h, place(B, gruGi, inMemory), place(B, gruGh, inMemory), place(B, previous, inMemory), rows, hidden);
        close(h, gruExpected, 2e-6, `gruCell ${rows}×${hidden} ${label}`);
      }
    }
  }
});
