// Every autograd op against central differences in float64, on random inputs of
// awkward shapes (odd sizes, GQA 6 query / 2 kv heads, causal rows, masked keys,
// ignored targets). The reported error is relative (see helpers/gradient-check.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  add,
  attention,
  concatColumns,
  constant,
  crossEntropy,
  dropout,
  embedding,
  float64TapeKernels,
  gatherColumns,
  gelu,
  layerNorm,
  linear,
  linearColumns,
  mul,
  reshape,
  rmsNorm,
  rope,
  scale,
  relu,
  silu,
  slice,
  softmax,
  splitColumns,
  Tape,
  tanh,
  transpose,
} from "../../../src/autograd/index.js";
import { checkGradients, param64, project, type V64 } from "../../helpers/gradient-check.js";
import { randomInts, randomNormal, seededRandom } from "../../helpers/random.js";

const random = seededRandom(20261122);
const TOLERANCE = 1e-6;

/** Checks d(Σ op(inputs) ⊙ R)/d inputs for a fixed random R. */
function checkOp(what: string, inputs: V64[], op: (tape: Tape<Float64Array>) => V64): void {
  let weights: Float64Array | null = null;
  const result = checkGradients((tape) => {
    const out = op(tape);
    weights ??= Float64Array.from(randomNormal(random, out.size));
    return out.size === 1 && out.shape.length === 0 ? out : project(tape, out, weights);
  }, inputs);
  if (process.env["GRADCHECK_VERBOSE"]) console.log(`${what}: worst ${result.worst.toExponential(2)} over ${result.checked}`);
  assert.ok(result.checked > 0, `${what}: nothing checked`);
  assert.ok(result.worst <= TOLERANCE, `${what}: relative error ${result.worst.toExponential(2)} at ${result.where}`);
}

function ropeTables(positions: number, rotaryDim: number): { cos: Float64Array; sin: Float64Array } {
  const half = rotaryDim / 2;
  const cos = new Float64Array(positions * half);
  const sin = new Float64Array(positions * half);
  for (let p = 0; p < positions; p++) {
    for (let i = 0; i < half; i++) {
      const angle = p * 10000 ** ((-2 * i) / rotaryDim);
      cos[p * half + i] = Math.cos(angle);
      sin[p * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin };
}

test("linear: dX, dW, db for awkward shapes, with and without bias, 3-D input", () => {
  for (const [lead, inF, outF] of [[[1], 1, 1], [[3], 5, 7], [[2, 3], 4, 9], [[5], 13, 2]] as const) {
    const x = param64(random, "x", [...lead, inF]);
    const w = param64(random, "weight", [outF, inF]);
    const b = param64(random, "bias", [outF]);
    checkOp(`linear ${lead}×${inF}→${outF}`, [x, w, b], (tape) => linear(tape, x, w, b));
    checkOp(`linear ${lead}×${inF}→${outF} no bias`, [x, w], (tape) => linear(tape, x, w, null));
  }
});

test("linearColumns: gradients reach only the window of the shared Conv1D weight and bias", () => {
  for (const [rows, inF, stride, first, count] of [[1, 1, 1, 0, 1], [3, 5, 9, 3, 3], [4, 7, 12, 0, 4], [2, 6, 15, 10, 5]] as const) {
    const x = param64(random, "x", [rows, inF]);
    const w = param64(random, "weight", [inF, stride]);
    const b = param64(random, "bias", [stride]);
    checkOp(`linearColumns ${rows}×${inF} window ${first}+${count} of ${stride}`, [x, w, b], (tape) =>
      linearColumns(tape, x, w, b, { first, count }),
    );
    const tape = new Tape(float64TapeKernels);
    const out = linearColumns(tape, x, w, null, { first, count });
    tape.backward(project(tape, out, new Float64Array(out.size).fill(1)));
    for (let t = 0; t < inF; t++)
      for (let c = 0; c < stride; c++) {
        if (c < first || c >= first + count) assert.equal(w.grad![t * stride + c], 0, "outside the window");
      }
  }
});

test("add, mul and scale", () => {
  const a = param64(random, "a", [3, 7]);
  const b = param64(random, "b", [3, 7]);
  checkOp("add", [a, b], (tape) => add(tape, a, b));
  checkOp("mul", [a, b], (tape) => mul(tape, a, b));
  checkOp("mul by itself", [a], (tape) => mul(tape, a, a));
  checkOp("scale", [a], (tape) => scale(tape, a, -2.5));
});

test("embedding: repeated ids scatter-add; paddingIdx rows get no gradient", () => {
  const table = param64(random, "table", [6, 5]);
  const ids = [4, 0, 4, 2, 4, 5, 0];
  checkOp("embedding", [table], (tape) => embedding(tape, table, ids));
  const tape = new Tape(float64TapeKernels);
  table.grad = null;
  tape.backward(project(tape, embedding(tape, table, ids, { paddingIdx: 0 }), new Float64Array(35).fill(1)));
  const grad = table.grad!;
  assert.deepEqual([...grad.subarray(0, 5)], [0, 0, 0, 0, 0], "padding row 0 has no gradient");
  assert.deepEqual([...grad.subarray(20, 25)], [3, 3, 3, 3, 3], "id 4 used three times gets 3×");
  assert.throws(() => embedding(tape, table, [6]), /outside the embedding table "table"/);
});

test("layerNorm and rmsNorm: d input, d weight, d bias", () => {
  for (const [rows, dim] of [[1, 3], [3, 7], [2, 13]] as const) {
    const x = param64(random, "x", [rows, dim], 2, 0.5);
    const w = param64(random, "weight", [dim]);
    const b = param64(random, "bias", [dim]);
    checkOp(`layerNorm ${rows}×${dim}`, [x, w, b], (tape) => layerNorm(tape, x, w, b, 1e-5));
    checkOp(`rmsNorm ${rows}×${dim}`, [x, w], (tape) => rmsNorm(tape, x, w, 1e-5));
    checkOp(`rmsNorm with gain 1 + w ${rows}×${dim}`, [x, w], (tape) => rmsNorm(tape, x, w, 1e-5, 1));
  }
});

test("softmax over rows", () => {
  const x = param64(random, "x", [4, 9], 2);
  checkOp("softmax", [x], (tape) => softmax(tape, x));
});

test("gelu (tanh and erf), relu, silu and tanh, including large |x|", () => {
  const x = param64(random, "x", [37], 2.5);
  x.data[0] = 7;
  x.data[1] = -7;
  checkOp("gelu tanh", [x], (tape) => gelu(tape, x, "tanh"));
  checkOp("gelu erf", [x], (tape) => gelu(tape, x, "erf"));
  checkOp("silu", [x], (tape) => silu(tape, x));
  checkOp("relu", [x], (tape) => relu(tape, x));
  checkOp("tanh", [x], (tape) => tanh(tape, x));
});

test("rope: both layouts, partial rotary, offset positions, batch of 2", () => {
  const nHeads = 3;
  const headDim = 6;
  const { cos, sin } = ropeTables(16, 4);
  const full = ropeTables(16, 6);
  const x = param64(random, "x", [2 * 5, nHeads * headDim]);
  for (const layout of ["half", "interleaved"] as const) {
    checkOp(`rope ${layout}`, [x], (tape) => rope(tape, x, { nHeads, headDim, cos: full.cos, sin: full.sin, layout }));
    checkOp(`rope ${layout} partial, batch 2, from position 3`, [x], (tape) =>
      rope(tape, x, { nHeads, headDim, cos, sin, rotaryDim: 4, layout, firstPosition: 3, batch: 2 }),
    );
  }
});

test("attention: causal, GQA 6/2 heads, masked keys, batches, queries after cached keys", () => {
  const headDim = 4;
  const cases = [
    { name: "MHA causal", nHeads: 2, nKvHeads: 2, queries: 5, keys: 5, batch: 1, causal: true, mask: false },
    { name: "GQA 6/2 causal", nHeads: 6, nKvHeads: 2, queries: 5, keys: 5, batch: 1, causal: true, mask: false },
    { name: "GQA 6/2 bidirectional, masked keys, batch 2", nHeads: 6, nKvHeads: 2, queries: 4, keys: 4, batch: 2, causal: false, mask: true },
    { name: "MQA causal, 3 queries after 4 keys", nHeads: 3, nKvHeads: 1, queries: 3, keys: 7, batch: 1, causal: true, mask: false },
    { name: "GQA causal, masked keys, batch 2", nHeads: 4, nKvHeads: 2, queries: 6, keys: 6, batch: 2, causal: true, mask: true },
    { name: "GQA causal, sliding window 3, batch 2", nHeads: 4, nKvHeads: 2, queries: 7, keys: 7, batch: 2, causal: true, mask: false, window: 3 },
    { name: "soft-capped at 1.5", nHeads: 2, nKvHeads: 1, queries: 5, keys: 5, batch: 1, causal: true, mask: false, softcap: 1.5 },
    { name: "ALiBi, bidirectional, masked keys", nHeads: 3, nKvHeads: 3, queries: 5, keys: 5, batch: 2, causal: false, mask: true, alibi: true },
    { name: "window, soft-cap and ALiBi", nHeads: 4, nKvHeads: 2, queries: 6, keys: 6, batch: 1, causal: true, mask: false, window: 2, softcap: 2, alibi: true },
  ];
  for (const c of cases) {
    const q = param64(random, "q", [c.batch * c.queries, c.nHeads * headDim]);
    const k = param64(random, "k", [c.batch * c.keys, c.nKvHeads * headDim]);
    const v = param64(random, "v", [c.batch * c.keys, c.nKvHeads * headDim]);
    // first key of each sequence always visible; a couple of others padded
    const keyMask = c.mask ? Array.from({ length: c.batch * c.keys }, (_, i) => (i % c.keys !== 0 && i % 3 === 2 ? 0 : 1)) : undefined;
    const alibiSlopes = "alibi" in c ? Float32Array.from({ length: c.nHeads }, (_, h) => 0.3 * (h + 1)) : null;
    const options = {
      nHeads: c.nHeads, nKvHeads: c.nKvHeads, headDim, causal: c.causal, batch: c.batch, keyMask, scale: 0.7,
      window: "window" in c ? c.window : 0, softcap: "softcap" in c ? c.softcap : 0, alibiSlopes,
    };
    checkOp(`attention ${c.name}`, [q, k, v], (tape) => attention(tape, q, k, v, options));
  }
});

test("crossEntropy: mean over non-ignored targets, large logits", () => {
  const logits = param64(random, "logits", [6, 11], 3);
  logits.data[3] = 80; // log-sum-exp must stay finite
  const targets = [3, -100, 10, 0, -100, 7];
  checkOp("crossEntropy", [logits], (tape) => crossEntropy(tape, logits, targets));
  checkOp("crossEntropy ignoreIndex 0", [logits], (tape) => crossEntropy(tape, logits, [1, 0, 2, 0, 3, 0], { ignoreIndex: 0 }));
});

test("crossEntropy value equals the textbook formula", () => {
  const logits = param64(random, "logits", [3, 4]);
  const targets = [2, -100, 1];
  let expected = 0;
  for (const r of [0, 2]) {
    const row = [...logits.data.subarray(r * 4, r * 4 + 4)];
    expected += Math.log(row.reduce((s, v) => s + Math.exp(v), 0)) - row[targets[r]!]!;
  }
  const value = crossEntropy(new Tape(float64TapeKernels), logits, targets).data[0]!;
  assert.ok(Math.abs(value - expected / 2) < 1e-14, `${value} vs ${expected / 2}`);
});

test("dropout: seeded mask, inverted scaling, gradient through the same mask", () => {
  const x = param64(random, "x", [5, 9]);
  const draw = () => seededRandom(7);
  checkOp("dropout", [x], (tape) => dropout(tape, x, 0.3, draw()));
  let kept = 0;
  let zeroed = 0;
  checkGradients((tape) => {
    const out = dropout(tape, x, 0.3, draw());
    kept = 0;
    zeroed = 0;
    out.data.forEach((v, i) => {
      if (v === 0) zeroed++;
      else {
        kept++;
        assert.ok(Math.abs(v - x.data[i]! / 0.7) < 1e-12);
      }
    });
    return project(tape, out, new Float64Array(45).fill(1));
  }, [x]);
  assert.ok(kept > 0 && zeroed > 0, `kept ${kept}, zeroed ${zeroed}`);
});

test("slice of a parameter and gatherColumns (a per-head fused qkv reordered)", () => {
  const w = param64(random, "w", [6, 5]);
  checkOp("slice rows 2..4", [w], (tape) => slice(tape, w, 10, [2, 5]));
  const x = param64(random, "x", [3, 6]);
  checkOp("gatherColumns with repeats", [x], (tape) => gatherColumns(tape, x, Int32Array.from([5, 0, 2, 2, 4])));
  assert.throws(() => slice(new Tape(float64TapeKernels), w, 25, [2, 5]), /exceed/);
});

test("reshape, splitColumns (fused qkv), concatColumns, transpose", () => {
  const x = param64(random, "x", [3, 4, 5]);
  checkOp("reshape", [x], (tape) => mul(tape, reshape(tape, x, [12, 5]), reshape(tape, x, [12, 5])));
  const fused = param64(random, "qkv", [5, 3 * 4]);
  for (const part of [0, 1, 2]) checkOp(`split part ${part}`, [fused], (tape) => splitColumns(tape, fused, [4, 4, 4])[part]!);
  checkOp("split then concat reversed", [fused], (tape) => {
    const [q, k, v] = splitColumns(tape, fused, [4, 4, 4]);
    return concatColumns(tape, [mul(tape, v!, v!), k!, q!]);
  });
  const w = param64(random, "conv1d", [3, 7]);
  checkOp("transpose", [w], (tape) => transpose(tape, w));
});

test("the checker catches a wrong gradient", () => {
  // gelu's erf forward with the tanh backward: close, but not the derivative.
  const x = param64(random, "x", [20]);
  const result = checkGradients((tape) => {
    const out = gelu(tape, x, "erf");
    const wrong = tape.record(Float64Array.from(out.data), out.shape, [x], (dOut) =>
      tape.kernels.backward.geluBackward(tape.gradFor(x)!, dOut, x.data, x.size, "tanh"),
    );
    return project(tape, wrong, new Float64Array(20).fill(1));
  }, [x]);
  assert.ok(result.worst > 1e-4, `a wrong backward went unnoticed (error ${result.worst})`);
});

test("ops on constants record nothing", () => {
  const table = constant(Float64Array.from(randomNormal(random, 12)), [4, 3]);
  let recorded = -1;
  checkGradients((tape) => {
    const e = embedding(tape, table, randomInts(random, 3, 4));
    recorded = tape.length;
    const w = param64(random, "w", [2, 3]);
    return project(tape, linear(tape, e, w, null), new Float64Array(6).fill(1));
  }, []);
  assert.equal(recorded, 0);
});

test("attention with a relative position bias: gradients of q, k, v and the bias weights (bidirectional with padding, causal, queries after keys, cross-attention shapes)", () => {
  const headDim = 3;
  const cases = [
    { name: "bidirectional, masked keys, batch 2", nHeads: 2, queries: 5, keys: 5, batch: 2, causal: false, mask: true, maxDistance: 3 },
    { name: "causal, distances clamped at 2", nHeads: 3, queries: 6, keys: 6, batch: 1, causal: true, mask: false, maxDistance: 2 },
    { name: "causal, 2 queries after 3 cached keys", nHeads: 2, queries: 2, keys: 5, batch: 1, causal: true, mask: false, maxDistance: 4 },
  ];
  for (const c of cases) {
    const q = param64(random, "q", [c.batch * c.queries, c.nHeads * headDim]);
    const k = param64(random, "k", [c.batch * c.keys, c.nHeads * headDim]);
    const v = param64(random, "v", [c.batch * c.keys, c.nHeads * headDim]);
    const weights = param64(random, "bias", [4, c.nHeads]);
    const buckets = Int32Array.from({ length: 2 * c.maxDistance + 1 }, (_, i) => i % 4);
    const keyMask = c.mask ? Array.from({ length: c.batch * c.keys }, (_, i) => (i % c.keys === 3 ? 0 : 1)) : undefined;
    const options = { nHeads: c.nHeads, nKvHeads: c.nHeads, headDim, causal: c.causal, batch: c.batch, keyMask, scale: 1, positionBias: { weights, buckets, maxDistance: c.maxDistance } };
    checkOp(`position-biased attention ${c.name}`, [q, k, v, weights], (tape) => attention(tape, q, k, v, options));
  }
  // Cross-attention: more queries than keys, no causal mask (decoder rows against encoder keys).
  const q = param64(random, "q", [2 * 7, 2 * headDim]);
  const k = param64(random, "k", [2 * 4, 2 * headDim]);
  const v = param64(random, "v", [2 * 4, 2 * headDim]);
  const keyMask = [1, 1, 1, 0, 1, 1, 1, 1];
  checkOp("cross-attention, 7 queries over 4 keys, batch 2", [q, k, v], (tape) => attention(tape, q, k, v, { nHeads: 2, nKvHeads: 2, headDim, causal: false, batch: 2, keyMask }));
  assert.throws(() => attention(new Tape(float64TapeKernels), q, k, v, { nHeads: 2, nKvHeads: 2, headDim, causal: true, batch: 2 }), /causal queries/);
});

test("crossEntropy with label smoothing: torch's value ((1 − ε)·nll + ε·mean over classes of −log p) and its gradient", () => {
  const logits = param64(random, "logits", [5, 7], 2);
  const targets = [3, -100, 6, 0, 2];
  for (const labelSmoothing of [0.1, 0.35]) {
    checkOp(`crossEntropy label smoothing ${labelSmoothing}`, [logits], (tape) => crossEntropy(tape, logits, targets, { labelSmoothing }));
    let expected = 0;
    for (const r of [0, 2, 3, 4]) {
      const row = [...logits.data.subarray(r * 7, r * 7 + 7)];
      const lse = Math.log(row.reduce((s, v) => s + Math.exp(v), 0));
      const nll = lse - row[targets[r]!]!;
      const smooth = row.reduce((s, v) => s + (lse - v), 0) / 7;
      expected += (1 - labelSmoothing) * nll + labelSmoothing * smooth;
    }
    const value = crossEntropy(new Tape(float64TapeKernels), logits, targets, { labelSmoothing }).data[0]!;
    assert.ok(Math.abs(value - expected / 4) < 1e-12, `${value} vs ${expected / 4}`);
  }
  assert.throws(() => crossEntropy(new Tape(float64TapeKernels), logits, targets, { labelSmoothing: 1.5 }), /label smoothing/);
});
