// One training step through the library's own model modules, against the PyTorch
// reference of every decoder fixture that has one (../shared/fixtures, "Training
// step"): the loss, every gradient under its HF name and layout, every parameter
// after one AdamW step, and the loss after three more steps — with the
// tolerances fixtures/README.md recommends for a float32 engine.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { AdamW, loadModel } from "../../src/index.js";
import { SHARED } from "../helpers/paths.js";
import { maxAbs, readF32, readJson } from "../helpers/reference.js";

interface ArrayRef {
  file: string;
  shape: number[];
}
interface TrainStepCase {
  kind: string;
  inputs: { input_ids: number[][]; targets: number[][] };
  loss: { value: number };
  optimizer: { lr: number; betas: [number, number]; eps: number; weight_decay: number };
  gradients: Record<string, ArrayRef>;
  params_after_step1: Record<string, ArrayRef>;
  loss_trajectory: { values: number[] };
}

const FIXTURES = join(SHARED, "fixtures/models");
const DECODER_TYPES = new Set(["gpt2", "llama", "mistral", "qwen2"]);
const index = readJson<{ models: { model: string; model_type: string; cases: string[] }[] }>(join(FIXTURES, "index.json"));

for (const entry of index.models.filter((m) => DECODER_TYPES.has(m.model_type) && m.cases.includes("train_step"))) {
  const dir = join(FIXTURES, entry.model);
  const reference = join(dir, "reference");
  const manifest = readJson<{ cases: TrainStepCase[] }>(join(reference, "manifest.json"));
  const step = manifest.cases.find((c) => c.kind === "train_step")!;
  const batch = { inputIds: step.inputs.input_ids, targets: step.inputs.targets };

  test(`${entry.model} train_step: loss, every gradient, AdamW update and loss trajectory match PyTorch`, async () => {
    const model = await loadModel(dir);
    const named = new Map(model.namedParameters());
    assert.deepEqual([...named.keys()].sort(), Object.keys(step.gradients).sort(), "parameters are the HF tensors, each once");

    const loss = await model.loss(batch);
    assert.ok(Math.abs(loss.value - step.loss.value) <= 1e-5, `loss ${loss.value} vs ${step.loss.value}`);
    await loss.backward();
    const gradients = new Map<string, Float32Array>();
    for (const [name, ref] of Object.entries(step.gradients)) {
      const expected = readF32(join(reference, ref.file));
      const actual = named.get(name)!.grad!;
      gradients.set(name, expected);
      const bound = 1e-5 + 1e-4 * maxAbs(expected);
      for (let i = 0; i < expected.length; i++) {
        assert.ok(Math.abs(actual[i]! - expected[i]!) <= bound, `${name}[${i}]: ${actual[i]} vs ${expected[i]} (bound ${bound})`);
      }
    }

    const { lr, betas, eps, weight_decay: weightDecay } = step.optimizer;
    const optimizer = new AdamW(model.parameters(), { lr, betas, eps, weightDecay });
    optimizer.step();
    for (const [name, ref] of Object.entries(step.params_after_step1)) {
      const expected = readF32(join(reference, ref.file));
      const actual = named.get(name)!.data;
      const grad = gradients.get(name)!;
      for (let i = 0; i < expected.length; i++) {
        // Where the true gradient is ~0, Adam turns float noise into updates of up to ~lr (fixtures README).
        const bound = Math.abs(grad[i]!) >= 1e-6 ? 1e-6 : lr;
        assert.ok(Math.abs(actual[i]! - expected[i]!) <= bound, `${name}[${i}] after step: ${actual[i]} vs ${expected[i]}`);
      }
    }

    const trajectory = [loss.value];
    for (let t = 1; t < step.loss_trajectory.values.length; t++) {
      optimizer.zeroGrad();
      const next = await model.loss(batch);
      trajectory.push(next.value);
      if (t + 1 < step.loss_trajectory.values.length) {
        await next.backward();
        optimizer.step();
      }
    }
    // trajectory[t] is the loss after t updates; the last one is measured after the third update.
    step.loss_trajectory.values.forEach((value, t) => {
      assert.ok(Math.abs(trajectory[t]! - value) <= 1e-5, `loss after ${t} steps: ${trajectory[t]} vs ${value}`);
    });
  });
}
