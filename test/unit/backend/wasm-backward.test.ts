// The WASM backend's training kernels — every backward kernel, the GEMM in each
// operand layout the backward passes use, and the optimizer's kernels — against
// the js reference (src/backend/js/backward, src/backend/js/optimizer.ts), on
// random inputs of awkward shapes (odd sizes, non-multiples of 4, 8 and of the
// GEMM's 256-deep and 256-wide blocks), with one and two threads (bitwise equal to
// each other) and on the unshared memory, with buffers in the backend's memory and
// foreign ones. LMSCOPE_TEST_RELAXED=1 runs the same against the relaxed-SIMD build
// (wasm-relaxed.test.ts does, in a child process).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { AttentionShape } from "../../../src/backend/backend.js";
import type { BackwardKernels } from "../../../src/backend/backward.js";
import { jsBackwardKernels } from "../../../src/backend/js/backward/index.js";
import { jsOptimizerKernels } from "../../../src/backend/js/optimizer.js";
import type { AdamWScalars, OptimizerKernels } from "../../../src/backend/optimizer.js";
import { WasmBackend } from "../../../src/backend/wasm/index.js";
import type { FloatArray } from "../../../src/tensor/tensor.js";
import { randomInts, randomNormal, seededRandom } from "../../helpers/random.js";
import { wasmTestBackends } from "../../helpers/wasm-backends.js";

const random = seededRandom(1515);
const wasm = wasmTestBackends();
const reference = jsBackwardKernels as BackwardKernels<Float32Array>;

/** max |a − b| / (1 + |b|), NaN-aware (NaN equals NaN). */
function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    if (Number.isNaN(expected[i]!) && Number.isNaN(actual[i]!)) continue;
    const e = Math.abs(actual[i]! - expected[i]!) / (1 + Math.abs(expected[i]!));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

const backends = (): [string, WasmBackend][] => [["1 thread", wasm.one], ["2 threads", wasm.two], ["unshared", wasm.unshared]];

/**
 * Runs `kernel` with the js reference and with every WASM backend (buffers in its
 * memory and foreign) on copies of `inputs` and of the gradient buffers `outputs`
 * (their starting values, accumulated into); every output must be within `tolerance`
 * of the reference, and one and two threads must agree bit for bit.
 */
function compare(
  what: string,
  tolerance: number,
  inputs: Float32Array[],
  outputs: Float32Array[],
  kernel: (kernels: BackwardKernels<Float32Array>, inputs: Float32Array[], outputs: Float32Array[]) => void,
): void {
  const expected = outputs.map((o) => o.slice());
  kernel(reference, inputs.map((a) => a.slice()), expected);
  const results = new Map<string, Float32Array[]>();
  for (const [label, B] of backends()) {
    for (const inMemory of [true, false]) {
      const place = (a: Float32Array): Float32Array => {
        if (!inMemory) return a.slice();
        const view = B.allocate(a.length);
        view.set(a);
        return view;
      };
      const actual = outputs.map(place);
      kernel(B.backwardKernels(), inputs.map(place), actual);
      actual.forEach((a, i) => {
        const e = relativeError(a, expected[i]!);
        assert.ok(e <= tolerance, `${what}, output ${i}, ${label} ${inMemory ? "in memory" : "foreign"}: max relative error ${e} > ${tolerance}`);
      });
      if (inMemory) results.set(label, actual.map((a) => a.slice()));
    }
  }
  results.get("1 thread")!.forEach((a, i) => assert.deepEqual(a, results.get("2 threads")![i], `${what}, output ${i}: 1 and 2 threads differ`));
}

test("matmul backward (dx = dOut·W, dW += dOutᵀ·x, dBias) across the GEMM's blocks and tile edges", () => {
  // rows past 256 (the GEMM's depth block for dW), widths past 256 (its column block), odd sizes.
  for (const [rows, n, k] of [[1, 1, 1], [3, 9, 7], [13, 33, 17], [67, 20, 45], [300, 65, 12], [4, 270, 9], [65, 128, 300]] as const) {
    const inputs = [randomNormal(random, rows * n), randomNormal(random, rows * k), randomNormal(random, n * k)];
    const outputs = [randomNormal(random, rows * k), randomNormal(random, n * k), randomNormal(random, n)];
    compare(`matmulBackward ${rows}×${n}×${k}`, 3e-6 * Math.sqrt(Math.max(n, rows)), inputs, outputs, (K, [dOut, x, w], [dx, dw, db]) =>
      K.matmulBackward(dx!, dw!, db!, dOut!, x!, w!, rows, n, k),
    );
    compare(`matmulBackward ${rows}×${n}×${k}, dWeight alone`, 3e-6 * Math.sqrt(rows), inputs, [outputs[1]!], (K, [dOut, x, w], [dw]) =>
      K.matmulBackward(null, dw!, null, dOut!, x!, w!, rows, n, k),
    );
  }
});

test("Conv1D-window backward (GPT-2's fused qkv): dW written through the stride, W read through it, no transposes", () => {
  for (const [rows, inF, stride, first, count] of [[1, 1, 1, 0, 1], [5, 7, 12, 4, 5], [33, 17, 39, 13, 13], [64, 48, 144, 96, 48], [259, 20, 90, 30, 30], [7, 300, 30, 3, 27]] as const) {
    const inputs = [randomNormal(random, rows * count), randomNormal(random, rows * inF), randomNormal(random, inF * stride)];
    const outputs = [randomNormal(random, rows * inF), randomNormal(random, inF * stride), randomNormal(random, stride)];
    compare(`matmulColumnsBackward ${rows}×${inF} window ${first}+${count} of ${stride}`, 3e-6 * Math.sqrt(Math.max(rows, count)), inputs, outputs,
      (K, [dOut, x, w], [dx, dw, db]) => K.matmulColumnsBackward(dx!, dw!, db!, dOut!, x!, w!, rows, inF, stride, first, count),
    );
  }
  // The three windows of one fused weight, one after another, into one gradient.
  const [rows, dim] = [21, 11];
  const inputs = [randomNormal(random, rows * 3 * dim), randomNormal(random, rows * dim), randomNormal(random, dim * 3 * dim)];
  compare("q, k and v windows into one c_attn gradient", 1e-5, inputs, [new Float32Array(rows * dim), new Float32Array(3 * dim * dim), new Float32Array(3 * dim)],
    (K, [dOut, x, w], [dx, dw, db]) => {
      for (let part = 0; part < 3; part++) {
        const g = new Float32Array(rows * dim);
        for (let r = 0; r < rows; r++) g.set(dOut!.subarray(r * 3 * dim + part * dim, r * 3 * dim + (part + 1) * dim), r * dim);
        K.matmulColumnsBackward(dx!, dw!, db!, g, x!, w!, rows, dim, 3 * dim, part * dim, dim);
      }
    },
  );
});

test("accumulate, mul backward, and the activations' backward (GELU tanh and erf, SiLU, tanh)", () => {
  for (const n of [1, 3, 4, 17, 1000, 70001]) {
    const [a, b, g] = [randomNormal(random, n, 3), randomNormal(random, n, 3), randomNormal(random, n)];
    compare(`accumulate ×1 (${n})`, 1e-6, [g], [randomNormal(random, n)], (K, [src], [dst]) => K.accumulate(dst!, src!, n, 1));
    compare(`accumulate ×−0.37 (${n})`, 1e-6, [g], [randomNormal(random, n)], (K, [src], [dst]) => K.accumulate(dst!, src!, n, -0.37));
    compare(`mulBackward (${n})`, 1e-6, [g, a, b], [randomNormal(random, n), randomNormal(random, n)], (K, [dOut, x, y], [da, db]) =>
      K.mulBackward(da!, db!, dOut!, x!, y!, n),
    );
    compare(`mulBackward db alone (${n})`, 1e-6, [g, a, b], [randomNormal(random, n)], (K, [dOut, x, y], [db]) => K.mulBackward(null, db!, dOut!, x!, y!, n));
    compare(`geluBackward tanh (${n})`, 2e-6, [g, a], [randomNormal(random, n)], (K, [dOut, x], [dx]) => K.geluBackward(dx!, dOut!, x!, n, "tanh"));
    compare(`geluBackward erf (${n})`, 2e-6, [g, a], [randomNormal(random, n)], (K, [dOut, x], [dx]) => K.geluBackward(dx!, dOut!, x!, n, "erf"));
    compare(`siluBackward (${n})`, 2e-6, [g, a], [randomNormal(random, n)], (K, [dOut, x], [dx]) => K.siluBackward(dx!, dOut!, x!, n));
    const y = a.map(Math.tanh);
    compare(`tanhBackward (${n})`, 1e-6, [g, y], [randomNormal(random, n)], (K, [dOut, out], [dx]) => K.tanhBackward(dx!, dOut!, out!, n));
  }
  // Far tails: GELU's slope is 0 or 1 there, SiLU's too; no NaN from e^±∞.
  const far = Float32Array.from([-200, -40, -9, 9, 40, 200, 0, -0]);
  const ones = new Float32Array(far.length).fill(1);
  for (const approximation of ["tanh", "erf"] as const) {
    compare(`geluBackward ${approximation} tails`, 2e-6, [ones, far], [new Float32Array(far.length)], (K, [dOut, x], [dx]) =>
      K.geluBackward(dx!, dOut!, x!, far.length, approximation),
    );
  }
  compare("siluBackward tails", 2e-6, [ones, far], [new Float32Array(far.length)], (K, [dOut, x], [dx]) => K.siluBackward(dx!, dOut!, x!, far.length));
});

test("LayerNorm and RMSNorm backward (both gains, wanted outputs only) match the reference", () => {
  for (const [rows, dim] of [[1, 1], [3, 5], [17, 130], [40, 7], [768, 128], [33, 1027]] as const) {
    const x = randomNormal(random, rows * dim, 2, 0.5);
    const g = randomNormal(random, rows * dim);
    const w = randomNormal(random, dim, 1, 1);
    const start = (): Float32Array[] => [randomNormal(random, rows * dim), randomNormal(random, dim), randomNormal(random, dim)];
    compare(`layerNormBackward ${rows}×${dim}`, 2e-5, [g, x, w], start(), (K, [dOut, xs, ws], [dx, dw, db]) =>
      K.layerNormBackward(dx!, dw!, db!, dOut!, xs!, ws!, rows, dim, 1e-5),
    );
    compare(`layerNormBackward ${rows}×${dim}, gains alone`, 2e-5, [g, x, w], start().slice(1), (K, [dOut, xs, ws], [dw, db]) =>
      K.layerNormBackward(null, dw!, db!, dOut!, xs!, ws!, rows, dim, 1e-5),
    );
    for (const offset of [0, 1]) {
      compare(`rmsNormBackward ${rows}×${dim} offset ${offset}`, 2e-5, [g, x, w], start().slice(0, 2), (K, [dOut, xs, ws], [dx, dw]) =>
        K.rmsNormBackward(dx!, dw!, dOut!, xs!, ws!, rows, dim, 1e-6, offset),
      );
      compare(`rmsNormBackward ${rows}×${dim} offset ${offset}, dx alone`, 2e-5, [g, x, w], start().slice(0, 1), (K, [dOut, xs, ws], [dx]) =>
        K.rmsNormBackward(dx!, null, dOut!, xs!, ws!, rows, dim, 1e-6, offset),
      );
    }
  }
});

test("softmax backward, RoPE backward (both layouts, partial rotary) and the embedding's scatter-add", () => {
  for (const [rows, cols] of [[1, 1], [5, 3], [19, 65], [70, 130]] as const) {
    const y = randomNormal(random, rows * cols);
    for (let r = 0; r < rows; r++) {
      const row = y.subarray(r * cols, (r + 1) * cols);
      const max = Math.max(...row);
      let sum = 0;
      for (let i = 0; i < cols; i++) sum += (row[i] = Math.exp(row[i]! - max));
      for (let i = 0; i < cols; i++) row[i]! /= sum;
    }
    compare(`softmaxBackward ${rows}×${cols}`, 1e-6, [randomNormal(random, rows * cols), y], [randomNormal(random, rows * cols)], (K, [g, ys], [dx]) =>
      K.softmaxBackward(dx!, g!, ys!, rows, cols),
    );
  }
  for (const [rows, nHeads, headDim, rotaryDim, firstPosition] of [[1, 1, 2, 2, 0], [7, 3, 10, 10, 5], [33, 2, 16, 8, 0], [20, 4, 20, 12, 3]] as const) {
    const half = rotaryDim / 2;
    const positions = firstPosition + rows;
    const cos = Float32Array.from({ length: positions * half }, (_, i) => Math.cos(i * 0.37));
    const sin = Float32Array.from({ length: positions * half }, (_, i) => Math.sin(i * 0.37));
    for (const layout of ["half", "interleaved"] as const) {
      const n = rows * nHeads * headDim;
      compare(`ropeBackward ${layout} ${rows}×${nHeads}×${headDim} rotary ${rotaryDim} from ${firstPosition}`, 1e-6, [randomNormal(random, n), cos, sin], [randomNormal(random, n)],
        (K, [g, c, s], [dx]) => K.ropeBackward(dx!, g!, rows, nHeads, headDim, firstPosition, c!, s!, rotaryDim, layout),
      );
    }
  }
  for (const [count, tableRows, dim] of [[1, 1, 1], [9, 4, 7], [768, 65, 128], [50, 3, 131]] as const) {
    const ids = randomInts(random, count, tableRows);
    for (const skip of [null, ids[0]!]) {
      compare(`embeddingBackward ${count} ids of ${tableRows}×${dim}, skip ${skip}`, 1e-6, [randomNormal(random, count * dim)], [randomNormal(random, tableRows * dim)],
        (K, [g], [table]) => K.embeddingBackward(table!, g!, ids, dim, skip),
      );
    }
  }
  assert.throws(() => wasm.one.backwardKernels().embeddingBackward(new Float32Array(6), new Float32Array(3), [2], 3, null), /outside the table's 2 rows/);
});

test("cross-entropy loss and its fused softmax gradient match the reference (ignored rows, odd vocabularies)", () => {
  for (const [rows, vocab] of [[1, 1], [3, 5], [768, 65], [37, 1031]] as const) {
    const logits = randomNormal(random, rows * vocab, 3);
    const targets = randomInts(random, rows, vocab);
    if (rows > 2) targets[1] = -100;
    const expectedLoss = reference.crossEntropy(logits, targets, rows, vocab, -100);
    for (const [label, B] of backends()) {
      const loss = B.backwardKernels().crossEntropy(B.upload(logits.slice()), targets, rows, vocab, -100);
      assert.ok(Math.abs(loss - expectedLoss) <= 1e-6 * (1 + Math.abs(expectedLoss)), `crossEntropy ${rows}×${vocab} ${label}: ${loss} vs ${expectedLoss}`);
    }
    compare(`crossEntropyBackward ${rows}×${vocab}`, 1e-6, [logits], [randomNormal(random, rows * vocab)], (K, [l], [dl]) =>
      K.crossEntropyBackward(dl!, l!, targets, rows, vocab, -100, 0.7),
    );
  }
  const all = new Array(4).fill(-100);
  assert.ok(Number.isNaN(wasm.two.backwardKernels().crossEntropy(new Float32Array(12), all, 4, 3, -100)), "every target ignored: NaN, as torch");
  assert.throws(() => wasm.two.backwardKernels().crossEntropy(new Float32Array(12), [0, 1, 3, 2], 4, 3, -100), /target 3 at row 2/);
});

test("attention backward matches the reference: causal, offsets, GQA, MQA, padding masks, windows, soft-capping, ALiBi", () => {
  const cases: (Omit<AttentionShape, "scale" | "alibiSlopes"> & { mask?: boolean; alibi?: boolean })[] = [
    { queryCount: 1, keyCount: 1, queryOffset: 0, nHeads: 1, nKvHeads: 1, headDim: 1, causal: true },
    { queryCount: 64, keyCount: 64, queryOffset: 0, nHeads: 4, nKvHeads: 4, headDim: 32, causal: true },
    { queryCount: 5, keyCount: 12, queryOffset: 7, nHeads: 6, nKvHeads: 2, headDim: 7, causal: true },
    { queryCount: 7, keyCount: 7, queryOffset: 0, nHeads: 4, nKvHeads: 1, headDim: 16, causal: true },
    { queryCount: 9, keyCount: 9, queryOffset: 0, nHeads: 3, nKvHeads: 3, headDim: 5, causal: false, mask: true },
    { queryCount: 30, keyCount: 90, queryOffset: 0, nHeads: 2, nKvHeads: 1, headDim: 13, causal: false, mask: true },
    { queryCount: 40, keyCount: 40, queryOffset: 0, nHeads: 4, nKvHeads: 2, headDim: 12, causal: true, window: 5 },
    { queryCount: 13, keyCount: 77, queryOffset: 64, nHeads: 4, nKvHeads: 2, headDim: 24, causal: true, softcap: 5 },
    { queryCount: 11, keyCount: 11, queryOffset: 0, nHeads: 6, nKvHeads: 6, headDim: 9, causal: true, alibi: true },
    { queryCount: 17, keyCount: 150, queryOffset: 133, nHeads: 6, nKvHeads: 3, headDim: 16, causal: true, window: 30, softcap: 3, alibi: true },
  ];
  for (const c of cases) {
    const alibiSlopes = c.alibi === true ? Float32Array.from({ length: c.nHeads }, (_, h) => 2 ** (-(h + 1))) : null;
    const shape: AttentionShape = { ...c, scale: 1 / Math.sqrt(c.headDim), alibiSlopes };
    const qn = c.queryCount * c.nHeads * c.headDim;
    const kvn = c.keyCount * c.nKvHeads * c.headDim;
    const mask = c.mask === true ? Array.from({ length: c.keyCount }, (_, t) => (t % 5 === 3 || t > c.keyCount - 3 ? 0 : 1)) : undefined;
    const inputs = [randomNormal(random, qn), randomNormal(random, qn, 2), randomNormal(random, kvn, 2), randomNormal(random, kvn)];
    compare(`attentionBackward ${JSON.stringify(c)}`, 2e-5, inputs, [randomNormal(random, qn), randomNormal(random, kvn), randomNormal(random, kvn)],
      (K, [g, q, k, v], [dq, dk, dv]) => K.attentionBackward(dq!, dk!, dv!, g!, q!, k!, v!, shape, new Float32Array(2 * c.keyCount), mask),
    );
    compare(`attentionBackward ${JSON.stringify(c)}, dk alone`, 2e-5, inputs, [randomNormal(random, kvn)], (K, [g, q, k, v], [dk]) =>
      K.attentionBackward(null, dk!, null, g!, q!, k!, v!, shape, new Float32Array(2 * c.keyCount), mask),
    );
  }
  // A query whose every visible key is padding: NaN gradients, as the reference's 0/0.
  const shape: AttentionShape = { queryCount: 2, keyCount: 3, queryOffset: 0, nHeads: 1, nKvHeads: 1, headDim: 4, scale: 0.5, causal: false };
  compare("attentionBackward, all keys masked", 0, [randomNormal(random, 8), randomNormal(random, 8), randomNormal(random, 12), randomNormal(random, 12)],
    [new Float32Array(8), new Float32Array(12), new Float32Array(12)],
    (K, [g, q, k, v], [dq, dk, dv]) => K.attentionBackward(dq!, dk!, dv!, g!, q!, k!, v!, shape, new Float32Array(6), [0, 0, 0]),
  );
});

test("optimizer kernels (AdamW, squared norm, scaling) match the reference", () => {
  const scalars: AdamWScalars = { beta1: 0.9, beta2: 0.99, eps: 1e-8, stepSize: 1e-3 / (1 - 0.9 ** 3), decay: 1 - 1e-3 * 0.1, biasCorrection2Sqrt: Math.sqrt(1 - 0.99 ** 3) };
  const js = jsOptimizerKernels as OptimizerKernels<FloatArray>;
  for (const n of [1, 5, 16, 1001, 70003]) {
    const [param, grad, m, v] = [randomNormal(random, n), randomNormal(random, n, 0.1), randomNormal(random, n, 0.01), randomNormal(random, n, 1e-4).map(Math.abs)];
    const expected = [param.slice(), m.slice(), v.slice()];
    js.adamwStep(expected[0]!, grad, expected[1]!, expected[2]!, n, scalars);
    const expectedSquares = js.sumOfSquares(grad, n);
    const scaled = grad.slice();
    js.scale(scaled, n, -0.31);
    const runs: Float32Array[][] = [];
    for (const [label, B] of backends()) {
      const K = B.optimizerKernels();
      const state = [param, m, v].map((a) => B.upload(a.slice()));
      K.adamwStep(state[0]!, B.upload(grad.slice()), state[1]!, state[2]!, n, scalars);
      state.forEach((a, i) => assert.ok(relativeError(a, expected[i]!) <= 1e-6, `adamwStep (${n}) ${label}, buffer ${i}: ${relativeError(a, expected[i]!)}`));
      if (label !== "unshared") runs.push(state.map((a) => a.slice()));
      const squares = K.sumOfSquares(B.upload(grad.slice()), n);
      assert.ok(Math.abs(squares - expectedSquares) <= 1e-12 * expectedSquares, `sumOfSquares (${n}) ${label}: ${squares} vs ${expectedSquares}`);
      const x = B.upload(grad.slice());
      K.scale(x, n, -0.31);
      assert.ok(relativeError(x, scaled) <= 1e-7, `scale (${n}) ${label}`);
    }
    assert.deepEqual(runs[0], runs[1], "1 and 2 threads give the same AdamW update");
  }
});

test(`the backends run the ${process.env["LMSCOPE_TEST_RELAXED"] === "1" ? "relaxed-SIMD" : "SIMD128"} build`, () => {
  const relaxed = process.env["LMSCOPE_TEST_RELAXED"] === "1";
  for (const [label, B] of backends()) assert.equal(B.relaxedSimd, relaxed, label);
});
