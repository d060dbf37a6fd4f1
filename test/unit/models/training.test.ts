// Training through the model modules: gradients of both families against finite
// differences of the loss, a loss that falls under AdamW, createModel's seeded
// initialisation, and save → loadModel round trips.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { AdamW, createModel, loadModel, type LanguageModel } from "../../../src/index.js";
import { OptionError } from "../../../src/errors.js";
import { LanguageModel as Model } from "../../../src/language-model.js";
import { blueprintFor } from "../../../src/models/registry.js";
import { jsBackend } from "../../../src/backend/js/index.js";
import type { JsonObject } from "../../../src/models/config-reader.js";
import { GPT2_CONFIG, LLAMA_CONFIG, randomGpt2, randomLlama, type Tensors } from "../../helpers/random-models.js";
import { randomInts, seededRandom } from "../../helpers/random.js";
import { maxAbsDiff } from "../../helpers/reference.js";
import { checkModelGradients } from "../../helpers/model-gradient-check.js";

function modelOf(config: JsonObject, tensors: Tensors): LanguageModel {
  const network = blueprintFor(config, "test").build(tensors, "test", { backend: jsBackend, ropeLayout: "half" });
  return new Model({ network, tokenizer: null, source: { path: "", format: "created", dtypes: ["F32"], fileBytes: 0 }, config, ropeLayout: "half" });
}

function batchFor(vocab: number, seed: number) {
  const random = seededRandom(seed);
  const rows = [randomInts(random, 9, vocab), randomInts(random, 9, vocab)];
  return { inputIds: rows.map((r) => r.slice(0, 8)), targets: rows.map((r, i) => (i === 1 ? [...r.slice(1, 8), -100] : r.slice(1))) };
}

for (const [name, config, tensors] of [
  ["gpt2", GPT2_CONFIG, randomGpt2()],
  ["llama (GQA, untied)", LLAMA_CONFIG, randomLlama()],
  ["llama (tied)", { ...LLAMA_CONFIG, tie_word_embeddings: true }, randomLlama({ ...LLAMA_CONFIG, tie_word_embeddings: true })],
] as const) {
  test(`${name}: every parameter's gradient agrees with finite differences of the loss`, async () => {
    const model = modelOf(config, tensors);
    const batch = batchFor(model.config.vocabSize, 5);
    const loss = await model.loss(batch);
    await loss.backward();
    await checkModelGradients(model, batch, { step: 1e-2, absolute: 2e-3, relative: 2e-2, random: seededRandom(11) });
  });

  test(`${name}: AdamW on one batch drives the loss down`, async () => {
    const model = modelOf(config, tensors === undefined ? new Map() : new Map(tensors));
    const batch = batchFor(model.config.vocabSize, 6);
    const optimizer = new AdamW(model.parameters(), { lr: 3e-3, betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0 });
    const first = (await model.loss(batch)).value;
    let last = first;
    for (let step = 0; step < 40; step++) {
      optimizer.zeroGrad();
      const loss = await model.loss(batch);
      last = loss.value;
      await loss.backward();
      optimizer.step();
    }
    assert.ok(last < 0.5 * first, `loss ${first} → ${last}`);
  });
}

test("training updates the weights inference uses (shared storage)", async () => {
  const model = modelOf(GPT2_CONFIG, randomGpt2(GPT2_CONFIG, 3));
  const before = (await model.forward([[1, 2, 3]])).data.slice();
  const loss = await model.loss(batchFor(97, 7));
  await loss.backward();
  new AdamW(model.parameters(), { lr: 1e-2, betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0 }).step();
  const after = (await model.forward([[1, 2, 3]])).data;
  assert.ok(maxAbsDiff(before, after) > 1e-3);
});

test("createModel is seeded and GPT-2 initialised; save then loadModel gives the same logits", async () => {
  const config = { ...GPT2_CONFIG, n_layer: 3 };
  const a = await createModel(config, { seed: 4 });
  const b = await createModel(config, { seed: 4 });
  const c = await createModel(config, { seed: 5 });
  const params = new Map(a.namedParameters());
  assert.deepEqual([...params.get("transformer.h.0.attn.c_attn.weight")!.data], [...new Map(b.namedParameters()).get("transformer.h.0.attn.c_attn.weight")!.data]);
  assert.notDeepEqual([...params.get("transformer.h.0.attn.c_attn.weight")!.data.slice(0, 8)], [...new Map(c.namedParameters()).get("transformer.h.0.attn.c_attn.weight")!.data.slice(0, 8)]);
  assert.ok(params.get("transformer.h.1.ln_1.weight")!.data.every((v) => v === 1));
  assert.ok(params.get("transformer.h.1.attn.c_attn.bias")!.data.every((v) => v === 0));
  const std = (d: Float32Array) => Math.sqrt(d.reduce((s, v) => s + v * v, 0) / d.length);
  assert.ok(Math.abs(std(params.get("transformer.h.0.mlp.c_fc.weight")!.data) - 0.02) < 0.002);
  assert.ok(Math.abs(std(params.get("transformer.h.0.mlp.c_proj.weight")!.data) - 0.02 / Math.sqrt(6)) < 0.001);

  const dir = await mkdtemp(join(tmpdir(), "lmscope-save-"));
  try {
    await a.save(dir);
    const reloaded = await loadModel(dir);
    assert.equal(reloaded.info().parameters, a.info().parameters);
    const ids = [[5, 9, 2, 40]];
    assert.equal(maxAbsDiff((await a.forward(ids)).data, (await reloaded.forward(ids)).data), 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("dropout needs a seeded source of randomness and is reproducible with one", async () => {
  const model = modelOf(LLAMA_CONFIG, randomLlama());
  const batch = batchFor(83, 8);
  await assert.rejects(model.loss(batch, { dropout: 0.1 }), OptionError);
  await assert.rejects(model.loss(batch, { dropout: 1.5, random: Math.random }), /dropout/);
  const one = await model.loss(batch, { dropout: 0.2, random: seededRandom(1) });
  const two = await model.loss(batch, { dropout: 0.2, random: seededRandom(1) });
  const off = await model.evaluate(batch);
  assert.equal(one.value, two.value);
  assert.notEqual(one.value, off);
});
