// The WASM SIMD backend against the js backend (the specification), op by op, on
// random inputs of awkward shapes (odd lengths, sizes that are not multiples of
// the vector width or of 4/16/32), with one and two threads, with buffers in the
// backend's memory and with foreign arrays (the copy-in/copy-out path).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { AttentionShape, Backend } from "../../../src/backend/backend.js";
import { jsBackend as J } from "../../../src/backend/js/index.js";
import { jsBackwardKernels } from "../../../src/backend/js/backward/index.js";
import { WasmBackend } from "../../../src/backend/wasm/index.js";
import { quantizeQ4_0, quantizeQ8_0 } from "../../../src/tensor/quantize.js";
import { f32ColumnsMatrix, f32Matrix, type WeightMatrix } from "../../../src/tensor/weights.js";
import { randomNormal, seededRandom } from "../../helpers/random.js";
import { wasmTestBackends } from "../../helpers/wasm-backends.js";

const random = seededRandom(777);
const wasm = wasmTestBackends();

/** max |a − b| / (1 + |b|), NaN-aware. */
function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>, n = expected.length): number {
  let worst = 0;
  for (let i = 0; i < n; i++) {
    const e = (Math.abs(actual[i]! - expected[i]!)) / (1 + Math.abs(expected[i]!));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string, n = expected.length): void {
  const e = relativeError(actual, expected, n);
  assert.ok(e <= tol, `${what}: max relative error ${e} > ${tol}`);
}

/** Copies `data` into the backend's memory (as a model's buffers are) or leaves it foreign. */
function place(backend: Backend, data: Float32Array, inMemory: boolean): Float32Array {
  if (!inMemory) return data.slice();
  const view = backend.allocate(data.length);
  view.set(data);
  return view;
}

const backends = (): [string, WasmBackend][] => [["1 thread", wasm.one], ["2 threads", wasm.two], ["unshared", wasm.unshared]];

test("f32 matmul (m = 1, 2, 5, 67; odd k and n) matches the reference, in memory and foreign", () => {
  const shapes = [[1, 1, 1], [1, 7, 5], [1, 768, 37], [2, 33, 17], [5, 13, 9], [4, 8, 3], [67, 45, 31], [9, 2, 130], [1, 130, 515]];
  for (const [m, k, n] of shapes as [number, number, number][]) {
    const x = randomNormal(random, m * k);
    const w = randomNormal(random, n * k);
    const bias = randomNormal(random, n);
    for (const withBias of [false, true]) {
      const expected = new Float32Array(m * n);
      J.matmul(expected, x, f32Matrix(w, n, k), withBias ? bias : null, m);
      for (const [label, B] of backends()) {
        for (const inMemory of [true, false]) {
          const W = B.uploadMatrix(f32Matrix(w.slice(), n, k));
          const out = place(B, new Float32Array(m * n + 3).fill(42), inMemory);
          B.matmul(out, place(B, x, inMemory), W, withBias ? place(B, bias, inMemory) : null, m);
          close(out, expected, 2e-6 * Math.sqrt(k), `matmul ${m}×${k}×${n} ${label} ${inMemory ? "in memory" : "foreign"}`);
          assert.deepEqual([...out.subarray(m * n)], [42, 42, 42], "the tail past m·n stays untouched");
        }
      }
    }
  }
});

test("f32 Conv1D-layout matmul (GPT-2 column windows) matches the reference", () => {
  for (const [m, k, stride, first, n] of [[1, 7, 9, 2, 5], [1, 24, 72, 48, 24], [2, 33, 99, 33, 33], [5, 16, 40, 3, 37], [67, 20, 60, 0, 60], [3, 64, 200, 17, 130]]) {
    const x = randomNormal(random, m! * k!);
    const data = randomNormal(random, k! * stride!);
    const bias = randomNormal(random, n!);
    const matrix = f32ColumnsMatrix(data, k!, stride!, first!, n!);
    for (const withBias of [false, true]) {
      const expected = new Float32Array(m! * n!);
      J.matmul(expected, x, matrix, withBias ? bias : null, m!);
      for (const [label, B] of backends()) {
        for (const inMemory of [true, false]) {
          const out = place(B, new Float32Array(m! * n! + 2).fill(7), inMemory);
          B.matmul(out, place(B, x, inMemory), B.uploadMatrix(matrix), withBias ? place(B, bias, inMemory) : null, m!);
          close(out, expected, 2e-6 * Math.sqrt(k!), `columns ${m}×${k}→${first}+${n}/${stride} ${label}`, m! * n!);
          assert.deepEqual([...out.subarray(m! * n!)], [7, 7]);
        }
      }
      const foreign = new Float32Array(m! * n!);
      wasm.two.matmul(foreign, x, matrix, withBias ? bias : null, m!); // never uploaded
      close(foreign, expected, 2e-6 * Math.sqrt(k!), "columns, weight not uploaded");
    }
  }
});

test("a weight matrix that was never uploaded still works (copied per call)", () => {
  const [m, k, n] = [3, 40, 21];
  const x = randomNormal(random, m * k);
  const w = f32Matrix(randomNormal(random, n * k), n, k);
  const expected = new Float32Array(m * n);
  J.matmul(expected, x, w, null, m);
  const out = new Float32Array(m * n);
  wasm.two.matmul(out, x, w, null, m);
  close(out, expected, 1e-5, "matmul with a foreign weight");
});

test("threads 1 and 2 give identical quantized, Conv1D-layout and attention results", () => {
  const [m, k, n] = [5, 256, 333];
  const x = randomNormal(random, m * k);
  const wf = randomNormal(random, n * k, 0.1);
  for (const type of ["q8_0", "q4_0"] as const) {
    const wq = type === "q8_0" ? quantizeQ8_0(wf, n, k) : quantizeQ4_0(wf, n, k);
    const a = new Float32Array(m * n);
    const b = new Float32Array(m * n);
    wasm.one.matmul(a, x, wasm.one.uploadMatrix(wq), null, m);
    wasm.two.matmul(b, x, wasm.two.uploadMatrix(wq), null, m);
    assert.deepEqual(a, b, type);
  }
  const columns = f32ColumnsMatrix(wf, k, n, 7, 300);
  const a = new Float32Array(m * 300);
  const b = new Float32Array(m * 300);
  wasm.one.matmul(a, x, wasm.one.uploadMatrix(columns), null, m);
  wasm.two.matmul(b, x, wasm.two.uploadMatrix(columns), null, m);
  assert.deepEqual(a, b, "f32_columns");
  const shape: AttentionShape = { queryCount: 9, keyCount: 150, queryOffset: 141, nHeads: 6, nKvHeads: 2, headDim: 32, scale: 0.2, causal: true };
  const q = randomNormal(random, 9 * 6 * 32);
  const kv = randomNormal(random, 150 * 2 * 32);
  const o1 = new Float32Array(q.length);
  const o2 = new Float32Array(q.length);
  wasm.one.attention(o1, q, kv, kv, shape, new Float32Array(150));
  wasm.two.attention(o2, q, kv, kv, shape, new Float32Array(150));
  assert.deepEqual(o1, o2, "attention");
  const decode: AttentionShape = { ...shape, queryCount: 1, queryOffset: 149, nHeads: 10 };
  const qd = randomNormal(random, 10 * 32);
  const d1 = new Float32Array(qd.length);
  const d2 = new Float32Array(qd.length);
  wasm.one.attention(d1, qd, kv, kv, decode, new Float32Array(150));
  wasm.two.attention(d2, qd, kv, kv, decode, new Float32Array(150));
  assert.deepEqual(d1, d2, "attention, wasm.one query row");
});

test("threads 1 and 2 give identical matmuls (each output is computed by wasm.one thread the same way)", () => {
  for (const [m, k, n] of [[1, 768, 2048], [7, 96, 333], [64, 64, 64]] as [number, number, number][]) {
    const x = randomNormal(random, m * k);
    const w = randomNormal(random, n * k);
    const a = new Float32Array(m * n);
    const b = new Float32Array(m * n);
    wasm.one.matmul(a, x, wasm.one.uploadMatrix(f32Matrix(w, n, k)), null, m);
    wasm.two.matmul(b, x, wasm.two.uploadMatrix(f32Matrix(w, n, k)), null, m);
    assert.deepEqual(a, b, `matmul ${m}×${k}×${n}`);
  }
});

test("uploaded Q8_0/Q4_0 matrices give back their quants and scales; inconsistent arrays are refused", () => {
  const [n, k] = [7, 96];
  const wf = randomNormal(random, n * k);
  for (const [label, B] of backends()) {
    for (const wq of [quantizeQ8_0(wf, n, k), quantizeQ4_0(wf, n, k)]) {
      const placed = B.uploadMatrix(wq);
      assert.equal(placed.type, wq.type);
      assert.deepEqual([...placed.quants], [...wq.quants], `${label} ${wq.type} quants`);
      assert.deepEqual([...placed.scales], [...wq.scales], `${label} ${wq.type} scales`);
      const truncated = { ...wq, scales: wq.scales.subarray(1) } as WeightMatrix;
      assert.throws(() => B.uploadMatrix(truncated), /has 672 quant bytes and 20 scales, needs 672 and 21|has 336 quant bytes and 20 scales, needs 336 and 21/);
    }
  }
});

test("quantized matmuls (Q8_0, Q4_0) match the js reference and stay near the f32 product", () => {
  const rows: string[] = [];
  for (const [m, k, n] of [[1, 32, 1], [1, 96, 37], [2, 64, 5], [5, 160, 67], [67, 32, 9], [1, 768, 515]] as [number, number, number][]) {
    const x = randomNormal(random, m * k);
    x[0] = 0; // a zero and a block of zeros: scale 0 must quantize to zeros
    if (k >= 64) x.fill(0, 32, 64);
    const wf = randomNormal(random, n * k, 0.05);
    const bias = randomNormal(random, n);
    const exact = new Float32Array(m * n);
    J.matmul(exact, x, f32Matrix(wf, n, k), bias, m);
    let scale = 0;
    for (const v of exact) scale = Math.max(scale, Math.abs(v));
    for (const [type, quantize] of [["q8_0", quantizeQ8_0], ["q4_0", quantizeQ4_0]] as const) {
      const wq: WeightMatrix = quantize(wf, n, k);
      const reference = new Float32Array(m * n);
      J.matmul(reference, x, wq, bias, m);
      for (const [label, B] of backends()) {
        for (const inMemory of [true, false]) {
          const out = place(B, new Float32Array(m * n), inMemory);
          B.matmul(out, place(B, x, inMemory), B.uploadMatrix(wq), place(B, bias, inMemory), m);
          close(out, reference, 2e-6 * Math.sqrt(k), `${type} ${m}×${k}×${n} ${label} vs js`);
          if (label === "1 thread" && inMemory) {
            // Each output's error is bounded by a fraction of Σ|x·w| over its terms (the
            // quantization steps are relative to each block's largest magnitude), not of
            // the output itself, which cancellation can make arbitrarily small.
            let worst = 0;
            let worstShare = 0;
            for (let i = 0; i < m; i++) {
              for (let j = 0; j < n; j++) {
                let magnitude = 0;
                for (let t = 0; t < k; t++) magnitude += Math.abs(x[i * k + t]! * wf[j * k + t]!);
                const error = Math.abs(out[i * n + j]! - exact[i * n + j]!);
                worst = Math.max(worst, error);
                worstShare = Math.max(worstShare, error / (magnitude + 1e-12));
              }
            }
            rows.push(
              `${type} ${`${m}×${k}×${n}`.padEnd(12)} max|Δ| vs f32 ${worst.toExponential(2)}  (max|out| ${scale.toFixed(2)}; ` +
                `worst |Δ| / Σ|x·w| ${(100 * worstShare).toFixed(3)}%)`,
            );
            const bound = type === "q8_0" ? 0.02 : 0.15;
            assert.ok(worstShare <= bound, `${type} ${m}×${k}×${n}: an output is ${worstShare} of Σ|x·w| from the f32 product`);
          }
        }
      }
    }
  }
  console.log(`quantized matmul error against the f32 product:\n  ${rows.join("\n  ")}`);
});

test("rmsNorm (both gains), layerNorm, add, mul match the reference (odd dims, aliasing, row blocks on threads)", () => {
  for (const [rows, dim, offset] of [[1, 1, 0], [3, 7, 0], [2, 65, 1], [5, 768, 0], [3, 13, 1], [700, 131, 1]] as [number, number, number][]) {
    const x = randomNormal(random, rows * dim, 3, 1);
    const w = randomNormal(random, dim);
    const b = randomNormal(random, dim);
    const y = randomNormal(random, rows * dim);
    const n = rows * dim;
    const eRms = new Float32Array(n), eLn = new Float32Array(n), eAdd = new Float32Array(n), eMul = new Float32Array(n);
    J.rmsNorm(eRms, x, w, rows, dim, 1e-5, offset);
    J.layerNorm(eLn, x, w, b, rows, dim, 1e-5);
    J.add(eAdd, x, y, n);
    J.mul(eMul, x, y, n);
    for (const [label, B] of backends()) {
      for (const inMemory of [true, false]) {
        const where = `${rows}×${dim} ${label} ${inMemory ? "in memory" : "foreign"}`;
        const xs = place(B, x, inMemory);
        const out = place(B, new Float32Array(n), inMemory);
        B.rmsNorm(out, xs, place(B, w, inMemory), rows, dim, 1e-5, offset);
        close(out, eRms, 1e-5, `rmsNorm ${where}`);
        B.layerNorm(out, xs, place(B, w, inMemory), place(B, b, inMemory), rows, dim, 1e-5);
        close(out, eLn, 2e-5, `layerNorm ${where}`);
        const aliased = place(B, x, inMemory);
        B.rmsNorm(aliased, aliased, place(B, w, inMemory), rows, dim, 1e-5, offset);
        close(aliased, eRms, 1e-5, `rmsNorm in place ${where}`);
        const sum = place(B, x, inMemory);
        B.add(sum, sum, place(B, y, inMemory), n);
        close(sum, eAdd, 1e-7, `add ${where}`);
        const product = place(B, x, inMemory);
        B.mul(product, place(B, y, inMemory), product, n);
        close(product, eMul, 1e-7, `mul ${where}`);
      }
    }
  }
});

test("softmax, scale, GELU (tanh and erf, told apart), SiLU and tanh match the reference (and in blocks on threads)", () => {
  for (const [rows, cols] of [[1, 1], [3, 7], [2, 1000]] as [number, number][]) {
    const x = randomNormal(random, rows * cols, 4);
    x[0] = 1e4;
    const expected = x.slice();
    J.softmax(expected, rows, cols);
    for (const [label, B] of backends()) {
      for (const inMemory of [true, false]) {
        const y = place(B, x, inMemory);
        B.softmax(y, rows, cols);
        close(y, expected, 1e-6, `softmax ${rows}×${cols} ${label}`);
      }
    }
  }
  for (const n of [1003, 70001]) activations(n);
});

function activations(n: number): void {
  const x = randomNormal(random, n, 3);
  x[1] = -40;
  x[2] = 40;
  x[3] = 0;
  const tanhGelu = x.slice();
  const erfGelu = x.slice();
  const silu = x.slice();
  const tanh = x.slice();
  J.gelu(tanhGelu, n, "tanh");
  J.gelu(erfGelu, n, "erf");
  J.silu(silu, n);
  J.tanh(tanh, n);
  for (const [label, B] of backends()) {
    for (const inMemory of [true, false]) {
      const a = place(B, x, inMemory);
      B.gelu(a, n, "tanh");
      close(a, tanhGelu, 2e-7, `gelu tanh ${label}`);
      const b = place(B, x, inMemory);
      B.gelu(b, n, "erf");
      close(b, erfGelu, 2e-7, `gelu erf ${label}`); // far below the 1.7e-4 that separates tanh from erf
      const c = place(B, x, inMemory);
      B.silu(c, n);
      close(c, silu, 5e-7, `silu ${label}`);
      const d = place(B, x, inMemory);
      B.tanh(d, n);
      close(d, tanh, 2e-7, `tanh ${label}`);
      const e = place(B, x, inMemory);
      B.scale(e, n - 2, 1.7);
      close(e, [...x.subarray(0, n - 2)].map((v) => Math.fround(v * Math.fround(1.7))).concat([x[n - 2]!, x[n - 1]!]), 0, `scale ${label}`);
    }
  }
}

test("rope (half and interleaved, partial rotary, offsets) matches the reference", () => {
  for (const layout of ["half", "interleaved"] as const) {
    for (const [rows, nHeads, headDim, rotaryDim, first] of [[1, 1, 2, 2, 0], [3, 2, 16, 16, 5], [4, 3, 10, 6, 1], [2, 4, 64, 64, 30], [5, 2, 18, 18, 0]]) {
      const maxPositions = 40;
      const half = rotaryDim! / 2;
      const cos = new Float32Array(maxPositions * half);
      const sin = new Float32Array(maxPositions * half);
      for (let p = 0; p < maxPositions; p++) {
        for (let i = 0; i < half; i++) {
          cos[p * half + i] = Math.cos(p * 10000 ** (-i / half));
          sin[p * half + i] = Math.sin(p * 10000 ** (-i / half));
        }
      }
      const x = randomNormal(random, rows! * nHeads! * headDim!);
      const expected = x.slice();
      J.rope(expected, rows!, nHeads!, headDim!, first!, cos, sin, rotaryDim!, layout);
      for (const [label, B] of backends()) {
        for (const inMemory of [true, false]) {
          const y = place(B, x, inMemory);
          B.rope(y, rows!, nHeads!, headDim!, first!, place(B, cos, inMemory), place(B, sin, inMemory), rotaryDim!, layout);
          close(y, expected, 1e-6, `rope ${layout} ${rows}×${nHeads}×${headDim}/${rotaryDim} @${first} ${label}`);
        }
      }
    }
  }
});

test("flash attention matches the reference: causal with a cached offset, GQA, MQA, keyMask, many tiles, wasm.one query row", () => {
  const cases: (Omit<AttentionShape, "scale" | "alibiSlopes"> & { mask?: boolean; alibi?: boolean })[] = [
    { queryCount: 1, keyCount: 1, queryOffset: 0, nHeads: 1, nKvHeads: 1, headDim: 1, causal: true },
    { queryCount: 1, keyCount: 37, queryOffset: 36, nHeads: 4, nKvHeads: 2, headDim: 8, causal: true },
    { queryCount: 5, keyCount: 12, queryOffset: 7, nHeads: 6, nKvHeads: 2, headDim: 7, causal: true },
    { queryCount: 7, keyCount: 7, queryOffset: 0, nHeads: 4, nKvHeads: 1, headDim: 16, causal: true },
    { queryCount: 67, keyCount: 200, queryOffset: 133, nHeads: 3, nKvHeads: 3, headDim: 12, causal: true },
    { queryCount: 3, keyCount: 300, queryOffset: 0, nHeads: 2, nKvHeads: 1, headDim: 64, causal: false, mask: true },
    { queryCount: 9, keyCount: 9, queryOffset: 0, nHeads: 12, nKvHeads: 12, headDim: 5, causal: false, mask: true },
    { queryCount: 130, keyCount: 130, queryOffset: 0, nHeads: 2, nKvHeads: 2, headDim: 64, causal: true },
    // One query row (decode steps), parallel ones included.
    { queryCount: 1, keyCount: 301, queryOffset: 300, nHeads: 12, nKvHeads: 12, headDim: 64, causal: true },
    { queryCount: 1, keyCount: 257, queryOffset: 200, nHeads: 10, nKvHeads: 2, headDim: 37, causal: true },
    { queryCount: 1, keyCount: 333, queryOffset: 0, nHeads: 7, nKvHeads: 1, headDim: 70, causal: false, mask: true },
    { queryCount: 1, keyCount: 3, queryOffset: 2, nHeads: 3, nKvHeads: 3, headDim: 3, causal: true },
    // Sliding windows (shorter and longer than a tile, a window of 1), soft-capping, ALiBi, and all three.
    { queryCount: 9, keyCount: 150, queryOffset: 141, nHeads: 6, nKvHeads: 2, headDim: 32, causal: true, window: 70 },
    { queryCount: 40, keyCount: 40, queryOffset: 0, nHeads: 4, nKvHeads: 2, headDim: 12, causal: true, window: 5 },
    { queryCount: 1, keyCount: 301, queryOffset: 300, nHeads: 8, nKvHeads: 2, headDim: 20, causal: true, window: 129 },
    { queryCount: 3, keyCount: 3, queryOffset: 0, nHeads: 2, nKvHeads: 1, headDim: 8, causal: true, window: 1 },
    { queryCount: 13, keyCount: 77, queryOffset: 64, nHeads: 4, nKvHeads: 2, headDim: 24, causal: true, softcap: 5 },
    { queryCount: 11, keyCount: 11, queryOffset: 0, nHeads: 6, nKvHeads: 6, headDim: 9, causal: true, alibi: true },
    { queryCount: 6, keyCount: 90, queryOffset: 0, nHeads: 5, nKvHeads: 5, headDim: 8, causal: false, alibi: true, mask: true },
    { queryCount: 17, keyCount: 150, queryOffset: 133, nHeads: 6, nKvHeads: 3, headDim: 16, causal: true, window: 30, softcap: 3, alibi: true },
  ];
  for (const c of cases) {
    const alibiSlopes = c.alibi === true ? Float32Array.from({ length: c.nHeads }, (_, h) => 2 ** (-(h + 1))) : null;
    const shape: AttentionShape = { ...c, scale: 1 / Math.sqrt(c.headDim), alibiSlopes };
    const q = randomNormal(random, c.queryCount * c.nHeads * c.headDim, 2);
    const k = randomNormal(random, c.keyCount * c.nKvHeads * c.headDim, 2);
    const v = randomNormal(random, c.keyCount * c.nKvHeads * c.headDim);
    let mask: number[] | undefined;
    if (c.mask === true) {
      mask = Array.from({ length: c.keyCount }, (_, t) => (t % 5 === 3 || t > c.keyCount - 3 ? 0 : 1));
      mask.fill(0, 70, 140); // a whole tile of padding
    }
    const expected = new Float32Array(c.queryCount * c.nHeads * c.headDim);
    J.attention(expected, q, k, v, shape, new Float32Array(c.keyCount), mask);
    for (const [label, B] of backends()) {
      for (const inMemory of [true, false]) {
        const out = place(B, new Float32Array(expected.length), inMemory);
        B.attention(out, place(B, q, inMemory), place(B, k, inMemory), place(B, v, inMemory), shape, B.allocate(c.keyCount), mask);
        close(out, expected, 2e-6, `attention ${JSON.stringify(c)} ${label} ${inMemory ? "in memory" : "foreign"}`);
      }
    }
  }
});

test("attention edge cases follow the reference: no keys gives zeros, all keys masked gives NaN", () => {
  const q = randomNormal(random, 2 * 4);
  const k = randomNormal(random, 3 * 4);
  for (const queryCount of [1, 2]) {
    for (const [keyCount, mask] of [[0, undefined], [3, [0, 0, 0]]] as [number, number[] | undefined][]) {
      const shape: AttentionShape = { queryCount, keyCount, queryOffset: 0, nHeads: 1, nKvHeads: 1, headDim: 4, scale: 0.5, causal: false };
      const expected = new Float32Array(queryCount * 4).fill(7);
      J.attention(expected, q, k, k, shape, new Float32Array(3), mask);
      for (const [label, B] of backends()) {
        const out = new Float32Array(queryCount * 4).fill(7);
        B.attention(out, q, k, k, shape, new Float32Array(3), mask);
        assert.deepEqual([...out], [...expected], `${label} queryCount ${queryCount} keyCount ${keyCount}`);
      }
    }
  }
});

test("embedding copies rows", () => {
  const table = randomNormal(random, 11 * 5);
  const expected = new Float32Array(3 * 5);
  J.embedding(expected, table, [4, 0, 10], 5);
  const out = wasm.two.allocate(15);
  wasm.two.embedding(out, wasm.two.upload(table), [4, 0, 10], 5);
  assert.deepEqual(out, expected);
});

test("zero and copy (bulk memory in the memory, array methods outside it)", () => {
  for (const [label, B] of backends()) {
    for (const inMemory of [true, false]) {
      const src = place(B, randomNormal(random, 1003), inMemory);
      const dst = place(B, new Float32Array(1005).fill(9), inMemory);
      B.copy(dst, src, 1003);
      assert.deepEqual([...dst.subarray(0, 1003)], [...src], `copy ${label}`);
      assert.deepEqual([...dst.subarray(1003)], [9, 9], `copy stops at n ${label}`);
      B.zero(dst);
      assert.ok(dst.every((v) => v === 0), `zero ${label}`);
    }
  }
  assert.throws(() => wasm.one.copy(new Float32Array(2), new Float32Array(3), 3), RangeError);
});

test("buffers stay valid when the memory grows; kernels reject short arrays", () => {
  const B = wasm.one;
  const early = B.allocate(1000);
  early.fill(1.5);
  B.allocate(40 * 1024 * 1024); // forces the shared memory to grow
  const out = B.allocate(1000);
  B.add(out, early, early, 1000);
  assert.equal(out[999], 3);
  assert.throws(() => B.add(out, early, new Float32Array(10), 1000), RangeError);
});

test("training matmul backward (dx, dWeight, dBias, accumulated) matches the reference", () => {
  for (const [rows, n, k] of [[1, 1, 1], [3, 5, 7], [5, 33, 17], [67, 20, 45], [16, 130, 64]] as [number, number, number][]) {
    const dOut = randomNormal(random, rows * n);
    const x = randomNormal(random, rows * k);
    const w = randomNormal(random, n * k);
    const start = [randomNormal(random, rows * k), randomNormal(random, n * k), randomNormal(random, n)] as const;
    const expected = start.map((a) => a.slice()) as [Float32Array, Float32Array, Float32Array];
    jsBackwardKernels.matmulBackward(expected[0], expected[1], expected[2], dOut, x, w, rows, n, k);
    for (const [label, B] of backends()) {
      for (const inMemory of [true, false]) {
        const [dx, dw, db] = start.map((a) => place(B, a, inMemory)) as [Float32Array, Float32Array, Float32Array];
        B.backwardKernels().matmulBackward(dx, dw, db, place(B, dOut, inMemory), place(B, x, inMemory), place(B, w, inMemory), rows, n, k);
        const where = `${rows}×${n}×${k} ${label} ${inMemory ? "in memory" : "foreign"}`;
        close(dx, expected[0], 2e-6 * Math.sqrt(n), `dx ${where}`);
        close(dw, expected[1], 2e-6 * Math.sqrt(rows), `dWeight ${where}`);
        close(db, expected[2], 1e-6, `dBias ${where}`);
      }
      const onlyDx = start[0].slice();
      B.matmulBackward(onlyDx, null, null, dOut, x, w, rows, n, k);
      close(onlyDx, expected[0], 2e-6 * Math.sqrt(n), `dx alone ${label}`);
    }
  }
});

test("flash attention with a relative position bias (T5) matches the reference: clamped distances, tiles, decode rows, threads, with ALiBi and soft-cap", () => {
  const cases: (Omit<AttentionShape, "scale"> & { mask?: boolean; maxDistance: number })[] = [
    { queryCount: 9, keyCount: 9, queryOffset: 0, nHeads: 4, nKvHeads: 4, headDim: 16, causal: false, mask: true, maxDistance: 128 },
    { queryCount: 1, keyCount: 1, queryOffset: 0, nHeads: 1, nKvHeads: 1, headDim: 3, causal: true, maxDistance: 0 },
    { queryCount: 70, keyCount: 70, queryOffset: 0, nHeads: 3, nKvHeads: 3, headDim: 7, causal: true, maxDistance: 20 },
    { queryCount: 1, keyCount: 150, queryOffset: 149, nHeads: 8, nKvHeads: 8, headDim: 12, causal: true, maxDistance: 100 },
    { queryCount: 33, keyCount: 140, queryOffset: 0, nHeads: 6, nKvHeads: 2, headDim: 9, causal: false, mask: true, maxDistance: 50 },
    { queryCount: 12, keyCount: 80, queryOffset: 68, nHeads: 4, nKvHeads: 2, headDim: 8, causal: true, softcap: 4, alibiSlopes: Float32Array.of(0.5, 0.25, 0.125, 0.0625), maxDistance: 7 },
  ];
  for (const c of cases) {
    const rows = 32;
    const weights = randomNormal(random, rows * c.nHeads, 2);
    const buckets = Int32Array.from({ length: 2 * c.maxDistance + 1 }, (_, i) => (i * 7 + 3) % rows);
    const shape: AttentionShape = { ...c, scale: c.nHeads === 4 && !c.causal ? 1 : 1 / Math.sqrt(c.headDim), positionBias: { weights, buckets, maxDistance: c.maxDistance } };
    const q = randomNormal(random, c.queryCount * c.nHeads * c.headDim, 2);
    const k = randomNormal(random, c.keyCount * c.nKvHeads * c.headDim, 2);
    const v = randomNormal(random, c.keyCount * c.nKvHeads * c.headDim);
    const mask = c.mask === true ? Array.from({ length: c.keyCount }, (_, t) => (t % 4 === 2 || t > c.keyCount - 3 ? 0 : 1)) : undefined;
    const expected = new Float32Array(c.queryCount * c.nHeads * c.headDim);
    J.attention(expected, q, k, v, shape, new Float32Array(c.keyCount), mask);
    for (const [label, B] of backends()) {
      for (const inMemory of [true, false]) {
        const placedShape = { ...shape, positionBias: { weights: place(B, weights, inMemory), buckets, maxDistance: c.maxDistance } };
        const out = place(B, new Float32Array(expected.length), inMemory);
        B.attention(out, place(B, q, inMemory), place(B, k, inMemory), place(B, v, inMemory), placedShape, B.allocate(c.keyCount), mask);
        close(out, expected, 2e-6, `position-biased attention ${JSON.stringify({ ...c, alibiSlopes: undefined })} ${label} ${inMemory ? "in memory" : "foreign"}`);
      }
    }
  }
  const bad: AttentionShape = { queryCount: 1, keyCount: 2, queryOffset: 1, nHeads: 1, nKvHeads: 1, headDim: 2, scale: 1, causal: true, positionBias: { weights: new Float32Array(2), buckets: Int32Array.of(0, 2, 1), maxDistance: 1 } };
  assert.throws(() => wasm.one.attention(new Float32Array(2), new Float32Array(2), new Float32Array(4), new Float32Array(4), bad, new Float32Array(2)), /bucket 2/);
});
