// The WASM backend's quantized matmuls (panels of 4 rows, src/backend/wasm/quant-panels.ts;
// kernels/quant32.ts and kernels/kquants.ts) against the js reference, for Q8_0, Q4_0 and
// every ggml block format: random weights and activations of awkward shapes (row counts
// that are not multiples of the panel's 4, one to 67 activation rows, several blocks per
// row), with and without bias, buffers in the backend's memory and foreign, on one
// thread, two threads and an unshared memory. Each output may differ from the reference
// only by float32 reordering of the same integer block sums. Also: the results do not
// depend on the thread count, and uploaded matrices give back their exact bytes.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Backend } from "../../../src/backend/backend.js";
import { jsBackend as J } from "../../../src/backend/js/index.js";
import type { WasmBackend } from "../../../src/backend/wasm/index.js";
import { BLOCK_FORMATS, isBlockQuantType } from "../../../src/tensor/block-formats.js";
import { quantizeMatrix, type QuantizeType } from "../../../src/tensor/quantize.js";
import type { WeightMatrix } from "../../../src/tensor/weights.js";
import { randomNormal, seededRandom } from "../../helpers/random.js";
import { wasmTestBackends } from "../../helpers/wasm-backends.js";

const random = seededRandom(4242);
const wasm = wasmTestBackends();
const backends = (): [string, WasmBackend][] => [["1 thread", wasm.one], ["2 threads", wasm.two], ["unshared", wasm.unshared]];

const TYPES: QuantizeType[] = ["q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "iq4_nl", "q2_k", "q3_k", "q4_k", "q5_k", "q6_k", "iq4_xs"];
const blockSize = (type: QuantizeType) => (isBlockQuantType(type) ? BLOCK_FORMATS[type].blockSize : 32);

function place(backend: Backend, data: Float32Array, inMemory: boolean): Float32Array {
  if (!inMemory) return data.slice();
  const view = backend.allocate(data.length);
  view.set(data);
  return view;
}

/** Bytes that define a quantized matrix: its blocks, or its quants and scales. */
function storedBytes(m: WeightMatrix): number[] {
  if ("blocks" in m) return [...m.blocks];
  if ("quants" in m && "scales" in m) return [...new Uint8Array(m.quants.buffer, m.quants.byteOffset, m.quants.byteLength), ...new Uint8Array(m.scales.buffer, m.scales.byteOffset, m.scales.byteLength)];
  throw new Error(`${m.type} is not quantized`);
}

for (const type of TYPES) {
  const bs = blockSize(type);

  test(`${type}: wasm matmul equals the js reference up to float32 reordering (awkward shapes, 1 and 2 threads, foreign buffers)`, () => {
    const shapes: [number, number, number][] = [[1, bs, 1], [1, 3 * bs, 13], [2, 2 * bs, 5], [5, bs, 67], [67, 2 * bs, 9], [3, 4 * bs, 130], [6, 9 * bs, 9]];
    let worst = 0;
    for (const [m, k, n] of shapes) {
      const x = randomNormal(random, m * k);
      if (k >= 64) x.fill(0, 32, 64); // a block of zeros
      x[k - 1] = 40; // an outlier
      const w = quantizeMatrix(randomNormal(random, n * k, 0.05), n, k, type);
      const bias = randomNormal(random, n);
      for (const withBias of [false, true]) {
        const reference = new Float32Array(m * n);
        J.matmul(reference, x, w, withBias ? bias : null, m);
        for (const [label, B] of backends()) {
          for (const inMemory of [true, false]) {
            const out = place(B, new Float32Array(m * n + 2).fill(7), inMemory);
            B.matmul(out, place(B, x, inMemory), B.uploadMatrix(w), withBias ? place(B, bias, inMemory) : null, m);
            for (let i = 0; i < m * n; i++) {
              const error = Math.abs(out[i]! - reference[i]!) / (1 + Math.abs(reference[i]!));
              worst = Math.max(worst, error);
              assert.ok(error <= 4e-6 * Math.sqrt(k), `${type} ${m}×${k}×${n} ${label} ${inMemory ? "in memory" : "foreign"} output ${i}: ${out[i]} vs ${reference[i]}`);
            }
            assert.deepEqual([...out.subarray(m * n)], [7, 7], "the tail past m·n stays untouched");
          }
        }
      }
      const notUploaded = new Float32Array(m * n);
      wasm.two.matmul(notUploaded, x, w, null, m);
      const reference = new Float32Array(m * n);
      J.matmul(reference, x, w, null, m);
      for (let i = 0; i < m * n; i++) assert.ok(Math.abs(notUploaded[i]! - reference[i]!) <= 4e-6 * Math.sqrt(k) * (1 + Math.abs(reference[i]!)), "weight not uploaded");
    }
    process.stdout.write(`# ${type}: worst |wasm − js| / (1 + |js|) = ${worst.toExponential(2)}\n`);
  });

  test(`${type}: 1 and 2 threads give identical results (whole panels per chunk)`, () => {
    const [m, k, n] = [3, 3 * bs, 333];
    const x = randomNormal(random, m * k);
    const w = quantizeMatrix(randomNormal(random, n * k, 0.1), n, k, type);
    const a = new Float32Array(m * n);
    const b = new Float32Array(m * n);
    wasm.one.matmul(a, x, wasm.one.uploadMatrix(w), null, m);
    wasm.two.matmul(b, x, wasm.two.uploadMatrix(w), null, m);
    assert.deepEqual(a, b);
  });

  test(`${type}: an uploaded matrix gives back its exact bytes; inconsistent bytes are refused`, () => {
    const [n, k] = [7, 2 * bs];
    const w = quantizeMatrix(randomNormal(random, n * k), n, k, type);
    for (const [label, B] of backends()) {
      const placed = B.uploadMatrix(w);
      assert.equal(placed.type, w.type);
      assert.deepEqual(storedBytes(placed), storedBytes(w), `${label}: round trip through the panels`);
    }
    const broken = "blocks" in w ? { ...w, blocks: w.blocks.subarray(1) } : { ...w, scales: (w as { scales: Float32Array }).scales.subarray(1) };
    assert.throws(() => wasm.one.uploadMatrix(broken as WeightMatrix), /needs/);
  });
}
