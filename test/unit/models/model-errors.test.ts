// A config or checkpoint that does not describe a buildable model gives an
// error naming the field or tensor and what was expected.
import assert from "node:assert/strict";
import { test } from "node:test";
import { jsBackend } from "../../../src/backend/js/index.js";
import { ConfigError, ModelFormatError } from "../../../src/errors.js";
import type { JsonObject } from "../../../src/models/config-reader.js";
import { blueprintFor, familyFor } from "../../../src/models/registry.js";
import { GPT2_CONFIG, LLAMA_CONFIG, randomGpt2, randomLlama, type Tensors } from "../../helpers/random-models.js";

const build = (config: JsonObject, tensors: Tensors) =>
  blueprintFor(config, "cfg.json").build(tensors, "model-dir", { backend: jsBackend, ropeLayout: "half" });

test("heads that do not divide the width are a ConfigError naming both fields", () => {
  assert.throws(() => build({ ...GPT2_CONFIG, n_head: 5 }, randomGpt2()), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /"n_embd" \(24\) is not divisible by "n_head" \(5\)/);
    return true;
  });
  assert.throws(() => build({ ...LLAMA_CONFIG, num_key_value_heads: 3 }, randomLlama()), /"num_attention_heads" \(4\) is not divisible by "num_key_value_heads" \(3\)/);
  assert.throws(() => build({ ...LLAMA_CONFIG, num_attention_heads: 5, num_key_value_heads: 5 }, randomLlama()), /"hidden_size" \(32\) is not divisible/);
});

test("missing, non-positive or mistyped config fields are named", () => {
  const { n_layer: _dropped, ...noLayers } = GPT2_CONFIG;
  assert.throws(() => build(noLayers, randomGpt2()), /"n_layer" must be a positive integer, got undefined/);
  assert.throws(() => build({ ...LLAMA_CONFIG, hidden_size: -32 }, randomLlama()), /"hidden_size" must be a positive integer/);
  assert.throws(() => build({ ...LLAMA_CONFIG, rope_theta: "big" }, randomLlama()), /"rope_theta" must be a positive number/);
  assert.throws(() => build({ ...LLAMA_CONFIG, hidden_act: "relu6" }, randomLlama()), /"hidden_act" "relu6" is not supported/);
  assert.throws(() => build({ ...LLAMA_CONFIG, rope_scaling: { type: "yarn", factor: 4 } }, randomLlama()), /rope_scaling: rope type "yarn" is not supported/);
});

test("an unknown model_type lists the supported ones", () => {
  assert.throws(() => familyFor("mamba", "x/config.json"), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.match(e.message, /x\/config.json: model_type "mamba" is not supported \(supported: gpt2, llama/);
    return true;
  });
});

test("a missing tensor is named with the shape the config implies", () => {
  const tensors = randomLlama();
  tensors.delete("model.layers.1.mlp.up_proj.weight");
  assert.throws(() => build(LLAMA_CONFIG, tensors), (e: unknown) => {
    assert.ok(e instanceof ModelFormatError);
    assert.equal(e.tensor, "model.layers.1.mlp.up_proj.weight");
    assert.match(e.message, /model-dir: tensor "model.layers.1.mlp.up_proj.weight": missing \(expected shape \[45, 32\]\)/);
    return true;
  });
  const untied = randomLlama();
  untied.delete("lm_head.weight");
  assert.throws(() => build(LLAMA_CONFIG, untied), /"lm_head.weight": missing/);
});

test("a tensor whose shape disagrees with the config is named with both shapes", () => {
  const tensors = randomGpt2();
  const good = tensors.get("transformer.h.0.attn.c_attn.weight")!;
  tensors.set("transformer.h.0.attn.c_attn.weight", { data: good.data, shape: [3 * 24, 24] });
  assert.throws(() => build(GPT2_CONFIG, tensors), /"transformer.h.0.attn.c_attn.weight": has shape \[72, 24\] but the config implies \[24, 72\]/);
  // A config that lies about the vocabulary is caught on the embedding.
  assert.throws(() => build({ ...GPT2_CONFIG, vocab_size: 98 }, randomGpt2()), /"transformer.wte.weight": has shape \[97, 24\] but the config implies \[98, 24\]/);
});

test("tensors the architecture does not use are reported; known buffers are ignored", () => {
  const extra = randomLlama();
  extra.set("model.layers.0.self_attn.q_norm.weight", { data: new Float32Array(8), shape: [8] });
  assert.throws(() => build(LLAMA_CONFIG, extra), /unexpected tensors for this architecture: model.layers.0.self_attn.q_norm.weight/);
  const withBuffers = randomGpt2();
  withBuffers.set("transformer.h.0.attn.bias", { data: new Float32Array(1), shape: [1] });
  assert.doesNotThrow(() => build(GPT2_CONFIG, withBuffers));
});

test("GPT-2 files saved from GPT2Model (no transformer. prefix) load the same", () => {
  const prefixed = randomGpt2();
  const bare: Tensors = new Map([...prefixed].map(([name, t]) => [name.replace(/^transformer\./, ""), t]));
  assert.equal(build(GPT2_CONFIG, bare).parameterCount, build(GPT2_CONFIG, prefixed).parameterCount);
});
