// Quantized matmuls of the js backend (the reference), for Q8_0, Q4_0 and every ggml
// block format: activations quantized on the fly as ggml's CPU matmul does (Q8_0 / Q8_1
// with f16 scales, Q8_K with an f32 scale), integer dot products per block, float32
// accumulation. Checked against (1) the float64 product of the dequantized weights and
// the activations quantized the same way (modelled independently here), equal up to
// float32 rounding, and (2) the plain f32 product with the original weights, each output
// within a per-type fraction of Σ|x·w|; prints an error table.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { jsBackend } from "../../../src/backend/js/index.js";
import { BLOCK_FORMATS, isBlockQuantType } from "../../../src/tensor/block-formats.js";
import { f16At } from "../../../src/tensor/block-dequantize.js";
import { roundToF16 } from "../../../src/tensor/dtype.js";
import { dequantize, quantizeMatrix, type QuantizeType } from "../../../src/tensor/quantize.js";
import { f32Matrix, type BlockQuantMatrix, type WeightMatrix } from "../../../src/tensor/weights.js";
import { randomNormal, seededRandom } from "../../helpers/random.js";

const f32 = Math.fround;
const roundHalfAway = (v: number) => (v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5));
const roundHalfEven = (v: number) => {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

interface QuantizedActivations {
  /** x as the kernel sees it: level × scale, per element */
  values: Float64Array;
  /** per block of 32: the f16-rounded d·Σq ggml's Q8_1 stores, minus d_rounded·Σq (what `values` implies) */
  sumCorrection: Float64Array;
}

/** x quantized as ggml's CPU matmul quantizes it for a weight of `type`. */
function quantizeActivations(type: QuantizeType, x: Float32Array): QuantizedActivations {
  const values = new Float64Array(x.length);
  const sumCorrection = new Float64Array(x.length / 32);
  const format = isBlockQuantType(type) ? BLOCK_FORMATS[type].activation : "q8_0";
  if (format === "q8_k") {
    for (let b = 0; b < x.length / 256; b++) {
      let amax = 0;
      let max = 0;
      for (let j = 0; j < 256; j++) if (Math.abs(x[256 * b + j]!) > amax) [amax, max] = [Math.abs(x[256 * b + j]!), x[256 * b + j]!];
      if (amax === 0) continue;
      const iscale = f32(-127 / max);
      for (let j = 0; j < 256; j++) values[256 * b + j] = Math.min(127, roundHalfEven(f32(iscale * x[256 * b + j]!))) * f32(1 / iscale);
    }
    return { values, sumCorrection };
  }
  for (let b = 0; b < x.length / 32; b++) {
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[32 * b + j]!));
    const d = f32(amax / 127);
    const id = d === 0 ? 0 : f32(1 / d);
    let sum = 0;
    for (let j = 0; j < 32; j++) {
      const q = roundHalfAway(f32(x[32 * b + j]! * id));
      sum += q;
      values[32 * b + j] = q * roundToF16(d);
    }
    if (format === "q8_1") sumCorrection[b] = roundToF16(f32(sum * d)) - sum * roundToF16(d);
  }
  return { values, sumCorrection };
}

/** Σ x·w in float64 (+ bias), with Q4_1/Q5_1's min times ggml's rounded activation sum. */
function referenceProduct(a: QuantizedActivations, w: WeightMatrix, bias: Float32Array | null, m: number): Float64Array {
  const { rows: n, cols: k } = w;
  const deq = dequantize(w);
  const out = new Float64Array(m * n);
  const hasMin = w.type === "q4_1" || w.type === "q5_1";
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = bias === null ? 0 : bias[j]!;
      for (let t = 0; t < k; t++) s += a.values[i * k + t]! * deq[j * k + t]!;
      if (hasMin) {
        const blocks = (w as BlockQuantMatrix).blocks;
        const bytes = BLOCK_FORMATS[w.type as "q4_1" | "q5_1"].blockBytes;
        for (let b = 0; b < k / 32; b++) s += f16At(blocks, (j * (k / 32) + b) * bytes + 2) * a.sumCorrection[(i * k) / 32 + b]!;
      }
      out[i * n + j] = s;
    }
  }
  return out;
}

const table: string[] = [];
after(() => {
  process.stdout.write(`\n${"type".padEnd(7)} ${"m×n×k".padEnd(12)} ${"vs same-quantized (rel)".padEnd(24)} vs f32 (max |Δ| / Σ|x·w|)\n${table.join("\n")}\n`);
});

/** Per type: the bound on |Δ| / Σ|x·w| against the f32 product (weights N(0, 0.5), x N(0, 1)). */
const TYPES: [QuantizeType, number][] = [
  ["q8_0", 0.01], ["q4_0", 0.1], ["q4_1", 0.1], ["q5_0", 0.05], ["q5_1", 0.05], ["iq4_nl", 0.08],
  ["q2_k", 0.1], ["q3_k", 0.06], ["q4_k", 0.03], ["q5_k", 0.015], ["q6_k", 0.008], ["iq4_xs", 0.03],
];

for (const [type, f32Bound] of TYPES) {
  const blockSize = isBlockQuantType(type) ? BLOCK_FORMATS[type].blockSize : 32;
  const shapes: [number, number, number][] =
    blockSize === 256 ? [[1, 1, 256], [3, 7, 512], [5, 13, 768]] : [[1, 1, 32], [3, 7, 64], [5, 33, 96], [9, 17, 256]];
  describe(`matmul ${type}`, () => {
    for (const [m, n, k] of shapes) {
      it(`${m}×${n}×${k}: equal to the same-quantized product up to f32 rounding, bounded against f32`, () => {
        const random = seededRandom(m * 1000 + n * 10 + k);
        const x = randomNormal(random, m * k);
        if (k >= 64) x.fill(0, 32, 64); // an all-zero block: scale 0
        const wData = randomNormal(random, n * k, 0.5);
        const bias = n % 2 === 1 ? randomNormal(random, n) : null;
        const w = quantizeMatrix(wData, n, k, type);
        const out = new Float32Array(m * n);
        jsBackend.matmul(out, x, w, bias, m);

        const exact = referenceProduct(quantizeActivations(type, x), w, bias, m);
        let relExact = 0;
        for (let i = 0; i < out.length; i++) relExact = Math.max(relExact, Math.abs(out[i]! - exact[i]!) / Math.max(1, Math.abs(exact[i]!)));
        assert.ok(relExact < 2e-6 * Math.sqrt(k), `relative difference ${relExact} to the same-quantized product`);

        // Against the f32 product, each output's error is bounded by a fraction of Σ|x·w| over its
        // terms (quantization steps are relative to each block's largest magnitude), not of the
        // output itself, which cancellation can make arbitrarily small.
        const plain = new Float32Array(m * n);
        jsBackend.matmul(plain, x, f32Matrix(wData, n, k), bias, m);
        let relative = 0;
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let magnitude = 0;
            for (let t = 0; t < k; t++) magnitude += Math.abs(x[i * k + t]! * wData[j * k + t]!);
            relative = Math.max(relative, Math.abs(out[i * n + j]! - plain[i * n + j]!) / (magnitude + 1e-9));
          }
        }
        table.push(`${type.padEnd(7)} ${`${m}×${n}×${k}`.padEnd(12)} ${relExact.toExponential(2).padEnd(24)} ${relative.toExponential(2)}`);
        assert.ok(relative < f32Bound, `${type}: an output is ${relative} of Σ|x·w| from the f32 product (bound ${f32Bound})`);
      });
    }

    it("gives zeros for zero activations and leaves rows past m alone", () => {
      const w = quantizeMatrix(randomNormal(seededRandom(9), 4 * blockSize), 4, blockSize, type);
      const out = new Float32Array(12).fill(7);
      jsBackend.matmul(out, new Float32Array(2 * blockSize), w, null, 2);
      assert.deepEqual([...out], [0, 0, 0, 0, 0, 0, 0, 0, 7, 7, 7, 7]);
    });

    it("refuses buffers that are too short", () => {
      const w = quantizeMatrix(new Float32Array(2 * blockSize), 2, blockSize, type);
      assert.throws(() => jsBackend.matmul(new Float32Array(2), new Float32Array(blockSize), w, null, 2), /needs x/);
    });
  });
}
