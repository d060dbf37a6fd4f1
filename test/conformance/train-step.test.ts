// One training step through the library's own model modules, against the PyTorch
// reference of every decoder fixture that has one (../shared/fixtures, "Training
// step"): loss, every gradient under its HF name and layout, every parameter after
// one AdamW step, and the loss trajectory.
import { join } from "node:path";
import { test } from "node:test";
import { loadModel } from "../../src/index.js";
import { SHARED } from "../helpers/paths.js";
import { readJson } from "../helpers/reference.js";
import { checkTrainStep, type TrainStepCase } from "../helpers/train-step.js";

const FIXTURES = join(SHARED, "fixtures/models");
const DECODER_TYPES = new Set(["gpt2", "llama", "mistral", "qwen2"]);
const index = readJson<{ models: { model: string; model_type: string; cases: string[] }[] }>(join(FIXTURES, "index.json"));

for (const entry of index.models.filter((m) => DECODER_TYPES.has(m.model_type) && m.cases.includes("train_step"))) {
  const dir = join(FIXTURES, entry.model);
  const reference = join(dir, "reference");
  const step = readJson<{ cases: TrainStepCase[] }>(join(reference, "manifest.json")).cases.find((c) => c.kind === "train_step")!;
  test(`${entry.model} train_step: loss, every gradient, AdamW update and loss trajectory match PyTorch`, async () => {
    await checkTrainStep(await loadModel(dir), step, reference);
  });
}
