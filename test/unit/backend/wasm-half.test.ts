// Half-precision weights (f16, bf16: GGUF F16/BF16 tensors kept as 16-bit patterns):
// the js reference against the f32 product of the widened weights, and the WASM
// kernels against the reference on awkward shapes, one and two threads, in memory
// and foreign; every finite f16 and bf16 pattern widens exactly, and infinities
// and NaNs carry through.
import assert from "node:assert/strict";
import { test } from "node:test";
import { jsBackend as J } from "../../../src/backend/js/index.js";
import { bf16ToF32, f16ToF32, f32ToF16 } from "../../../src/tensor/dtype.js";
import { dequantize } from "../../../src/tensor/quantize.js";
import { f32Matrix, halfMatrix, type HalfMatrix } from "../../../src/tensor/weights.js";
import { randomNormal, seededRandom } from "../../helpers/random.js";
import { wasmTestBackends } from "../../helpers/wasm-backends.js";

const random = seededRandom(1616);
const wasm = wasmTestBackends();

/** Random weights as f16 or bf16 bit patterns. */
function randomHalf(type: HalfMatrix["type"], rows: number, cols: number): HalfMatrix {
  const values = randomNormal(random, rows * cols);
  const bits = new Uint16Array(values.length);
  const f32Bits = new Uint32Array(values.buffer);
  for (let i = 0; i < values.length; i++) bits[i] = type === "f16" ? f32ToF16(values[i]!) : f32Bits[i]! >>> 16;
  return halfMatrix(type, bits, rows, cols);
}

function maxRelative(actual: ArrayLike<number>, expected: ArrayLike<number>, n: number): number {
  let worst = 0;
  for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / (1 + Math.abs(expected[i]!)));
  return worst;
}

test("the js reference equals the f32 product of the widened weights", () => {
  for (const type of ["f16", "bf16"] as const) {
    for (const [m, k, n] of [[1, 1, 1], [3, 37, 5], [6, 130, 9]] as [number, number, number][]) {
      const w = randomHalf(type, n, k);
      const x = randomNormal(random, m * k);
      const bias = randomNormal(random, n);
      const half = new Float32Array(m * n);
      const widened = new Float32Array(m * n);
      J.matmul(half, x, w, bias, m);
      J.matmul(widened, x, f32Matrix(dequantize(w), n, k), bias, m);
      assert.deepEqual(half, widened, `${type} ${m}×${k}×${n}`);
    }
  }
});

test("WASM f16/bf16 matmuls (m = 1, 2, 5, 67; odd k and n) match the reference, any thread count", () => {
  const shapes = [[1, 1, 1], [1, 7, 5], [1, 768, 37], [2, 33, 17], [5, 13, 9], [67, 45, 31], [1, 130, 515], [3, 515, 130]];
  for (const type of ["f16", "bf16"] as const) {
    for (const [m, k, n] of shapes as [number, number, number][]) {
      const w = randomHalf(type, n, k);
      const x = randomNormal(random, m * k);
      const bias = randomNormal(random, n);
      const expected = new Float32Array(m * n);
      J.matmul(expected, x, w, bias, m);
      const results: Float32Array[] = [];
      for (const [label, B] of [["1 thread", wasm.one], ["2 threads", wasm.two], ["unshared", wasm.unshared]] as const) {
        for (const uploaded of [true, false]) {
          const out = new Float32Array(m * n);
          B.matmul(out, x, uploaded ? B.uploadMatrix(w) : w, bias, m);
          const error = maxRelative(out, expected, m * n);
          assert.ok(error <= 2e-6 * Math.sqrt(k), `${type} ${m}×${k}×${n} ${label}${uploaded ? "" : " (not uploaded)"}: ${error}`);
          results.push(out);
        }
      }
      for (const r of results) assert.deepEqual(r, results[0], `${type} ${m}×${k}×${n}: the same on every thread count`);
    }
  }
});

test("every finite f16 and bf16 pattern widens exactly; infinities and NaN carry through", () => {
  for (const type of ["f16", "bf16"] as const) {
    const widen = type === "f16" ? f16ToF32 : bf16ToF32;
    // Finite patterns in rows of 16: x = e_t picks weight t of every row exactly (0 · finite = 0).
    const finite: number[] = [];
    for (let bits = 0; bits < 65536; bits++) if (Number.isFinite(widen(bits))) finite.push(bits);
    while (finite.length % 16 !== 0) finite.push(0);
    const rows = finite.length / 16;
    const w = halfMatrix(type, Uint16Array.from(finite), rows, 16);
    const x = new Float32Array(16 * 16);
    for (let t = 0; t < 16; t++) x[t * 16 + t] = 1;
    for (const B of [wasm.one, wasm.two]) {
      const placed = B.uploadMatrix(w);
      for (const m of [1, 16]) {
        const out = new Float32Array(m * rows);
        B.matmul(out, x, placed, null, m);
        for (let t = 0; t < m; t++) {
          for (let r = 0; r < rows; r++) {
            const expected = widen(finite[r * 16 + t]!);
            const actual = out[t * rows + r]!;
            if (!Object.is(actual, expected) && !(actual === 0 && expected === 0)) {
              assert.fail(`${type} pattern 0x${finite[r * 16 + t]!.toString(16)}: ${actual}, expected ${expected} (m = ${m})`);
            }
          }
        }
      }
    }
    // One special value in a row of finite ones, times x = 1.
    const specials = type === "f16" ? [0x7c00, 0xfc00, 0x7e00, 0x7c01] : [0x7f80, 0xff80, 0x7fc0, 0x7f81];
    const bits = new Uint16Array(specials.length * 9).fill(type === "f16" ? 0x3c00 : 0x3f80);
    specials.forEach((s, r) => (bits[r * 9 + 4] = s));
    const out = new Float32Array(specials.length);
    wasm.one.matmul(out, new Float32Array(9).fill(1), wasm.one.uploadMatrix(halfMatrix(type, bits, specials.length, 9)), null, 1);
    assert.deepEqual([...out], [Infinity, -Infinity, NaN, NaN], type);
  }
});
