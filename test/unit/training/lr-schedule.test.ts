// nanoGPT's get_lr: warmup, cosine decay, floor.
import assert from "node:assert/strict";
import { test } from "node:test";
import { cosineWithWarmup } from "../../../src/training/lr-schedule.js";

const schedule = { learningRate: 6e-4, minLearningRate: 6e-5, warmupIters: 10, lrDecayIters: 110 };
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-18, `${a} vs ${b}`);

test("values at known iterations", () => {
  close(cosineWithWarmup(0, schedule), 6e-4 / 11);
  close(cosineWithWarmup(4, schedule), (6e-4 * 5) / 11);
  close(cosineWithWarmup(9, schedule), (6e-4 * 10) / 11);
  close(cosineWithWarmup(10, schedule), 6e-4); // decay ratio 0
  close(cosineWithWarmup(35, schedule), 6e-5 + 0.5 * (1 + Math.SQRT1_2) * 5.4e-4); // ratio 1/4
  close(cosineWithWarmup(60, schedule), 3.3e-4); // halfway: the mean of lr and minLr
  close(cosineWithWarmup(110, schedule), 6e-5);
  close(cosineWithWarmup(111, schedule), 6e-5);
  close(cosineWithWarmup(10_000, schedule), 6e-5);
});

test("monotone after warmup, and a bad schedule is refused", () => {
  let previous = Infinity;
  for (let it = 10; it <= 120; it++) {
    const lr = cosineWithWarmup(it, schedule);
    assert.ok(lr <= previous);
    previous = lr;
  }
  assert.throws(() => cosineWithWarmup(0, { ...schedule, lrDecayIters: 10 }), /lrDecayIters 10 must exceed warmupIters 10/);
});
