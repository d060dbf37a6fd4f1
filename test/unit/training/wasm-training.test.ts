// Training on the WASM backend end to end: every parameter's gradient of random
// GPT-2 and Llama models (GQA, tied and untied heads) equals the js backend's; a few
// AdamW steps with the backend's optimizer kernels land where the js reference's do;
// the gradients agree with finite differences of the loss in float32; and the
// training loop allocates nothing after its first step — the backend's memory stays
// exactly as large over further steps and evaluations, one arena per recording reused.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { jsBackend } from "../../../src/backend/js/index.js";
import type { Backend } from "../../../src/backend/backend.js";
import { WasmBackend, createWasmBackend } from "../../../src/backend/wasm/index.js";
import { LanguageModel } from "../../../src/language-model.js";
import type { JsonObject } from "../../../src/models/config-reader.js";
import { blueprintFor } from "../../../src/models/registry.js";
import { AdamW } from "../../../src/training/adamw.js";
import { optimizerKernelsOf } from "../../../src/training/backend-kernels.js";
import { Trainer } from "../../../src/training/trainer.js";
import { trainingMemoryOf } from "../../../src/training/training-memory.js";
import { GPT2_CONFIG, LLAMA_CONFIG, randomGpt2, randomLlama, type Tensors } from "../../helpers/random-models.js";
import { randomInts, seededRandom } from "../../helpers/random.js";
import { maxAbs, maxAbsDiff } from "../../helpers/reference.js";
import { checkModelGradients } from "../../helpers/model-gradient-check.js";
import { patternData, tinyConfig } from "./helpers/tiny-model.js";

let one: WasmBackend;
let two: WasmBackend;
before(async () => {
  one = await createWasmBackend({ threads: 1 });
  two = await createWasmBackend({ threads: 2 });
});
after(() => {
  one.dispose();
  two.dispose();
});

function modelOf(config: JsonObject, tensors: Tensors, backend: Backend): LanguageModel {
  const network = blueprintFor(config, "test").build(tensors, "test", { backend, ropeLayout: "half" });
  return new LanguageModel({ network, tokenizer: null, source: { path: "", format: "created", dtypes: ["F32"], fileBytes: 0 }, config, ropeLayout: "half" });
}

function batchFor(vocab: number, seed: number) {
  const random = seededRandom(seed);
  const rows = [randomInts(random, 17, vocab), randomInts(random, 17, vocab), randomInts(random, 17, vocab)];
  return { inputIds: rows.map((r) => r.slice(0, 16)), targets: rows.map((r, i) => (i === 1 ? [...r.slice(1, 16), -100] : r.slice(1))) };
}

const families = [
  ["gpt2", GPT2_CONFIG, () => randomGpt2()],
  ["llama (GQA, untied)", LLAMA_CONFIG, () => randomLlama()],
  ["llama (tied)", { ...LLAMA_CONFIG, tie_word_embeddings: true }, () => randomLlama({ ...LLAMA_CONFIG, tie_word_embeddings: true })],
] as const;

for (const [name, config, tensors] of families) {
  test(`${name}: wasm gradients and three AdamW steps (its optimizer kernels) match the js backend's, on 1 and 2 threads`, async () => {
    const reference = modelOf(config, tensors(), jsBackend);
    const batch = batchFor(reference.config.vocabSize, 3);
    const expected = await reference.loss(batch);
    await expected.backward();
    const expectedGrads = new Map(reference.namedParameters().map(([n, p]) => [n, p.grad!.slice()]));
    const referenceOptimizer = new AdamW(reference.parameters(), { lr: 1e-2, betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.1 });
    for (let step = 0; step < 3; step++) {
      if (step > 0) {
        referenceOptimizer.zeroGrad();
        await (await reference.loss(batch)).backward();
      }
      referenceOptimizer.step();
    }
    for (const backend of [one, two]) {
      const model = modelOf(config, tensors(), backend);
      const loss = await model.loss(batch);
      assert.ok(Math.abs(loss.value - expected.value) <= 1e-5, `loss ${loss.value} vs ${expected.value}`);
      await loss.backward();
      for (const [param, p] of model.namedParameters()) {
        const want = expectedGrads.get(param)!;
        const diff = maxAbsDiff(p.grad!, want);
        assert.ok(diff <= 1e-5 + 1e-4 * maxAbs(want), `${param} (${backend.threads} threads): gradient differs by ${diff}`);
      }
      const optimizer = new AdamW(model.parameters(), { lr: 1e-2, betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.1 }, optimizerKernelsOf(backend));
      for (let step = 0; step < 3; step++) {
        if (step > 0) {
          optimizer.zeroGrad();
          await (await model.loss(batch)).backward();
        }
        optimizer.step();
      }
      const referenceData = new Map(reference.namedParameters().map(([n, p]) => [n, p.data]));
      for (const [param, p] of model.namedParameters()) {
        const want = referenceData.get(param)!;
        const grad = expectedGrads.get(param)!;
        for (let i = 0; i < p.size; i++) {
          // Where the true gradient is ~0 (GPT-2's key bias: softmax ignores a constant added
          // to every score), Adam turns float noise into steps of up to lr each.
          const bound = Math.abs(grad[i]!) >= 1e-6 ? 1e-4 : 3e-2;
          assert.ok(Math.abs(p.data[i]! - want[i]!) <= bound, `${param}[${i}] (${backend.threads} threads) after 3 steps: ${p.data[i]} vs ${want[i]}`);
        }
      }
    }
  });
}

test("wasm gradients agree with float32 finite differences of the loss (gpt2 and llama)", async () => {
  for (const [, config, tensors] of [families[0], families[1]]) {
    const model = modelOf(config, tensors(), two);
    const batch = batchFor(model.config.vocabSize, 5);
    await (await model.loss(batch)).backward();
    await checkModelGradients(model, batch, { step: 1e-2, absolute: 3e-3, relative: 2e-2, random: seededRandom(12) });
  }
});

test("after the first step, training allocates nothing: the memory stays the same size through steps and evaluations", async () => {
  const backend = await createWasmBackend({ threads: 2 });
  try {
    const model = modelOf({ ...GPT2_CONFIG, vocab_size: 7 }, randomGpt2({ ...GPT2_CONFIG, vocab_size: 7 }), backend);
    const data = { train: patternData(400, 7), validation: patternData(100, 7, 4) };
    const trainer = new Trainer(model, data, { ...tinyConfig(), maxIters: 30, evalInterval: 0, finalEval: false, blockSize: 16, batchSize: 3 });
    await trainer.step();
    await trainer.estimateLoss(); // an evaluation sizes its own arena once too
    const sized = backend.reservedBytes;
    const memory = trainingMemoryOf(backend);
    for (let i = 0; i < 10; i++) await trainer.step();
    await trainer.estimateLoss();
    for (let i = 0; i < 10; i++) await trainer.step();
    assert.equal(backend.reservedBytes, sized, "no reservation after the first step and evaluation");
    assert.equal(memory.idleArenas, 1, "one arena, reused by every recording");
    const loss = await model.loss({ inputIds: [[1, 2, 3]], targets: [[2, 3, 4]] });
    await loss.backward();
    await assert.rejects(loss.backward(), /already called/);
  } finally {
    backend.dispose();
  }
});
