// Clipping by global norm (torch clip_grad_norm_).
import assert from "node:assert/strict";
import { test } from "node:test";
import { Parameter } from "../../../src/autograd/variable.js";
import { clipGradNorm } from "../../../src/training/grad-clip.js";

function params(): Parameter[] {
  const a = new Parameter("a", new Float32Array(2), [2]);
  const b = new Parameter("b", new Float32Array(1), [1]);
  const none = new Parameter("none", new Float32Array(4), [4]);
  a.grad = Float32Array.of(3, 4);
  b.grad = Float32Array.of(12);
  return [a, b, none];
}

test("the norm is over all gradients together; above maxNorm they are scaled to it", () => {
  const ps = params();
  const norm = clipGradNorm(ps, 6.5);
  assert.equal(norm, 13);
  const c = 6.5 / (13 + 1e-6);
  assert.deepEqual([...ps[0]!.grad!], [...Float32Array.of(3 * c, 4 * c)]);
  assert.deepEqual([...ps[1]!.grad!], [...Float32Array.of(12 * c)]);
  assert.equal(ps[2]!.grad, null);
  assert.ok(Math.abs(clipGradNorm(ps, 100) - 6.5) < 1e-5);
});

test("below maxNorm nothing changes", () => {
  const ps = params();
  assert.equal(clipGradNorm(ps, 13.5), 13);
  assert.deepEqual([...ps[0]!.grad!, ...ps[1]!.grad!], [3, 4, 12]);
  assert.throws(() => clipGradNorm(ps, 0), /maxNorm 0/);
});
