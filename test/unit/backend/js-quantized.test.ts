// Quantized matmul of the js backend (Q8_0, Q4_0 weights; activations quantized to Q8_0
// on the fly, as llama.cpp does) against (1) the float64 product of the dequantized weights
// and the activations quantized the same way — equal up to float rounding — and (2) the
// plain f32 product with the original weights, within a bound; prints an error table.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { jsBackend } from "../../../src/backend/js/index.js";
import { dequantize, quantizeQ4_0, quantizeQ8_0 } from "../../../src/tensor/quantize.js";
import { f32Matrix, type WeightMatrix } from "../../../src/tensor/weights.js";
import { randomNormal, seededRandom } from "../../helpers/random.js";

/** x quantized per block of 32 exactly as the kernel does (f32 scale), back to values. */
function quantizeActivations(x: Float32Array): Float64Array {
  const out = new Float64Array(x.length);
  for (let b = 0; b < x.length / 32; b++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b * 32 + j]!));
    const d = Math.fround(amax / 127);
    const id = d === 0 ? 0 : Math.fround(1 / d);
    for (let j = 0; j < 32; j++) {
      const v = Math.fround(x[b * 32 + j]! * id);
      out[b * 32 + j] = (v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5)) * d;
    }
  }
  return out;
}

function referenceProduct(x: ArrayLike<number>, w: ArrayLike<number>, bias: Float32Array | null, m: number, n: number, k: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = bias === null ? 0 : bias[j]!;
      for (let t = 0; t < k; t++) s += x[i * k + t]! * w[j * k + t]!;
      out[i * n + j] = s;
    }
  }
  return out;
}

const table: string[] = [];
after(() => {
  process.stdout.write(`\n${"type".padEnd(6)} ${"m×n×k".padEnd(12)} ${"vs same-quantized (rel)".padEnd(24)} vs f32 (max |Δ| / max |ref|)\n${table.join("\n")}\n`);
});

const SHAPES: [number, number, number][] = [
  [1, 1, 32],
  [3, 7, 64],
  [5, 33, 96],
  [9, 17, 256],
];

for (const [type, quantize, f32Bound] of [
  ["q8_0", quantizeQ8_0, 0.02],
  ["q4_0", quantizeQ4_0, 0.15],
] as const) {
  describe(`matmul ${type}`, () => {
    for (const [m, n, k] of SHAPES) {
      it(`${m}×${n}×${k}: exact against the dequantized product, bounded against f32`, () => {
        const random = seededRandom(m * 1000 + n * 10 + k);
        const x = randomNormal(random, m * k);
        const wData = randomNormal(random, n * k, 0.5);
        const bias = n % 2 === 1 ? randomNormal(random, n) : null;
        const w: WeightMatrix = quantize(wData, n, k);
        const out = new Float32Array(m * n);
        jsBackend.matmul(out, x, w, bias, m);

        const exact = referenceProduct(quantizeActivations(x), dequantize(w), bias, m, n, k);
        let relExact = 0;
        for (let i = 0; i < out.length; i++) relExact = Math.max(relExact, Math.abs(out[i]! - exact[i]!) / Math.max(1, Math.abs(exact[i]!)));
        assert.ok(relExact < 1e-6, `relative difference ${relExact} to the same-quantized product`);

        const plain = new Float32Array(m * n);
        jsBackend.matmul(plain, x, f32Matrix(wData, n, k), bias, m);
        let maxRef = 0;
        let maxDiff = 0;
        for (let i = 0; i < out.length; i++) {
          maxRef = Math.max(maxRef, Math.abs(plain[i]!));
          maxDiff = Math.max(maxDiff, Math.abs(out[i]! - plain[i]!));
        }
        const relative = maxDiff / maxRef;
        table.push(`${type.padEnd(6)} ${`${m}×${n}×${k}`.padEnd(12)} ${relExact.toExponential(2).padEnd(24)} ${relative.toExponential(2)}`);
        assert.ok(relative < f32Bound, `${type} error ${relative} ≥ ${f32Bound}`);
      });
    }

    it("gives zeros for zero activations and leaves rows past m alone", () => {
      const w = quantize(randomNormal(seededRandom(9), 4 * 32), 4, 32);
      const out = new Float32Array(12).fill(7);
      jsBackend.matmul(out, new Float32Array(64), w, null, 2);
      assert.deepEqual([...out], [0, 0, 0, 0, 0, 0, 0, 0, 7, 7, 7, 7]);
    });

    it("refuses buffers that are too short", () => {
      const w = quantize(new Float32Array(64), 2, 32);
      assert.throws(() => jsBackend.matmul(new Float32Array(2), new Float32Array(32), w, null, 2), /needs x/);
    });
  });
}
