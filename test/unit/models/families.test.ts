// Every decoder family the registry builds, on a tiny seeded model: KV-cached
// decoding (with chunks small enough that sliding-window caches shift) equals
// recomputing the whole sequence at every step; the training path's loss equals
// the cross-entropy of the inference path's logits; gradients agree with finite
// differences; and a sliding-window model's cache stays the same size however
// long the sequence.
import assert from "node:assert/strict";
import { test } from "node:test";
import { jsBackend } from "../../../src/backend/js/index.js";
import { LanguageModel } from "../../../src/language-model.js";
import { DecoderOnlyModel } from "../../../src/models/decoder-only.js";
import type { LayerKvCache } from "../../../src/nn/kv-cache.js";
import { blueprintFor, decoderModelTypes } from "../../../src/models/registry.js";
import { FAMILY_CONFIGS, familyInitializer } from "../../helpers/family-configs.js";
import { randomInts, seededRandom } from "../../helpers/random.js";
import { maxAbs, maxAbsDiff } from "../../helpers/reference.js";
import { checkModelGradients } from "../../helpers/model-gradient-check.js";

function network(modelType: string, chunkRows?: number): DecoderOnlyModel {
  const config = FAMILY_CONFIGS[modelType]!;
  const net = blueprintFor(config, "test").build(new Map(), "test", { backend: jsBackend, ropeLayout: "half", initializer: familyInitializer(3) });
  return chunkRows === undefined ? net : new DecoderOnlyModel(net.config, net.parts, net.backend, net.parameterCount, net.parameters, chunkRows);
}

function fullPass(net: DecoderOnlyModel, ids: readonly number[]): Float32Array {
  const out = new Float32Array(ids.length * net.config.vocabSize);
  net.forward(ids, net.createCache(ids.length), out, "all");
  return out;
}

test("every registered decoder model_type has a test config", () => {
  assert.deepEqual(decoderModelTypes().filter((t) => FAMILY_CONFIGS[t] === undefined), []);
});

for (const modelType of decoderModelTypes()) {
  test(`${modelType}: KV-cached decoding in chunks of 3 equals recomputing the whole sequence each step`, () => {
    const net = network(modelType, 3);
    const vocab = net.config.vocabSize;
    const ids = randomInts(seededRandom(7), 26, vocab);
    const cache = net.createCache(ids.length, 4); // full layers start small and grow
    const step = new Float32Array(vocab);
    net.forward(ids.slice(0, 7), cache, step, "last");
    for (let t = 7; t <= ids.length; t++) {
      const reference = fullPass(network(modelType), ids.slice(0, t)).subarray((t - 1) * vocab, t * vocab);
      const diff = maxAbsDiff(step, reference);
      assert.ok(diff <= 2e-5 * Math.max(1, maxAbs(reference)), `position ${t - 1}: max |Δ| ${diff}`);
      if (t < ids.length) net.forward([ids[t]!], cache, step, "last");
    }
  });

  test(`${modelType}: the training path's loss is the cross-entropy of the inference logits, and its gradients agree with finite differences`, async () => {
    const net = network(modelType);
    const model = new LanguageModel({
      network: net,
      tokenizer: null,
      source: { path: "", format: "created", dtypes: ["F32"], fileBytes: 0 },
      config: FAMILY_CONFIGS[modelType]!,
      ropeLayout: "half",
    });
    const vocab = net.config.vocabSize;
    const random = seededRandom(9);
    const rows = [randomInts(random, 13, vocab), randomInts(random, 13, vocab)];
    const batch = { inputIds: rows.map((r) => r.slice(0, 12)), targets: rows.map((r) => r.slice(1)) };
    const logits = (await model.forward(batch.inputIds)).data;
    let expected = 0;
    batch.targets.flat().forEach((target, i) => {
      const row = logits.subarray(i * vocab, (i + 1) * vocab);
      const max = Math.max(...row);
      const sum = row.reduce((s, v) => s + Math.exp(v - max), 0);
      expected += Math.log(sum) + max - row[target]!;
    });
    expected /= batch.targets.flat().length;
    const loss = await model.loss(batch);
    assert.ok(Math.abs(loss.value - expected) <= 1e-5 * expected, `tape loss ${loss.value}, inference ${expected}`);
    await loss.backward();
    await checkModelGradients(model, batch, { step: 1e-2, absolute: 2e-3, relative: 3e-2 });
  });
}

for (const modelType of decoderModelTypes()) {
  test(`${modelType}: a batched decode step over sequences of different lengths equals stepping each alone`, () => {
    const batched = network(modelType, 4);
    const alone = network(modelType, 4);
    const vocab = batched.config.vocabSize;
    const random = seededRandom(21);
    const prompts = [randomInts(random, 3, vocab), randomInts(random, 9, vocab), randomInts(random, 6, vocab)];
    const step = new Float32Array(vocab);
    const batchCaches = prompts.map((p) => {
      const cache = batched.createCache(40, 4);
      batched.forward(p, cache, step, "last");
      return cache;
    });
    const aloneCaches = prompts.map((p) => {
      const cache = alone.createCache(40, 4);
      alone.forward(p, cache, step, "last");
      return cache;
    });
    const logits = new Float32Array(prompts.length * vocab);
    for (let t = 0; t < 8; t++) {
      const ids = prompts.map((_, i) => (7 * t + 3 * i) % vocab);
      batched.decodeBatch(ids, batchCaches, logits);
      ids.forEach((id, i) => {
        alone.forward([id], aloneCaches[i]!, step, "last");
        const row = logits.subarray(i * vocab, (i + 1) * vocab);
        assert.ok(maxAbsDiff(row, step) <= 2e-5 * Math.max(1, maxAbs(step)), `step ${t}, sequence ${i}: max |Δ| ${maxAbsDiff(row, step)}`);
      });
    }
    assert.deepEqual(batchCaches.map((c) => c.length), prompts.map((p) => p.length + 8));
    assert.throws(() => batched.decodeBatch([1, 2], [batchCaches[0]!, batchCaches[0]!], logits), /appears twice/);
  });
}

test("a sliding-window model's KV cache has the same size after 40 or 400 generated positions", () => {
  const net = new DecoderOnlyModel(...((): ConstructorParameters<typeof DecoderOnlyModel> => {
    const config = { ...FAMILY_CONFIGS["mistral"]!, max_position_embeddings: 1000 };
    const n = blueprintFor(config, "test").build(new Map(), "test", { backend: jsBackend, ropeLayout: "half", initializer: familyInitializer(5) });
    return [n.config, n.parts, n.backend, n.parameterCount, n.parameters, 8];
  })());
  const cache = net.createCache(1000);
  const step = new Float32Array(net.config.vocabSize);
  const before = cache.floats;
  for (let t = 0; t < 400; t++) {
    net.forward([t % 50], cache, step, "last");
    if (t === 39) assert.equal(cache.floats, before);
  }
  assert.equal(cache.floats, before);
  assert.equal(cache.length, 400);
  assert.ok(cache.layers.every((l) => l.rows <= 4 - 1 + 8), `rows ${cache.layers.map((l) => l.rows)}`);
});

test("rolling a KV cache back keeps what later positions can still use, and starts over when a window has dropped it", () => {
  const net = network("mistral", 3); // window 4: the cache keeps 3 + max(3, 4) rows
  const cache = net.createCache(60, 4);
  const logits = new Float32Array(net.config.vocabSize);
  const ids = randomInts(seededRandom(4), 20, net.config.vocabSize);
  net.forward(ids.slice(0, 6), cache, logits, "last");
  assert.equal(cache.rollback(4), 4, "nothing dropped yet: any earlier length is kept");
  net.forward(ids.slice(4, 20), cache, logits, "last");
  const offset = (cache.layers[0] as LayerKvCache).offset;
  assert.ok(offset > 0, "the window has moved on");
  assert.equal(cache.rollback(offset + 3), offset + 3, "the last window − 1 keys before the new position are still there");
  assert.equal(cache.rollback(offset + 2), 0, "one key too far back: start over");
  assert.equal(cache.length, 0);
  // After rolling back, decoding continues exactly as a fresh run would.
  net.forward(ids.slice(0, 11), cache, logits, "last");
  const kept = cache.rollback(9);
  net.forward(ids.slice(kept, 12), cache, logits, "last");
  const fresh = new Float32Array(net.config.vocabSize);
  net.forward(ids.slice(0, 12), net.createCache(60), fresh, "last");
  assert.ok(maxAbsDiff(logits, fresh) <= 2e-5 * Math.max(1, maxAbs(fresh)));
});
