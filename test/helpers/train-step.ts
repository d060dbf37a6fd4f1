// Checks one training step of a model against a fixture's PyTorch `train_step`
// case: loss, every gradient (by parameter name), every parameter after one AdamW
// step, and the loss after each of three more steps, with the tolerances of
// ../shared/fixtures/README.md for a float32 engine.
import assert from "node:assert/strict";
import { join } from "node:path";
import { AdamW, type Loss, type Parameter } from "../../src/index.js";
import type { Backend } from "../../src/backend/backend.js";
import { optimizerKernelsOf } from "../../src/training/backend-kernels.js";
import { maxAbs, readF32 } from "./reference.js";

export interface ArrayRef {
  file: string;
  shape: number[];
}

/** A decoder or an encoder: anything with a loss and named parameters. */
export interface Trainable<B> {
  loss(batch: B): Promise<Loss>;
  namedParameters(): [string, Parameter][];
  parameters(): Parameter[];
  /** The backend the model computes on: the optimizer runs its kernels (the WASM backend's SIMD AdamW). */
  readonly backend?: Backend;
}

export interface TrainStepCase {
  kind: string;
  inputs: Record<string, number[][] | number[]>;
  loss: { value: number };
  optimizer: { lr: number; betas: [number, number]; eps: number; weight_decay: number };
  gradients: Record<string, ArrayRef>;
  params_after_step1: Record<string, ArrayRef>;
  loss_trajectory: { values: number[] };
}

/**
 * `reference` is the folder the case's file paths are relative to; a gradient may
 * differ by gradientAtol + 1e-4 · max |g| (default atol 1e-5).
 */
export async function checkTrainStep<B>(
  model: Trainable<B>,
  batch: B,
  step: TrainStepCase,
  reference: string,
  gradientAtol = 1e-5,
): Promise<void> {
  const named = new Map(model.namedParameters());
  assert.deepEqual([...named.keys()].sort(), Object.keys(step.gradients).sort(), "the trainable parameters, each once, by name");

  const loss = await model.loss(batch);
  assert.ok(Math.abs(loss.value - step.loss.value) <= 1e-5, `loss ${loss.value} vs ${step.loss.value}`);
  await loss.backward();
  const gradients = new Map<string, Float32Array>();
  for (const [name, ref] of Object.entries(step.gradients)) {
    const expected = readF32(join(reference, ref.file));
    const actual = named.get(name)!.grad!;
    gradients.set(name, expected);
    const bound = gradientAtol + 1e-4 * maxAbs(expected);
    for (let i = 0; i < expected.length; i++) {
      assert.ok(Math.abs(actual[i]! - expected[i]!) <= bound, `${name}[${i}]: ${actual[i]} vs ${expected[i]} (bound ${bound})`);
    }
  }

  const { lr, betas, eps, weight_decay: weightDecay } = step.optimizer;
  const optimizer = new AdamW(model.parameters(), { lr, betas, eps, weightDecay }, optimizerKernelsOf(model.backend));
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

  // values[t] is the loss after t updates.
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
  step.loss_trajectory.values.forEach((value, t) => {
    assert.ok(Math.abs(trajectory[t]! - value) <= 1e-5, `loss after ${t} steps: ${trajectory[t]} vs ${value}`);
  });
}
