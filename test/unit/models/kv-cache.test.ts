// KV-cached decoding must give the same logits as recomputing the whole
// sequence at every step, for both decoder families, and chunked prefill the
// same as one pass.
import assert from "node:assert/strict";
import { test } from "node:test";
import { jsBackend } from "../../../src/backend/js/index.js";
import { DecoderOnlyModel } from "../../../src/models/decoder-only.js";
import { blueprintFor } from "../../../src/models/registry.js";
import type { JsonObject } from "../../../src/models/config-reader.js";
import { GPT2_CONFIG, LLAMA_CONFIG, randomGpt2, randomLlama, type Tensors } from "../../helpers/random-models.js";
import { randomInts, seededRandom } from "../../helpers/random.js";
import { maxAbs, maxAbsDiff } from "../../helpers/reference.js";

function build(config: JsonObject, tensors: Tensors, chunkRows?: number): DecoderOnlyModel {
  const net = blueprintFor(config, "test").build(tensors, "test", { backend: jsBackend, ropeLayout: "half" });
  return chunkRows === undefined ? net : new DecoderOnlyModel(net.config, net.parts, net.backend, net.parameterCount, net.parameters, chunkRows);
}

/** Logits [ids.length, vocab] from one uncached pass over the whole sequence. */
function fullPass(net: DecoderOnlyModel, ids: number[]): Float32Array {
  const out = new Float32Array(ids.length * net.config.vocabSize);
  net.forward(ids, net.createCache(ids.length), out, "all");
  return out;
}

const families: [string, JsonObject, Tensors][] = [
  ["gpt2", GPT2_CONFIG, randomGpt2()],
  ["llama (GQA)", LLAMA_CONFIG, randomLlama()],
  ["qwen2 (q/k/v bias, MQA)", { ...LLAMA_CONFIG, model_type: "qwen2", num_key_value_heads: 1 }, randomLlama({ ...LLAMA_CONFIG, model_type: "qwen2", num_key_value_heads: 1 })],
];

for (const [name, config, tensors] of families) {
  test(`${name}: KV-cached decoding equals recomputing the whole sequence each step`, () => {
    const net = build(config, tensors);
    const vocab = net.config.vocabSize;
    const ids = randomInts(seededRandom(7), 30, vocab);
    const promptLength = 6;
    const cache = net.createCache(ids.length);
    const step = new Float32Array(vocab);
    net.forward(ids.slice(0, promptLength), cache, step, "last");
    for (let t = promptLength; t <= ids.length; t++) {
      const reference = fullPass(net, ids.slice(0, t)).subarray((t - 1) * vocab, t * vocab);
      const diff = maxAbsDiff(step, reference);
      assert.ok(diff <= 1e-5 * maxAbs(reference), `position ${t - 1}: max |Δ| ${diff} (max |logit| ${maxAbs(reference)})`);
      if (t < ids.length) net.forward([ids[t]!], cache, step, "last");
    }
    assert.equal(cache.length, ids.length);
  });

  test(`${name}: prefill in chunks equals one pass`, () => {
    const ids = randomInts(seededRandom(8), 23, build(config, tensors).config.vocabSize);
    const whole = fullPass(build(config, tensors), ids);
    const chunked = fullPass(build(config, tensors, 5), ids);
    assert.ok(maxAbsDiff(chunked, whole) <= 1e-6 * maxAbs(whole));
  });
}

test("a cache overflow is an error, not a wrap-around", () => {
  const net = build(LLAMA_CONFIG, randomLlama());
  const cache = net.createCache(4);
  const logits = new Float32Array(net.config.vocabSize * 5);
  assert.throws(() => net.forward([1, 2, 3, 4, 5], cache, logits, "all"), /do not fit/);
  assert.throws(() => net.createCache(1000), /exceeds the context length/);
});
