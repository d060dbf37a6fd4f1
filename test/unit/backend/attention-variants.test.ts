// The attention variants' reference kernels against plain float64 definitions
// written here from the papers: sparse attention as softmax attention under a
// dense mask of the strided pattern (Child et al. 2019), causal linear attention
// as its quadratic form Σ_j φq·φk_j v_j / Σ_j φq·φk_j (Katharopoulos et al. 2020),
// the feature maps by their formulas, and FAVOR+ as an unbiased estimator of
// exp(x·y) (Choromanski et al. 2020). Awkward sizes: odd heads and lengths, GQA.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { LinearAttentionShape, SparseAttentionShape } from "../../../src/backend/attention-variants.js";
import { jsBackend } from "../../../src/backend/js/index.js";
import { keyRuns, visibleKeyRuns } from "../../../src/backend/js/sparse-attention.js";
import { maxAbsDiff } from "../../helpers/reference.js";
import { randomNormal, seededRandom } from "../../helpers/random.js";

const random = seededRandom(4242);

/** Whether the strided pattern lets key index p see key t. */
function sees(p: number, t: number, window: number, stride: number, causal: boolean): boolean {
  if (causal && t > p) return false;
  const distance = Math.abs(p - t);
  return distance < window || (p - t) % stride === 0;
}

/** Dense float64 softmax attention under the pattern's mask (the definition). */
function denseSparseReference(q: Float32Array, k: Float32Array, v: Float32Array, s: SparseAttentionShape, keyMask?: number[]): { out: Float64Array; probs: Float64Array } {
  const { queryCount, keyCount, queryOffset, nHeads, nKvHeads, headDim, scale } = s;
  const out = new Float64Array(queryCount * nHeads * headDim);
  const probs = new Float64Array(nHeads * queryCount * keyCount);
  for (let i = 0; i < queryCount; i++) {
    const p = queryOffset + i;
    for (let h = 0; h < nHeads; h++) {
      const g = Math.floor(h / (nHeads / nKvHeads));
      const scores = new Float64Array(keyCount).fill(-Infinity);
      for (let t = 0; t < keyCount; t++) {
        if (!sees(p, t, s.window, s.stride, s.causal) || keyMask?.[t] === 0) continue;
        let dot = 0;
        for (let d = 0; d < headDim; d++) dot += q[(i * nHeads + h) * headDim + d]! * k[(t * nKvHeads + g) * headDim + d]!;
        let score = dot * scale;
        if ((s.softcap ?? 0) > 0) score = s.softcap! * Math.tanh(score / s.softcap!);
        scores[t] = score - (s.alibiSlopes?.[h] ?? 0) * Math.abs(p - t);
      }
      const max = Math.max(...scores);
      let sum = 0;
      for (let t = 0; t < keyCount; t++) sum += scores[t] === -Infinity ? 0 : Math.exp(scores[t]! - max);
      for (let t = 0; t < keyCount; t++) {
        const w = scores[t] === -Infinity ? 0 : Math.exp(scores[t]! - max) / sum;
        probs[(h * queryCount + i) * keyCount + t] = w;
        for (let d = 0; d < headDim; d++) out[(i * nHeads + h) * headDim + d] += w * v[(t * nKvHeads + g) * headDim + d]!;
      }
    }
  }
  return { out, probs };
}

const sparseCases: [string, Partial<SparseAttentionShape>][] = [
  ["causal, MHA", { nHeads: 3, nKvHeads: 3, headDim: 5, window: 4, stride: 3, causal: true }],
  ["causal, GQA, stride larger than the window", { nHeads: 6, nKvHeads: 2, headDim: 3, window: 2, stride: 5, causal: true }],
  ["causal, window 1, stride 1 (= full causal)", { nHeads: 2, nKvHeads: 1, headDim: 4, window: 1, stride: 1, causal: true }],
  ["bidirectional, padding mask", { nHeads: 2, nKvHeads: 2, headDim: 7, window: 3, stride: 4, causal: false }],
  ["causal, ALiBi and soft-cap", { nHeads: 3, nKvHeads: 1, headDim: 6, window: 5, stride: 2, causal: true, softcap: 2.5, alibiSlopes: Float32Array.of(0.5, 0.25, 0.125) }],
];

for (const [name, partial] of sparseCases) {
  test(`sparse attention (${name}) equals dense softmax attention under the pattern's mask`, () => {
    for (const [queryCount, keyCount] of [[1, 1], [17, 17], [3, 29]] as const) {
      if (!partial.causal && queryCount !== keyCount) continue;
      const shape: SparseAttentionShape = { queryCount, keyCount, queryOffset: keyCount - queryCount, scale: 0.6, ...partial } as SparseAttentionShape;
      const { nHeads, nKvHeads, headDim } = shape;
      const q = randomNormal(random, queryCount * nHeads * headDim);
      const k = randomNormal(random, keyCount * nKvHeads * headDim);
      const v = randomNormal(random, keyCount * nKvHeads * headDim);
      const keyMask = shape.causal ? undefined : Array.from({ length: keyCount }, (_, t) => (t % 5 === 3 ? 0 : 1));
      const reference = denseSparseReference(q, k, v, shape, keyMask);
      const out = new Float32Array(queryCount * nHeads * headDim);
      jsBackend.sparseAttention(out, q, k, v, shape, new Float32Array(keyCount), keyMask);
      assert.ok(maxAbsDiff(out, reference.out) < 1e-5, `${queryCount}×${keyCount}: output differs by ${maxAbsDiff(out, reference.out)}`);
      const probs = new Float32Array(nHeads * queryCount * keyCount);
      jsBackend.sparseAttentionProbabilities(probs, q, k, shape, new Float32Array(keyCount), keyMask);
      assert.ok(maxAbsDiff(probs, reference.probs) < 1e-6, `${queryCount}×${keyCount}: probabilities differ`);
    }
  });
}

test("sparse attention visits exactly the keys of the pattern, about window + p/stride per query", () => {
  for (const causal of [true, false]) {
    const keyCount = 300;
    const shape = { queryCount: keyCount, keyCount, queryOffset: 0, nHeads: 1, nKvHeads: 1, headDim: 1, scale: 1, causal, window: 8, stride: 16 };
    const runs = keyRuns();
    let pairs = 0;
    for (let i = 0; i < keyCount; i++) {
      visibleKeyRuns(shape, i, runs);
      const visited: number[] = [];
      for (let r = 0; r < 9; r += 3) for (let t = runs[r]!; t < runs[r + 1]!; t += runs[r + 2]!) visited.push(t);
      const expected = Array.from({ length: keyCount }, (_, t) => t).filter((t) => sees(i, t, 8, 16, causal));
      assert.deepEqual(visited, expected, `query ${i}`);
      pairs += visited.length;
    }
    const dense = causal ? (keyCount * (keyCount + 1)) / 2 : keyCount * keyCount;
    assert.ok(pairs < dense / 6, `${pairs} pairs visited of ${dense}`);
  }
});

/** Quadratic float64 form of causal linear attention (the definition). */
function quadraticLinearReference(phiQ: Float32Array, phiK: Float32Array, v: Float32Array, s: LinearAttentionShape): Float64Array {
  const { rows, nHeads, nKvHeads, featureDim: F, headDim: D, eps } = s;
  const out = new Float64Array(rows * nHeads * D);
  for (let i = 0; i < rows; i++) {
    for (let h = 0; h < nHeads; h++) {
      const g = Math.floor(h / (nHeads / nKvHeads));
      let den = eps;
      const num = new Float64Array(D);
      for (let j = 0; j <= i; j++) {
        let a = 0;
        for (let f = 0; f < F; f++) a += phiQ[(i * nHeads + h) * F + f]! * phiK[(j * nKvHeads + g) * F + f]!;
        den += a;
        for (let d = 0; d < D; d++) num[d] += a * v[(j * nKvHeads + g) * D + d]!;
      }
      for (let d = 0; d < D; d++) out[(i * nHeads + h) * D + d] = num[d]! / den;
    }
  }
  return out;
}

function positive(n: number): Float32Array {
  return randomNormal(random, n).map((x) => Math.exp(0.5 * x));
}

test("linear attention by running sums equals its quadratic form, in one call or carried across calls", () => {
  for (const [rows, nHeads, nKvHeads, F, D] of [[1, 1, 1, 1, 1], [13, 3, 3, 5, 4], [19, 6, 2, 7, 3]] as const) {
    const shape: LinearAttentionShape = { rows, nHeads, nKvHeads, featureDim: F, headDim: D, eps: 1e-6 };
    const phiQ = positive(rows * nHeads * F);
    const phiK = positive(rows * nKvHeads * F);
    const v = randomNormal(random, rows * nKvHeads * D);
    const reference = quadraticLinearReference(phiQ, phiK, v, shape);
    const out = new Float32Array(rows * nHeads * D);
    jsBackend.linearAttention(out, phiQ, phiK, v, new Float32Array(nKvHeads * F * D), new Float32Array(nKvHeads * F), shape);
    assert.ok(maxAbsDiff(out, reference) < 1e-5, `${rows} rows: ${maxAbsDiff(out, reference)}`);
    // Row by row, the sums carried between calls (generation).
    const sums = new Float32Array(nKvHeads * F * D);
    const normalizer = new Float32Array(nKvHeads * F);
    const stepped = new Float32Array(rows * nHeads * D);
    for (let i = 0; i < rows; i++) {
      jsBackend.linearAttention(
        stepped.subarray(i * nHeads * D),
        phiQ.subarray(i * nHeads * F),
        phiK.subarray(i * nKvHeads * F),
        v.subarray(i * nKvHeads * D),
        sums,
        normalizer,
        { ...shape, rows: 1 },
      );
    }
    assert.ok(maxAbsDiff(stepped, reference) < 1e-5);
  }
});

test("linear attention probabilities: the quadratic weights, rows summing to one with the keys of earlier calls", () => {
  const shape: LinearAttentionShape = { rows: 6, nHeads: 4, nKvHeads: 2, featureDim: 3, headDim: 2, eps: 0 };
  const earlier = positive(2 * 3); // z of keys seen before this call
  const phiQ = positive(6 * 4 * 3);
  const phiK = positive(6 * 2 * 3);
  const probs = new Float32Array(4 * 6 * 6);
  jsBackend.linearAttentionProbabilities(probs, phiQ, phiK, earlier, shape);
  for (let h = 0; h < 4; h++) {
    const g = Math.floor(h / 2);
    for (let i = 0; i < 6; i++) {
      const dot = (a: Float32Array, ai: number, b: Float32Array, bi: number) => [0, 1, 2].reduce((s, f) => s + a[ai + f]! * b[bi + f]!, 0);
      const earlierWeight = dot(phiQ, (i * 4 + h) * 3, earlier, g * 3);
      let den = earlierWeight;
      for (let j = 0; j <= i; j++) den += dot(phiQ, (i * 4 + h) * 3, phiK, (j * 2 + g) * 3);
      let sum = earlierWeight / den;
      for (let j = 0; j < 6; j++) {
        const p = probs[(h * 6 + i) * 6 + j]!;
        const expected = j <= i ? dot(phiQ, (i * 4 + h) * 3, phiK, (j * 2 + g) * 3) / den : 0;
        assert.ok(Math.abs(p - expected) < 1e-6);
        sum += p;
      }
      assert.ok(Math.abs(sum - 1) < 1e-5);
    }
  }
});

test("elu + 1 is x + 1 above zero and eˣ below, positive everywhere", () => {
  const x = Float32Array.of(-30, -2, -0.5, 0, 0.5, 3, 1e-8);
  jsBackend.eluPlusOne(x, x.length);
  const expected = [Math.exp(-30), Math.exp(-2), Math.exp(-0.5), 1, 1.5, 4, 1 + 1e-8];
  expected.forEach((e, i) => assert.ok(Math.abs(x[i]! - e) <= 1e-6 * Math.max(1, e), `${i}: ${x[i]} vs ${e}`));
  assert.ok(x.every((value) => value > 0));
});

test("FAVOR+ features follow their formula, stay finite for large inputs, and estimate exp(x·y) without bias", () => {
  const dim = 5;
  const m = 7;
  const x = randomNormal(random, 3 * dim, 0.4);
  x.fill(40, 2 * dim, 3 * dim); // a huge row: features underflow towards 0, never overflow
  const omega = randomNormal(random, m * dim);
  const out = new Float32Array(3 * m);
  jsBackend.positiveRandomFeatures(out, x, omega, 3, dim, m);
  for (let r = 0; r < 3; r++) {
    let half = 0;
    for (let d = 0; d < dim; d++) half += (x[r * dim + d]! ** 2) / 2;
    for (let j = 0; j < m; j++) {
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += omega[j * dim + d]! * x[r * dim + d]!;
      const expected = Math.exp(dot - half) / Math.sqrt(m);
      assert.ok(Math.abs(out[r * m + j]! - expected) <= 1e-6 * Math.max(1e-30, expected) + 1e-37);
    }
  }
  assert.ok(out.every(Number.isFinite));
  // Unbiasedness: with many independent Gaussian features, φ(x)·φ(y) → exp(x·y).
  const many = 40000;
  const a = randomNormal(random, dim, 0.3);
  const b = randomNormal(random, dim, 0.3);
  const w = randomNormal(random, many * dim);
  const fa = new Float32Array(many);
  const fb = new Float32Array(many);
  jsBackend.positiveRandomFeatures(fa, a, w, 1, dim, many);
  jsBackend.positiveRandomFeatures(fb, b, w, 1, dim, many);
  let estimate = 0;
  for (let j = 0; j < many; j++) estimate += fa[j]! * fb[j]!;
  const exact = Math.exp(a.reduce((s, value, d) => s + value * b[d]!, 0));
  assert.ok(Math.abs(estimate - exact) < 0.03 * exact, `estimate ${estimate} vs exp(x·y) ${exact}`);
});
