// Sliding-window evaluation: every token after the first is scored exactly once,
// with at least context − stride tokens of left context after the first window,
// and the mean is weighted by the tokens each batch scored.
import assert from "node:assert/strict";
import { test } from "node:test";
import { defaultStride, slidingWindowLoss, slidingWindows } from "../../../src/training/perplexity.js";
import type { Batch } from "../../../src/training/trainable.js";

/** A "model" whose loss at a position is a function of the target and its context length; records what it scored. */
function probe() {
  const scored: { target: number; contextLength: number; position: number }[] = [];
  const model = {
    async evaluate(batch: Batch): Promise<number> {
      let sum = 0;
      let count = 0;
      batch.targets.forEach((row, b) =>
        row.forEach((target, t) => {
          if (target === -100) return;
          // targets are ids = their own positions in the test text, so the position is the target
          scored.push({ target, contextLength: t + 1, position: batch.inputIds[b]![t]! + 1 });
          sum += target;
          count++;
        }),
      );
      return sum / count;
    },
  };
  return { model, scored };
}

for (const [n, context, stride] of [[2, 4, 2], [10, 4, 4], [10, 4, 1], [37, 8, 3], [64, 64, 32], [100, 16, 8]] as const) {
  test(`n=${n}, context ${context}, stride ${stride}: each token after the first scored once, with enough context`, async () => {
    const ids = Array.from({ length: n }, (_, i) => i);
    const { model, scored } = probe();
    const result = await slidingWindowLoss(model, ids, { context, stride, batchSize: 3 });
    assert.deepEqual(scored.map((s) => s.target).sort((a, b) => a - b), ids.slice(1));
    for (const s of scored) {
      assert.equal(s.position, s.target); // the input before a target is the previous token
      const minimum = Math.min(s.target, context - stride + 1);
      assert.ok(s.contextLength >= minimum, `token ${s.target} scored with ${s.contextLength} tokens of context, expected ≥ ${minimum}`);
    }
    // the loss is the token-weighted mean: here the mean of 1 … n−1
    assert.ok(Math.abs(result.loss - n / 2) < 1e-9);
    assert.equal(result.tokens, n - 1);
    assert.equal(result.perplexity, Math.exp(result.loss));
    assert.equal(result.windows, slidingWindows(n, context, stride).length);
  });
}

test("non-overlapping windows when stride = context; the default stride is half the context", async () => {
  assert.deepEqual(slidingWindows(9, 4, 4).map((w) => [w.begin, w.length]), [[0, 4], [4, 4]]);
  assert.deepEqual(slidingWindows(10, 4, 4).map((w) => [w.begin, w.length]), [[0, 4], [4, 4], [8, 1]]);
  assert.equal(defaultStride(64), 32);
  assert.equal(defaultStride(5), 3);
});

test("bad options are refused", async () => {
  const { model } = probe();
  await assert.rejects(slidingWindowLoss(model, [1, 2, 3], { context: 4, stride: 5 }), /stride 5 must be an integer from 1 to the context 4/);
  await assert.rejects(slidingWindowLoss(model, [1], { context: 4 }), /at least 2/);
  await assert.rejects(slidingWindowLoss(model, [1, 2], { context: 0 }), /context 0/);
});
