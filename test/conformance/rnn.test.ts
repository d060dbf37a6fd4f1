// The PyTorch recurrent language models of ../shared/fixtures/rnn (Elman RNN,
// LSTM, GRU; 2 layers) loaded from their folders as they are: forward logits and
// every layer's final h (and c) state, then one training step — loss, every
// gradient by torch name, every parameter after one AdamW step, the losses after
// three — with the tolerances of the fixtures' README, on the js and wasm backends.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { loadModel } from "../../src/index.js";
import type { RnnLanguageModel } from "../../src/recurrent-model.js";
import { SHARED } from "../helpers/paths.js";
import { maxAbsDiff, readF32, readJson } from "../helpers/reference.js";
import { checkTrainStep, type ArrayRef, type TrainStepCase } from "../helpers/train-step.js";

const FIXTURES = join(SHARED, "fixtures/rnn");
const index = readJson<{ models: { model: string; cell: string; num_layers: number; hidden_size: number; cases: string[] }[] }>(join(FIXTURES, "index.json"));

interface ForwardCase {
  kind: "forward";
  inputs: { input_ids: number[][]; text: string[] };
  outputs: { logits: ArrayRef; h_n: ArrayRef; c_n?: ArrayRef };
}

for (const entry of index.models) {
  const dir = join(FIXTURES, entry.model);
  const reference = join(dir, "reference");
  const cases = readJson<{ cases: (ForwardCase | TrainStepCase)[] }>(join(reference, "manifest.json")).cases;
  const forward = cases.find((c): c is ForwardCase => c.kind === "forward")!;
  const trainStep = cases.find((c): c is TrainStepCase => c.kind === "train_step")!;

  for (const backend of ["js", "wasm"] as const) {
    test(`${entry.model} (${entry.cell}, ${backend}): logits and final states match PyTorch; the vocabulary reads the inputs' text`, async () => {
      const model = await loadModel<RnnLanguageModel>(dir, { backend, threads: 1 });
      assert.equal(model.kind, "recurrent");
      assert.equal(model.config.cell, entry.cell);
      const ids = forward.inputs.input_ids;
      forward.inputs.text.forEach((text, b) => assert.deepEqual(model.tokenizer.encode(text), ids[b]));
      const logits = await model.forward(ids);
      assert.deepEqual([...logits.shape], forward.outputs.logits.shape);
      const diff = maxAbsDiff(logits.data, readF32(join(reference, forward.outputs.logits.file)));
      assert.ok(diff <= 1e-5, `max |logit diff| ${diff}`);

      // h_n, c_n: [layers, batch, hidden] after the last step of each row
      const { num_layers: layers, hidden_size: hidden } = entry;
      const hN = readF32(join(reference, forward.outputs.h_n.file));
      const cN = forward.outputs.c_n === undefined ? null : readF32(join(reference, forward.outputs.c_n.file));
      ids.forEach((row, b) => {
        const state = model.network.createState();
        model.network.forward(row, state, new Float32Array(model.config.vocabSize), "last");
        for (let l = 0; l < layers; l++) {
          const at = (l * ids.length + b) * hidden;
          const layer = state.layers[l]!;
          assert.ok(maxAbsDiff(layer.subarray(0, hidden), hN.subarray(at, at + hidden)) <= 1e-5, `h_n layer ${l} row ${b}`);
          if (cN !== null) assert.ok(maxAbsDiff(layer.subarray(hidden, 2 * hidden), cN.subarray(at, at + hidden)) <= 1e-5, `c_n layer ${l} row ${b}`);
        }
      });
    });

    test(`${entry.model} (${entry.cell}, ${backend}) train_step: loss, every gradient by torch name, AdamW update and 3-step losses match PyTorch`, async () => {
      const model = await loadModel<RnnLanguageModel>(dir, { backend, threads: 1 });
      const inputs = trainStep.inputs as Record<string, number[][]>;
      await checkTrainStep(model, { inputIds: inputs["input_ids"]!, targets: inputs["targets"]! }, trainStep, reference, 1e-6);
    });
  }
}
