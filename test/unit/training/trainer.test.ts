// The training loop on a tiny model: the loss falls; schedule, evaluations and
// checkpoints happen when configured; weight decay skips 1-D tensors; gradient
// accumulation averages micro-batches before clipping; runs repeat under a seed.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Parameter } from "../../../src/autograd/variable.js";
import { AdamW } from "../../../src/training/adamw.js";
import { randomWindows } from "../../../src/training/datasets/text-dataset.js";
import { clipGradNorm } from "../../../src/training/grad-clip.js";
import { cosineWithWarmup } from "../../../src/training/lr-schedule.js";
import { Stream, streamRng } from "../../../src/training/random-streams.js";
import { parameterGroups, Trainer } from "../../../src/training/trainer.js";
import { patternData, TinyModel, tinyConfig } from "./helpers/tiny-model.js";

const data = { train: patternData(400, 7), validation: patternData(100, 7, 4) };

test("the loss falls; learning rates follow warmup + cosine; evaluations, final validation and checkpoints happen on schedule", async () => {
  const config = tinyConfig();
  const trainer = new Trainer(new TinyModel(7, 16, 8), data, config);
  const checkpoints: number[] = [];
  const evals: number[] = [];
  let steps = 0;
  const progress = await trainer.train({
    onStep: (r) => {
      assert.equal(r.iteration, steps++);
      assert.ok(r.tokensPerSecond > 0 && r.etaMs >= 0 && r.gradNorm > 0);
    },
    onEval: (e) => evals.push(e.iteration),
    checkpoint: async (t) => {
      checkpoints.push(t.progress.iteration);
    },
  });
  assert.equal(steps, 40);
  assert.equal(progress.iteration, 40);
  assert.equal(progress.trainLosses.length, 40);
  assert.deepEqual(evals, [0, 10, 20, 30, 40]);
  assert.deepEqual(checkpoints, [15, 30, 40]);
  const first = progress.evals[0]!;
  const last = progress.evals[progress.evals.length - 1]!;
  assert.ok(last.validation < first.validation - 0.5, `validation loss ${first.validation} → ${last.validation} should fall`);
  progress.learningRates.forEach((lr, i) =>
    assert.equal(lr, cosineWithWarmup(i, { learningRate: 2e-2, minLearningRate: 2e-3, warmupIters: 4, lrDecayIters: 40 })),
  );
  assert.ok(progress.finalValidation !== null);
  assert.equal(progress.finalValidation.tokens, 99);
  assert.equal(progress.finalValidation.stride, 4);
  assert.ok(Math.abs(progress.finalValidation.loss - last.validation) < 0.5);
  // a finished run does nothing more
  assert.equal(trainer.done, true);
  const again = await trainer.train({ checkpoint: async () => assert.fail("no checkpoint after the end") });
  assert.equal(again.iteration, 40);
});

test("weight decay applies to tensors of ≥ 2 dimensions; embeddings optionally exempt; tied tensors once", () => {
  const matrix = new Parameter("h.0.mlp.c_fc.weight", new Float32Array(4), [2, 2]);
  const bias = new Parameter("h.0.mlp.c_fc.bias", new Float32Array(2), [2]);
  const gain = new Parameter("h.0.ln_1.weight", new Float32Array(2), [2]);
  const wte = new Parameter("transformer.wte.weight", new Float32Array(4), [2, 2]);
  const named: [string, Parameter][] = [["transformer.wte.weight", wte], ["h.0.mlp.c_fc.weight", matrix], ["h.0.mlp.c_fc.bias", bias], ["h.0.ln_1.weight", gain], ["lm_head.weight", wte]];
  const names = (ps: Iterable<Parameter>) => Array.from(ps, (p) => p.name);
  const nano = parameterGroups(named, 0.1, true);
  assert.deepEqual(names(nano[0]!.params), ["transformer.wte.weight", "h.0.mlp.c_fc.weight"]);
  assert.equal(nano[0]!.weightDecay, 0.1);
  assert.deepEqual(names(nano[1]!.params), ["h.0.mlp.c_fc.bias", "h.0.ln_1.weight"]);
  assert.equal(nano[1]!.weightDecay, 0);
  const noEmbeddings = parameterGroups(named, 0.1, false);
  assert.deepEqual(names(noEmbeddings[0]!.params), ["h.0.mlp.c_fc.weight"]);
  assert.deepEqual(names(noEmbeddings[1]!.params), ["transformer.wte.weight", "h.0.mlp.c_fc.bias", "h.0.ln_1.weight"]);
});

test("gradient accumulation: micro-batch gradients are averaged, then clipped, then one AdamW step", async () => {
  const config = tinyConfig({ gradientAccumulationSteps: 3, batchSize: 2, gradClip: 0.05, maxIters: 2 });
  const viaTrainer = new TinyModel(7, 8, 8, 11);
  const trainer = new Trainer(viaTrainer, data, config);
  const report = await trainer.step();

  const manual = new TinyModel(7, 8, 8, 11);
  const optimizer = new AdamW(parameterGroups(manual.namedParameters(), config.weightDecay, true), {
    lr: config.learningRate,
    betas: config.betas,
    eps: config.eps,
    weightDecay: config.weightDecay,
  });
  optimizer.setLearningRate(cosineWithWarmup(0, { learningRate: 2e-2, minLearningRate: 2e-3, warmupIters: 4, lrDecayIters: 40 }));
  let lossSum = 0;
  for (let micro = 0; micro < 3; micro++) {
    const loss = await manual.loss(randomWindows(data.train, 2, 8, streamRng(config.seed, Stream.trainBatch, 0, micro)));
    lossSum += loss.value;
    await loss.backward();
  }
  for (const p of manual.params) for (let i = 0; i < p.grad!.length; i++) p.grad![i] = p.grad![i]! * (1 / 3);
  const norm = clipGradNorm(manual.params, 0.05);
  optimizer.step();
  assert.equal(report.loss, lossSum / 3);
  assert.equal(report.gradNorm, norm);
  assert.ok(norm > 0.05, "the test should exercise clipping");
  manual.params.forEach((p, k) => assert.deepEqual(viaTrainer.params[k]!.data, p.data, p.name));
});

test("a run is a function of its seed, dropout included", async () => {
  const run = async (seed: number) => {
    const trainer = new Trainer(new TinyModel(7, 8, 8), data, tinyConfig({ seed, dropout: 0.2, maxIters: 6, evalInterval: 0, finalEval: false }));
    return (await trainer.train()).trainLosses;
  };
  const a = await run(1);
  assert.deepEqual(await run(1), a);
  assert.notDeepEqual(await run(2), a);
});

test("a non-finite loss stops the run with the iteration named", async () => {
  const model = new TinyModel(7, 8, 8);
  const trainer = new Trainer(model, data, tinyConfig());
  model.params[0]!.data.fill(Number.NaN);
  await assert.rejects(trainer.step(), /training loss is NaN at iteration 0/);
});
