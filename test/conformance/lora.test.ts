// LoRA against the PEFT fixtures of ../shared/fixtures/models (gpt2-tiny adapters):
// logits with each adapter active, merged equal to unmerged, and one training step
// of the adapter with the base frozen (gradients and parameters under PEFT names).
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { loadModel } from "../../src/index.js";
import { SHARED } from "../helpers/paths.js";
import { maxAbs, maxAbsDiff, readF32, readJson } from "../helpers/reference.js";
import { checkTrainStep, type ArrayRef, type TrainStepCase } from "../helpers/train-step.js";

interface AdapterCase {
  name: string;
  kind: string;
  inputs: { input_ids: number[][] };
  outputs: { logits: ArrayRef };
}
interface Adapter {
  name: string;
  folder: string;
  cases: (AdapterCase | TrainStepCase)[];
}

const FIXTURES = join(SHARED, "fixtures/models");
const index = readJson<{ models: { model: string; adapters: string[] }[] }>(join(FIXTURES, "index.json"));

for (const entry of index.models.filter((m) => m.adapters.length > 0)) {
  const dir = join(FIXTURES, entry.model);
  const reference = join(dir, "reference");
  const adapters = readJson<{ adapters: Adapter[] }>(join(reference, "manifest.json")).adapters;
  for (const adapter of adapters) {
    const folder = join(reference, adapter.folder);
    for (const c of adapter.cases.filter((c): c is AdapterCase => c.kind === "forward")) {
      test(`${entry.model} + ${adapter.name} ${c.name}: logits with the adapter, and merged, match`, async () => {
        const expected = readF32(join(reference, c.outputs.logits.file));
        const bound = Math.min(2e-5, 1e-4 * maxAbs(expected));
        const model = await loadModel(dir, { adapter: folder });
        const unmerged = (await model.forward(c.inputs.input_ids)).data;
        assert.ok(maxAbsDiff(unmerged, expected) <= bound, `unmerged: ${maxAbsDiff(unmerged, expected)}`);
        model.mergeLora();
        const merged = (await model.forward(c.inputs.input_ids)).data;
        assert.ok(maxAbsDiff(merged, expected) <= bound, `merged: ${maxAbsDiff(merged, expected)}`);
        assert.ok(maxAbsDiff(merged, unmerged) <= 2e-5);
      });
    }
    const step = adapter.cases.find((c): c is TrainStepCase => c.kind === "train_step");
    if (step !== undefined) {
      test(`${entry.model} + ${adapter.name} train_step: LoRA gradients and AdamW update match, base frozen`, async () => {
        const model = await loadModel(dir, { adapter: folder });
        const base = new Map((await loadModel(dir)).namedParameters());
        const inputs = step.inputs as Record<string, number[][]>;
        await checkTrainStep(model, { inputIds: inputs["input_ids"]!, targets: inputs["targets"]! }, step, reference);
        model.mergeLora(); // the base itself must not have moved: compare a weight the adapter does not touch
        const untouched = "transformer.h.0.mlp.c_fc.weight";
        assert.deepEqual(new Map(model.namedParameters()).get(untouched)!.data, base.get(untouched)!.data);
      });
    }
  }
}
