// The reference backend against the textbook definitions, written as naively as
// possible in float64, on random inputs of awkward sizes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { jsBackend as B } from "../../../src/backend/js/index.js";
import { erf } from "../../../src/backend/erf.js";
import { f32ColumnsMatrix, f32Matrix } from "../../../src/tensor/weights.js";
import { randomNormal, seededRandom } from "../../helpers/random.js";
import { maxAbsDiff } from "../../helpers/reference.js";

const random = seededRandom(1234);
const close = (actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string) => {
  const d = maxAbsDiff(actual, expected);
  assert.ok(d <= tol, `${what}: max |Δ| ${d} > ${tol}`);
};

test("matmul equals Σ x·w (+ bias) for awkward shapes", () => {
  for (const [m, k, n] of [[1, 1, 1], [1, 7, 5], [3, 33, 17], [4, 8, 3], [5, 13, 9], [9, 2, 31]] as const) {
    const x = randomNormal(random, m * k);
    const w = randomNormal(random, n * k);
    const bias = randomNormal(random, n);
    for (const withBias of [false, true]) {
      const out = new Float32Array(m * n + 3).fill(42); // longer than needed: the tail must stay untouched
      B.matmul(out, x, f32Matrix(w, n, k), withBias ? bias : null, m);
      const expected = new Float64Array(m * n);
      for (let i = 0; i < m; i++)
        for (let j = 0; j < n; j++) {
          let s = withBias ? bias[j]! : 0;
          for (let t = 0; t < k; t++) s += x[i * k + t]! * w[j * k + t]!;
          expected[i * n + j] = s;
        }
      close(out.subarray(0, m * n), expected, 1e-5, `matmul ${m}×${k}×${n}`);
      assert.deepEqual([...out.subarray(m * n)], [42, 42, 42]);
    }
  }
});

test("matmul on a Conv1D column window equals Σ x·W[:, window] (+ bias)", () => {
  for (const [m, k, stride, first, n] of [[1, 5, 9, 0, 9], [3, 7, 12, 4, 4], [6, 1, 3, 2, 1], [2, 17, 33, 11, 11]] as const) {
    const x = randomNormal(random, m * k);
    const w = randomNormal(random, k * stride);
    const bias = randomNormal(random, n);
    const out = new Float32Array(m * n);
    B.matmul(out, x, f32ColumnsMatrix(w, k, stride, first, n), bias, m);
    const expected: number[] = [];
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = bias[j]!;
        for (let t = 0; t < k; t++) s += x[i * k + t]! * w[t * stride + first + j]!;
        expected.push(s);
      }
    close(out, expected, 1e-5, `columns ${m}×${k} window ${first}+${n} of ${stride}`);
  }
  assert.throws(() => f32ColumnsMatrix(new Float32Array(12), 3, 4, 2, 3), /do not fit/);
});

test("rmsNorm (gain w and 1 + w) and layerNorm match their definitions", () => {
  for (const [rows, dim, offset] of [[1, 1, 0], [3, 7, 0], [2, 65, 0], [3, 7, 1]] as const) {
    const x = randomNormal(random, rows * dim, 3, 1);
    const w = randomNormal(random, dim);
    const b = randomNormal(random, dim);
    const rms = new Float32Array(rows * dim);
    const ln = new Float32Array(rows * dim);
    B.rmsNorm(rms, x, w, rows, dim, 1e-5, offset);
    B.layerNorm(ln, x, w, b, rows, dim, 1e-5);
    const eRms: number[] = [];
    const eLn: number[] = [];
    for (let r = 0; r < rows; r++) {
      const row = [...x.subarray(r * dim, (r + 1) * dim)];
      const ms = row.reduce((s, v) => s + v * v, 0) / dim;
      const mean = row.reduce((s, v) => s + v, 0) / dim;
      const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / dim;
      row.forEach((v, i) => {
        eRms.push((v / Math.sqrt(ms + 1e-5)) * (offset + w[i]!));
        eLn.push(((v - mean) / Math.sqrt(variance + 1e-5)) * w[i]! + b[i]!);
      });
    }
    close(rms, eRms, 1e-5, "rmsNorm");
    close(ln, eLn, 1e-5, "layerNorm");
  }
});

test("softmax is stable for large logits and sums to one", () => {
  const x = new Float32Array([1000, 999, -1000, 3, 1e4, 1e4 - 1]);
  B.softmax(x, 2, 3);
  const e = Math.exp(-1);
  close(x, [1 / (1 + e), e / (1 + e), 0, 0, 1 / (1 + e), e / (1 + e)], 1e-7, "softmax");
});

test("erf matches known values; GELU (tanh and erf) and SiLU match their definitions", () => {
  const known: [number, number][] = [
    [0, 0],
    [0.5, 0.5204998778130465],
    [1, 0.8427007929497149],
    [2, 0.9953222650189527],
    [2.5, 0.999593047982555],
    [3, 0.9999779095030014],
    [-1.5, -0.9661051464753108],
    [5, 0.9999999999984626],
  ];
  for (const [x, v] of known) assert.ok(Math.abs(erf(x) - v) < 1e-14, `erf(${x}) = ${erf(x)}, want ${v}`);
  const values = [-6, -3, -1, -0.1, 0, 0.3, 1, 2.7, 8];
  const exact = Float32Array.from(values);
  const tanh = Float32Array.from(values);
  const silu = Float32Array.from(values);
  B.gelu(exact, values.length, "erf");
  B.gelu(tanh, values.length, "tanh");
  B.silu(silu, values.length);
  close(exact, values.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2))), 1e-6, "gelu erf");
  close(tanh, values.map((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))), 1e-6, "gelu tanh");
  close(silu, values.map((v) => v / (1 + Math.exp(-v))), 1e-6, "silu");
  // The two GELUs differ enough that mixing them up is visible.
  assert.ok(Math.abs(exact[7]! - tanh[7]!) > 1e-4);
});

function ropeTables(positions: number, rotaryDim: number, theta: number) {
  const half = rotaryDim / 2;
  const cos = new Float32Array(positions * half);
  const sin = new Float32Array(positions * half);
  for (let p = 0; p < positions; p++)
    for (let i = 0; i < half; i++) {
      cos[p * half + i] = Math.cos(p * theta ** (-(2 * i) / rotaryDim));
      sin[p * half + i] = Math.sin(p * theta ** (-(2 * i) / rotaryDim));
    }
  return { cos, sin };
}

test("RoPE: interleaved rotates (2i, 2i+1) pairs; half-layout equals it on HF-permuted rows", () => {
  const rows = 3;
  const nHeads = 2;
  const headDim = 6;
  const first = 5;
  const { cos, sin } = ropeTables(16, headDim, 10000);
  const x = randomNormal(random, rows * nHeads * headDim);
  const interleaved = x.slice();
  B.rope(interleaved, rows, nHeads, headDim, first, cos, sin, headDim, "interleaved");
  const expected: number[] = [];
  for (let r = 0; r < rows; r++)
    for (let h = 0; h < nHeads; h++)
      for (let i = 0; i < headDim / 2; i++) {
        const angle = (first + r) * 10000 ** (-(2 * i) / headDim);
        const base = (r * nHeads + h) * headDim;
        const [a, b] = [x[base + 2 * i]!, x[base + 2 * i + 1]!];
        expected.push(a * Math.cos(angle) - b * Math.sin(angle), a * Math.sin(angle) + b * Math.cos(angle));
      }
  close(interleaved, expected, 1e-6, "interleaved rope");
  // HF permutation of a head: [x0, x2, x4, …, x1, x3, x5, …]; rotate_half on it = interleaved, permuted.
  const permute = (v: Float32Array) => {
    const out = new Float32Array(v.length);
    for (let base = 0; base < v.length; base += headDim)
      for (let i = 0; i < headDim / 2; i++) {
        out[base + i] = v[base + 2 * i]!;
        out[base + i + headDim / 2] = v[base + 2 * i + 1]!;
      }
    return out;
  };
  const half = permute(x);
  B.rope(half, rows, nHeads, headDim, first, cos, sin, headDim, "half");
  close(half, permute(interleaved), 1e-6, "half-layout rope");
});

test("attention matches the naive definition: causal offset, GQA grouping, padding mask, window, soft-cap, ALiBi", () => {
  for (const [queryCount, cached, nHeads, nKvHeads, headDim, causal, masked, window, softcap, alibi] of [
    [1, 0, 1, 1, 3, true, false, 0, 0, false],
    [5, 0, 4, 2, 5, true, false, 0, 0, false],
    [3, 4, 6, 3, 7, true, false, 0, 0, false],
    [1, 9, 8, 1, 4, true, false, 0, 0, false],
    [6, 0, 4, 4, 3, false, true, 0, 0, false],
    [7, 5, 4, 2, 5, true, false, 3, 0, false],
    [4, 0, 2, 1, 6, true, false, 1, 0, false],
    [5, 2, 4, 2, 5, true, false, 0, 2.5, false],
    [6, 0, 3, 3, 4, true, false, 0, 0, true],
    [5, 0, 3, 3, 4, false, true, 0, 0, true],
    [8, 3, 4, 2, 5, true, false, 4, 1.5, true],
  ] as const) {
    const keyCount = cached + queryCount;
    const q = randomNormal(random, queryCount * nHeads * headDim);
    const k = randomNormal(random, keyCount * nKvHeads * headDim);
    const v = randomNormal(random, keyCount * nKvHeads * headDim);
    const mask = Array.from({ length: keyCount }, (_, t) => (masked && t >= keyCount - 2 ? 0 : 1));
    const out = new Float32Array(queryCount * nHeads * headDim);
    const scale = 1 / Math.sqrt(headDim);
    const alibiSlopes = alibi ? Float32Array.from({ length: nHeads }, (_, h) => 0.5 / (h + 1)) : null;
    const shape = { queryCount, keyCount, queryOffset: cached, nHeads, nKvHeads, headDim, scale, causal, window, softcap, alibiSlopes };
    B.attention(out, q, k, v, shape, new Float32Array(keyCount), masked ? mask : undefined);
    const expected: number[] = [];
    const group = nHeads / nKvHeads;
    for (let i = 0; i < queryCount; i++)
      for (let h = 0; h < nHeads; h++) {
        const kv = Math.floor(h / group);
        const logits: number[] = [];
        for (let t = 0; t < keyCount; t++) {
          const p = cached + i;
          const hidden = (causal && t > p) || (window > 0 && t <= p - window) || (masked && mask[t] === 0);
          let dot = 0;
          for (let d = 0; d < headDim; d++) dot += q[(i * nHeads + h) * headDim + d]! * k[(t * nKvHeads + kv) * headDim + d]!;
          const raw = dot * scale;
          const capped = softcap > 0 ? softcap * Math.tanh(raw / softcap) : raw;
          logits.push(hidden ? -Infinity : capped - (alibiSlopes?.[h] ?? 0) * Math.abs(p - t));
        }
        const max = Math.max(...logits);
        const weights = logits.map((l) => Math.exp(l - max));
        const total = weights.reduce((a, b) => a + b, 0);
        for (let d = 0; d < headDim; d++) {
          let s = 0;
          for (let t = 0; t < keyCount; t++) s += (weights[t]! / total) * v[(t * nKvHeads + kv) * headDim + d]!;
          expected.push(s);
        }
      }
    close(out, expected, 1e-6, `attention q${queryCount} cached${cached} h${nHeads}/${nKvHeads}`);
  }
});

test("embedding copies rows; add and mul are elementwise", () => {
  const table = Float32Array.from({ length: 12 }, (_, i) => i);
  const out = new Float32Array(6);
  B.embedding(out, table, [3, 0], 3);
  assert.deepEqual([...out], [9, 10, 11, 0, 1, 2]);
  const a = new Float32Array([1, 2, 3]);
  B.add(a, a, new Float32Array([1, 1, 1]), 3);
  assert.deepEqual([...a], [2, 3, 4]);
  B.mul(a, a, new Float32Array([2, 0.5, 0]), 2);
  assert.deepEqual([...a], [4, 1.5, 4]);
});

test("attention with a relative position bias (T5's form) adds weights[bucket(t − p), h], distances clamped", () => {
  // bucket rows are arbitrary (not one per distance) and distances beyond ±maxDistance reuse the end rows
  for (const [queryCount, cached, nHeads, headDim, causal, masked, maxDistance] of [
    [6, 0, 3, 4, false, true, 2],
    [4, 5, 2, 5, true, false, 3],
    [1, 8, 4, 3, true, false, 1],
    [7, 0, 1, 6, true, false, 10],
  ] as const) {
    const keyCount = cached + queryCount;
    const rows = 5;
    const weights = randomNormal(random, rows * nHeads);
    const buckets = Int32Array.from({ length: 2 * maxDistance + 1 }, (_, i) => (i * 3 + 1) % rows);
    const q = randomNormal(random, queryCount * nHeads * headDim);
    const k = randomNormal(random, keyCount * nHeads * headDim);
    const v = randomNormal(random, keyCount * nHeads * headDim);
    const mask = Array.from({ length: keyCount }, (_, t) => (masked && t === 1 ? 0 : 1));
    const shape = { queryCount, keyCount, queryOffset: cached, nHeads, nKvHeads: nHeads, headDim, scale: 1, causal, positionBias: { weights, buckets, maxDistance } };
    const out = new Float32Array(queryCount * nHeads * headDim);
    B.attention(out, q, k, v, shape, new Float32Array(keyCount), masked ? mask : undefined);
    const probs = new Float32Array(nHeads * queryCount * keyCount);
    B.attentionProbabilities(probs, q, k, shape, new Float32Array(keyCount), masked ? mask : undefined);
    const expected: number[] = [];
    const expectedProbs = new Float64Array(probs.length);
    for (let i = 0; i < queryCount; i++)
      for (let h = 0; h < nHeads; h++) {
        const p = cached + i;
        const logits: number[] = [];
        for (let t = 0; t < keyCount; t++) {
          let dot = 0;
          for (let d = 0; d < headDim; d++) dot += q[(i * nHeads + h) * headDim + d]! * k[(t * nHeads + h) * headDim + d]!;
          const distance = Math.min(Math.max(t - p, -maxDistance), maxDistance);
          const hidden = (causal && t > p) || (masked && mask[t] === 0);
          logits.push(hidden ? -Infinity : dot + weights[buckets[distance + maxDistance]! * nHeads + h]!);
        }
        const max = Math.max(...logits);
        const e = logits.map((l) => Math.exp(l - max));
        const total = e.reduce((a, b) => a + b, 0);
        e.forEach((w, t) => (expectedProbs[(h * queryCount + i) * keyCount + t] = w / total));
        for (let d = 0; d < headDim; d++) {
          let s = 0;
          for (let t = 0; t < keyCount; t++) s += (e[t]! / total) * v[(t * nHeads + h) * headDim + d]!;
          expected.push(s);
        }
      }
    close(out, expected, 1e-6, `position-biased attention q${queryCount} cached${cached} maxDistance ${maxDistance}`);
    close(probs, expectedProbs, 1e-6, `position-biased attention probabilities q${queryCount} cached${cached}`);
  }
});
