// The tape's bookkeeping: gradients accumulate (a tied parameter gets the sum of
// its uses; two backward passes add up), nothing is recorded without a parameter
// or under noGrad, backward needs a scalar, and the float32 path through a
// Backend gives the float64 gradients to float32 precision.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Parameter,
  Tape,
  add,
  backendTapeKernels,
  constant,
  crossEntropy,
  embedding,
  float64TapeKernels,
  gelu,
  layerNorm,
  linear,
} from "../../../src/autograd/index.js";
import { jsBackend } from "../../../src/backend/js/index.js";
import type { FloatArray } from "../../../src/tensor/tensor.js";
import { checkGradients, param64 } from "../../helpers/gradient-check.js";
import { maxAbs, maxAbsDiff } from "../../helpers/reference.js";
import { randomNormal, seededRandom } from "../../helpers/random.js";

const random = seededRandom(99);

/** Tied embedding: the table embeds the ids and is also the LM head. */
function tiedLoss<A extends FloatArray>(tape: Tape<A>, table: Parameter<A>, ln: [Parameter<A>, Parameter<A>], ids: number[], targets: number[]) {
  const x = embedding(tape, table, ids); // [seq, dim]
  const h = gelu(tape, layerNorm(tape, x, ln[0], ln[1], 1e-5), "tanh"); // [seq, dim]
  const logits = linear(tape, add(tape, x, h), table, null); // [seq, vocab]
  return crossEntropy(tape, logits, targets);
}

test("a tied parameter gets the sum of both uses, and that sum is the true gradient", () => {
  const table = param64(random, "wte", [7, 5]);
  const ln: [Parameter<Float64Array>, Parameter<Float64Array>] = [param64(random, "ln.weight", [5], 0.2, 1), param64(random, "ln.bias", [5], 0.2)];
  const ids = [1, 3, 3, 6, 0];
  const targets = [3, 3, 6, 0, 2];
  const result = checkGradients((tape) => tiedLoss(tape, table, ln, ids, targets), [table, ...ln]);
  assert.ok(result.worst <= 1e-6, `tied: ${result.worst} at ${result.where}`);

  // The gradient is the lookup's contribution plus the head's: computing them separately and adding agrees.
  const tape = new Tape(float64TapeKernels);
  table.grad = null;
  tape.backward(tiedLoss(tape, table, ln, ids, targets));
  const tied = Float64Array.from(table.grad!);
  const asLookup = new Parameter("lookup", Float64Array.from(table.data), [7, 5]);
  const asHead = new Parameter("head", Float64Array.from(table.data), [7, 5]);
  const t2 = new Tape(float64TapeKernels);
  const x = embedding(t2, asLookup, ids);
  const h = gelu(t2, layerNorm(t2, x, ln[0], ln[1], 1e-5), "tanh");
  t2.backward(crossEntropy(t2, linear(t2, add(t2, x, h), asHead, null), targets));
  const sum = asLookup.grad!.map((g, i) => g + asHead.grad![i]!);
  assert.ok(maxAbsDiff(tied, sum) < 1e-15);
  assert.ok(maxAbs(asLookup.grad!) > 0.01 && maxAbs(asHead.grad!) > 0.01, "both contributions are non-trivial");
});

test("gradients of two backward passes add up; op outputs' gradients are released", () => {
  const w = param64(random, "w", [3, 4]);
  const x = constant(Float64Array.from(randomNormal(random, 8)), [2, 4]);
  const run = () => {
    const tape = new Tape(float64TapeKernels);
    const y = linear(tape, x, w, null);
    const loss = crossEntropy(tape, y, [0, 2]);
    tape.backward(loss);
    assert.equal(y.grad, null, "an op output's gradient is dropped once passed on");
    assert.equal(tape.length, 0, "backward releases the recorded ops");
  };
  run();
  const once = Float64Array.from(w.grad!);
  run();
  assert.ok(maxAbsDiff(w.grad!, once.map((g) => 2 * g)) < 1e-15);
});

test("noGrad and constant inputs record nothing; backward insists on a scalar that depends on a parameter", () => {
  const w = param64(random, "w", [3, 4]);
  const x = constant(Float64Array.from(randomNormal(random, 8)), [2, 4]);
  const tape = new Tape(float64TapeKernels);
  const evaluated = tape.noGrad(() => linear(tape, x, w, null));
  assert.equal(tape.length, 0);
  assert.equal(evaluated.requiresGrad, false);
  assert.equal(tape.recording, true);
  const y = linear(tape, x, w, null);
  assert.equal(tape.length, 1);
  assert.throws(() => tape.backward(y), /scalar/);
  const loss = crossEntropy(tape, evaluated, [0, 1]);
  assert.throws(() => tape.backward(loss), /does not depend/);
});

test("the float32 path through the js Backend matches the float64 gradients", () => {
  const table64 = param64(random, "wte", [9, 6]);
  const ln64: [Parameter<Float64Array>, Parameter<Float64Array>] = [param64(random, "ln.weight", [6], 0.2, 1), param64(random, "ln.bias", [6], 0.2)];
  const ids = [1, 8, 3, 3, 0, 5, 2];
  const targets = [8, 3, 3, 0, 5, 2, -100];
  const f32 = (p: Parameter<Float64Array>) => new Parameter(p.name, Float32Array.from(p.data), p.shape);
  const table32 = f32(table64);
  const ln32: [Parameter, Parameter] = [f32(ln64[0]), f32(ln64[1])];
  const t64 = new Tape(float64TapeKernels);
  const loss64 = tiedLoss(t64, table64, ln64, ids, targets);
  t64.backward(loss64);
  const t32 = new Tape(backendTapeKernels(jsBackend));
  const loss32 = tiedLoss(t32, table32, ln32, ids, targets);
  t32.backward(loss32);
  assert.ok(loss32.data instanceof Float32Array);
  assert.ok(Math.abs(loss32.data[0]! - loss64.data[0]!) < 1e-5);
  for (const [a, b] of [[table32, table64], [ln32[0], ln64[0]], [ln32[1], ln64[1]]] as const) {
    const d = maxAbsDiff(a.grad!, b.grad!);
    assert.ok(d <= 1e-5 + 1e-4 * maxAbs(b.grad!), `${a.name}: max |Δ| ${d}`);
  }
});
