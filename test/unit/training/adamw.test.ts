// AdamW against the update written out by hand in float64 (torch.optim.AdamW's
// formula), parameter groups, skipped parameters, and the state round trip.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Parameter } from "../../../src/autograd/variable.js";
import { AdamW } from "../../../src/training/adamw.js";
import { maxAbsDiff } from "../../helpers/reference.js";
import { randomNormal, seededRandom } from "../../helpers/random.js";

const random = seededRandom(5);
const OPTIONS = { lr: 1e-3, betas: [0.9, 0.95] as [number, number], eps: 1e-8, weightDecay: 0.1 };

/** torch AdamW on plain numbers: returns the parameters after each step. */
function handAdamW(p0: number[], grads: number[][], o: typeof OPTIONS): number[][] {
  const p = [...p0];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const [b1, b2] = o.betas;
  return grads.map((g, s) => {
    const t = s + 1;
    for (let i = 0; i < p.length; i++) {
      p[i] = p[i]! * (1 - o.lr * o.weightDecay);
      m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
      v[i] = b2 * v[i]! + (1 - b2) * g[i]! * g[i]!;
      const mHat = m[i]! / (1 - b1 ** t);
      const vHat = v[i]! / (1 - b2 ** t);
      p[i] = p[i]! - (o.lr * mHat) / (Math.sqrt(vHat) + o.eps);
    }
    return [...p];
  });
}

test("three float64 steps equal the hand-computed update", () => {
  const p0 = [...randomNormal(random, 7)];
  const grads = [0, 1, 2].map(() => [...randomNormal(random, 7, 0.1)]);
  grads[1]![3] = 0; // a zero gradient still decays and moves by momentum
  const expected = handAdamW(p0, grads, OPTIONS);
  const p = new Parameter("w", Float64Array.from(p0), [7]);
  const opt = new AdamW<Float64Array>([p], OPTIONS);
  grads.forEach((g, s) => {
    p.grad = Float64Array.from(g);
    opt.step();
    assert.ok(maxAbsDiff(p.data, expected[s]!) < 1e-15, `step ${s + 1}: ${maxAbsDiff(p.data, expected[s]!)}`);
  });
  assert.equal(opt.stepCount, 3);
  // The first step moves each element by about lr·sign(g), plus the decay: make sure it moved at all.
  assert.ok(Math.abs(expected[0]![0]! - p0[0]!) > 5e-4);
});

test("float32 parameters follow the float64 update to float32 precision", () => {
  const p0 = [...randomNormal(random, 33)];
  const grads = [0, 1, 2, 3].map(() => [...randomNormal(random, 33)]);
  const expected = handAdamW(p0, grads, OPTIONS);
  const p = new Parameter("w", Float32Array.from(p0), [3, 11]);
  const opt = new AdamW([p], OPTIONS);
  for (const g of grads) {
    p.grad = Float32Array.from(g);
    opt.step();
  }
  assert.ok(maxAbsDiff(p.data, expected[3]!) < 1e-6);
});

test("parameter groups: weight decay off for one group, options inherited otherwise", () => {
  const decayed = new Parameter("fc.weight", Float64Array.of(1, -2, 3), [3]);
  const kept = new Parameter("ln.weight", Float64Array.of(1, -2, 3), [3]);
  const opt = new AdamW<Float64Array>([{ params: [kept], weightDecay: 0 }, { params: [decayed] }], OPTIONS);
  assert.equal(opt.paramGroups[0]!.weightDecay, 0);
  assert.equal(opt.paramGroups[1]!.weightDecay, 0.1);
  assert.equal(opt.paramGroups[0]!.lr, 1e-3);
  decayed.grad = new Float64Array(3); // zero gradient: only the decay acts
  kept.grad = new Float64Array(3);
  opt.step();
  assert.deepEqual([...kept.data], [1, -2, 3]);
  assert.ok(maxAbsDiff(decayed.data, [1, -2, 3].map((x) => x * (1 - 1e-4))) < 1e-16);
  opt.setLearningRate(0.5);
  assert.ok(opt.paramGroups.every((g) => g.lr === 0.5));
});

test("a parameter without a gradient is skipped and its step count does not advance", () => {
  const a = new Parameter("a", Float64Array.of(1, 2), [2]);
  const b = new Parameter("b", Float64Array.of(3, 4), [2]);
  const opt = new AdamW<Float64Array>([a, b], OPTIONS);
  a.grad = Float64Array.of(0.5, -0.5);
  opt.step();
  assert.deepEqual([...b.data], [3, 4]);
  const state = opt.exportState();
  assert.deepEqual([...state.tensors.keys()].sort(), ["a.exp_avg", "a.exp_avg_sq", "a.step"]);
  opt.zeroGrad();
  assert.equal(a.grad, null);
  b.grad = Float64Array.of(1, 1);
  opt.step();
  const after = opt.exportState();
  assert.equal(after.tensors.get("a.step")![0], 1);
  assert.equal(after.tensors.get("b.step")![0], 1);
  assert.equal(after.step, 2);
  // b's first step uses bias correction for t = 1: it moves by ≈ lr.
  assert.ok(Math.abs(b.data[0]! - (3 * (1 - 1e-4) - 1e-3)) < 1e-9);
});

test("exported state restores into a fresh optimizer: both continue identically", () => {
  const make = () => [new Parameter("x", Float32Array.from(randomNormal(seededRandom(1), 10)), [2, 5]), new Parameter("y", Float32Array.of(1, 2, 3), [3])];
  const grads = [0, 1, 2, 3].map(() => [Float32Array.from(randomNormal(random, 10)), Float32Array.from(randomNormal(random, 3))]);
  const first = make();
  const opt1 = new AdamW(first, OPTIONS);
  for (const g of grads.slice(0, 2)) {
    first.forEach((p, i) => (p.grad = Float32Array.from(g[i]!)));
    opt1.step();
  }
  const saved = opt1.exportState();
  assert.equal(saved.step, 2);
  assert.ok(saved.tensors.get("x.exp_avg") instanceof Float32Array);
  const second = first.map((p) => new Parameter(p.name, Float32Array.from(p.data), p.shape));
  const opt2 = new AdamW(second, OPTIONS);
  opt2.importState(saved);
  for (const g of grads.slice(2)) {
    for (const params of [first, second]) params.forEach((p, i) => (p.grad = Float32Array.from(g[i]!)));
    opt1.step();
    opt2.step();
  }
  first.forEach((p, i) => assert.deepEqual([...p.data], [...second[i]!.data]));
  assert.equal(opt2.stepCount, 4);

  const broken = new Map(saved.tensors);
  broken.set("x.exp_avg", new Float32Array(3));
  assert.throws(() => opt2.importState({ step: 2, tensors: broken }), /"x.exp_avg" has 3 elements, expected 10/);
  const stranger = new Map(saved.tensors);
  stranger.set("z.exp_avg", new Float32Array(1));
  assert.throws(() => opt2.importState({ step: 2, tensors: stranger }), /"z.exp_avg" does not belong/);
  const partial = new Map(saved.tensors);
  partial.delete("y.step");
  assert.throws(() => opt2.importState({ step: 2, tensors: partial }), /"y.step" is missing/);
});

test("bad options and duplicated parameters are refused", () => {
  const p = new Parameter("w", new Float32Array(2), [2]);
  assert.throws(() => new AdamW([p], { ...OPTIONS, betas: [0.9, 1] }), /betas/);
  assert.throws(() => new AdamW([p], { ...OPTIONS, lr: -1 }), /lr -1/);
  assert.throws(() => new AdamW([{ params: [p] }, { params: [p] }], OPTIONS), /"w" appears more than once/);
  assert.throws(() => new AdamW([p, new Parameter("w", new Float32Array(1), [1])], OPTIONS), /two parameters are named "w"/);
});
