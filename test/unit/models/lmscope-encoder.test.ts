// lmscope-encoder: bidirectional stacks with each position scheme, full or sparse
// attention, pre- or post-norm: hidden states equal the plain float64 reference
// (helpers/lmscope-reference.ts), padding keys change nothing for the real tokens,
// the masked-LM loss has finite-difference gradients, and the model saves and
// loads through the encoder loader.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ConfigError } from "../../../src/errors.js";
import { createModel, loadModel, type EncoderModel } from "../../../src/index.js";
import type { JsonObject } from "../../../src/models/config-reader.js";
import { encoderBlueprintFor } from "../../../src/io/load-encoder.js";
import { referenceForward } from "../../helpers/lmscope-reference.js";
import { randomInts, randomNormal, seededRandom } from "../../helpers/random.js";
import { maxAbs, maxAbsDiff } from "../../helpers/reference.js";

const BASE: JsonObject = {
  model_type: "lmscope-encoder",
  vocab_size: 23,
  hidden_size: 12,
  num_hidden_layers: 2,
  num_attention_heads: 3,
  intermediate_size: 20,
  max_position_embeddings: 32,
};

const VARIANTS: [string, JsonObject][] = [
  ["learned positions, post-norm (BERT's arrangement)", { position_embedding_type: "learned", norm_position: "post" }],
  ["sinusoidal positions, RMSNorm, SwiGLU", { position_embedding_type: "sinusoidal", norm: "rmsnorm", mlp: "swiglu" }],
  ["RoPE, GQA", { position_embedding_type: "rope", hidden_size: 16, num_attention_heads: 4, num_key_value_heads: 2 }],
  ["ALiBi (symmetric distances)", { position_embedding_type: "alibi" }],
  ["no positions", { position_embedding_type: "none", mlp: "relu" }],
  ["RoPE, sparse both ways (window 2, stride 3)", { attention_type: "sparse", sparse_window: 2, sparse_stride: 3 }],
];

async function encoderOf(overrides: JsonObject): Promise<{ model: EncoderModel; config: JsonObject }> {
  const config = { ...BASE, ...overrides };
  const model = await createModel<EncoderModel>(config, { backend: "js", seed: 2 });
  const random = seededRandom(31);
  for (const [name, p] of model.namedParameters()) {
    const fanIn = p.shape[1] ?? 1;
    const std = p.shape.length === 1 ? (name.endsWith(".bias") ? 0.1 : 0.2) : /q_proj|k_proj/.test(name) ? 1.3 / Math.sqrt(fanIn) : /embed/.test(name) ? 0.6 : 0.8 / Math.sqrt(fanIn);
    p.data.set(randomNormal(random, p.size, std, p.shape.length === 1 && !name.endsWith(".bias") ? 1 : 0));
  }
  return { model, config };
}

for (const [name, overrides] of VARIANTS) {
  test(`lmscope-encoder, ${name}: hidden states equal the plain reference; padding changes nothing for the real tokens`, async () => {
    const { model, config } = await encoderOf(overrides);
    const ids = randomInts(seededRandom(5), 13, 23);
    const { lastHiddenState } = await model.forward({ inputIds: [ids] }, { heads: false });
    const reference = referenceForward(config, new Map(model.namedParameters().map(([n, p]) => [n, p.data])), ids, { encoder: true });
    assert.ok(maxAbsDiff(lastHiddenState.data, reference) <= 2e-5 * Math.max(1, maxAbs(reference)), `max |Δ| ${maxAbsDiff(lastHiddenState.data, reference)}`);
    const padded = [...ids, 0, 0, 0];
    const out = await model.forward({ inputIds: [padded], attentionMask: [[...ids.map(() => 1), 0, 0, 0]] }, { heads: false });
    const real = out.lastHiddenState.data.subarray(0, 13 * (config["hidden_size"] as number));
    assert.ok(maxAbsDiff(real, lastHiddenState.data) < 1e-5);
  });
}

test("lmscope-encoder: masked-LM loss gradients agree with finite differences; save and load give the same logits", async () => {
  const { model } = await encoderOf({ position_embedding_type: "rope", norm: "rmsnorm", tie_word_embeddings: false });
  const random = seededRandom(8);
  const inputIds = [randomInts(random, 9, 23), randomInts(random, 9, 23)];
  const labels = inputIds.map((row) => row.map((id, i) => (i % 3 === 1 ? id : -100)));
  const batch = { inputIds, labels };
  const loss = await model.loss(batch);
  await loss.backward();
  for (const [param, p] of model.namedParameters()) {
    assert.ok(p.grad !== null, `${param} got no gradient`);
    let largest = 0;
    for (let i = 0; i < p.size; i++) if (Math.abs(p.grad[i]!) > Math.abs(p.grad[largest]!)) largest = i;
    const original = p.data[largest]!;
    const h = 2e-3 * Math.max(1, Math.abs(original));
    p.data[largest] = original + h;
    const up = await model.evaluate(batch);
    p.data[largest] = original - h;
    const down = await model.evaluate(batch);
    p.data[largest] = original;
    const numeric = (up - down) / (2 * h);
    assert.ok(Math.abs(numeric - p.grad[largest]!) <= 2e-3 + 3e-2 * Math.abs(numeric), `${param}: analytic ${p.grad[largest]}, numeric ${numeric}`);
  }
  const dir = await mkdtemp(join(tmpdir(), "lmscope-encoder-"));
  try {
    await model.save(dir);
    const loaded = await loadModel<EncoderModel>(dir, { backend: "js" });
    assert.equal(loaded.kind, "encoder");
    assert.ok(maxAbsDiff((await loaded.forward({ inputIds })).logits!.data, (await model.forward({ inputIds })).logits!.data) < 1e-6);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("lmscope-encoder refuses causal attention types and other heads, naming the field", () => {
  assert.throws(() => encoderBlueprintFor({ ...BASE, attention_type: "linear" }, "config.json"), (e: unknown) => e instanceof ConfigError && /"attention_type" "linear" is causal here/.test(e.message));
  assert.throws(() => encoderBlueprintFor({ ...BASE, architectures: ["BertForMaskedLM"] }, "config.json"), (e: unknown) => e instanceof ConfigError && /"architectures"/.test(e.message));
});
