// The attention variants' ops against central differences in float64 (the method
// of ops-gradients.test.ts): sparse attention (causal and not, GQA, ALiBi,
// soft-cap, padding), causal linear attention over a batch (GQA), and both
// feature maps, on awkward sizes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { eluPlusOne, linearAttention, positiveRandomFeatures, sparseAttention, type Tape } from "../../../src/autograd/index.js";
import { checkGradients, param64, project, type V64 } from "../../helpers/gradient-check.js";
import { randomNormal, seededRandom } from "../../helpers/random.js";

const random = seededRandom(1202);
const TOLERANCE = 1e-6;

function checkOp(what: string, inputs: V64[], op: (tape: Tape<Float64Array>) => V64): void {
  let weights: Float64Array | null = null;
  const result = checkGradients((tape) => {
    const out = op(tape);
    weights ??= Float64Array.from(randomNormal(random, out.size));
    return project(tape, out, weights);
  }, inputs);
  assert.ok(result.checked > 0, `${what}: nothing checked`);
  assert.ok(result.worst <= TOLERANCE, `${what}: relative error ${result.worst.toExponential(2)} at ${result.where}`);
}

test("sparseAttention: dq, dk, dv for the strided pattern, causal and bidirectional, GQA, ALiBi, soft-cap, padding", () => {
  const cases = [
    { batch: 2, seq: 11, nHeads: 3, nKvHeads: 3, headDim: 4, window: 3, stride: 4, causal: true },
    { batch: 1, seq: 13, nHeads: 4, nKvHeads: 2, headDim: 3, window: 2, stride: 3, causal: true, softcap: 2, alibiSlopes: Float32Array.of(0.5, 0.3, 0.2, 0.1) },
    { batch: 2, seq: 9, nHeads: 2, nKvHeads: 1, headDim: 5, window: 2, stride: 3, causal: false, padding: true },
  ];
  for (const c of cases) {
    const q = param64(random, "q", [c.batch * c.seq, c.nHeads * c.headDim]);
    const k = param64(random, "k", [c.batch * c.seq, c.nKvHeads * c.headDim]);
    const v = param64(random, "v", [c.batch * c.seq, c.nKvHeads * c.headDim]);
    const keyMask = c.padding === true ? Array.from({ length: c.batch * c.seq }, (_, i) => (i % c.seq >= c.seq - 2 ? 0 : 1)) : undefined;
    checkOp(`sparse ${JSON.stringify({ ...c, alibiSlopes: undefined })}`, [q, k, v], (tape) =>
      sparseAttention(tape, q, k, v, { ...c, scale: 0.7, ...(keyMask === undefined ? {} : { keyMask }) }),
    );
  }
});

test("linearAttention: dφq, dφk, dv over a batch of sequences, MHA and GQA", () => {
  for (const [batch, seq, nHeads, nKvHeads, featureDim, headDim] of [[1, 1, 1, 1, 1, 1], [2, 7, 3, 3, 4, 5], [3, 5, 4, 2, 3, 2]] as const) {
    const positive = (name: string, rows: number, width: number): V64 => {
      const p = param64(random, name, [rows, width], 0.5);
      p.data.forEach((x, i) => (p.data[i] = Math.exp(x)));
      return p;
    };
    const phiQ = positive("phiQ", batch * seq, nHeads * featureDim);
    const phiK = positive("phiK", batch * seq, nKvHeads * featureDim);
    const v = param64(random, "v", [batch * seq, nKvHeads * headDim]);
    checkOp(`linear ${batch}×${seq}, ${nHeads}/${nKvHeads} heads`, [phiQ, phiK, v], (tape) =>
      linearAttention(tape, phiQ, phiK, v, { nHeads, nKvHeads, featureDim, headDim, eps: 0.05, batch }),
    );
  }
});

test("eluPlusOne and positiveRandomFeatures: dx", () => {
  const x = param64(random, "x", [7, 3]);
  checkOp("elu + 1", [x], (tape) => eluPlusOne(tape, x));
  for (const [rows, dim, m] of [[1, 1, 1], [5, 3, 7], [4, 6, 2]] as const) {
    const rowsX = param64(random, "x", [rows, dim], 0.5);
    const omega = Float64Array.from(randomNormal(random, m * dim));
    checkOp(`FAVOR+ ${rows}×${dim}→${m}`, [rowsX], (tape) => positiveRandomFeatures(tape, rowsX, omega, m));
  }
});
