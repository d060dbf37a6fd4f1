// One training step through the library's own model modules, against the PyTorch
// reference of every fixture that has one (../shared/fixtures, "Training step"),
// decoders and encoders: loss, every gradient under its HF name and layout, every
// parameter after one AdamW step, and the loss trajectory.
import { join } from "node:path";
import { test } from "node:test";
import { loadModel, type EncoderModel } from "../../src/index.js";
import { SHARED } from "../helpers/paths.js";
import { readJson } from "../helpers/reference.js";
import { checkTrainStep, type TrainStepCase } from "../helpers/train-step.js";

const FIXTURES = join(SHARED, "fixtures/models");
const ENCODER_TYPES = new Set(["bert"]);
const index = readJson<{ models: { model: string; model_type: string; cases: string[] }[] }>(join(FIXTURES, "index.json"));

for (const entry of index.models.filter((m) => m.cases.includes("train_step"))) {
  const dir = join(FIXTURES, entry.model);
  const reference = join(dir, "reference");
  const step = readJson<{ cases: TrainStepCase[] }>(join(reference, "manifest.json")).cases.find((c) => c.kind === "train_step")!;
  const inputs = step.inputs as Record<string, number[][]> & { next_sentence_label?: number[] };
  test(`${entry.model} train_step: loss, every gradient, AdamW update and loss trajectory match PyTorch`, async () => {
    if (ENCODER_TYPES.has(entry.model_type)) {
      const batch = {
        inputIds: inputs["input_ids"]!,
        attentionMask: inputs["attention_mask"],
        tokenTypeIds: inputs["token_type_ids"],
        labels: inputs["labels"],
        nextSentenceLabel: inputs.next_sentence_label,
      };
      await checkTrainStep(await loadModel<EncoderModel>(dir), batch, step, reference);
    } else {
      await checkTrainStep(await loadModel(dir), { inputIds: inputs["input_ids"]!, targets: inputs["targets"]! }, step, reference);
    }
  });
}
