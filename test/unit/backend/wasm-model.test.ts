// End to end: tiny random Llama (GQA, rotary) and GPT-2 (learned positions,
// LayerNorm, GELU, biases) built on the WASM backend give the js backend's logits,
// for a prompt (all rows) and then token-by-token decoding from the KV cache.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { Backend } from "../../../src/backend/backend.js";
import { jsBackend } from "../../../src/backend/js/index.js";
import { createBackend, disposeBackend } from "../../../src/backend/select.js";
import type { JsonObject } from "../../../src/models/config-reader.js";
import { blueprintFor } from "../../../src/models/registry.js";
import { GPT2_CONFIG, LLAMA_CONFIG, randomGpt2, randomLlama, type Tensors } from "../../helpers/random-models.js";
import { randomInts, seededRandom } from "../../helpers/random.js";
import { maxAbs, maxAbsDiff } from "../../helpers/reference.js";

const backends: [string, Backend][] = [];
before(async () => {
  backends.push(["wasm 1 thread", await createBackend({ backend: "wasm", threads: 1 })]);
  backends.push(["wasm 2 threads", await createBackend({ backend: "wasm", threads: 2 })]);
});
after(() => backends.forEach(([, b]) => disposeBackend(b)));

function logitsOf(config: JsonObject, tensors: Tensors, backend: Backend, prompt: number[], decode: number[]): Float32Array[] {
  const net = blueprintFor(config, "test").build(tensors, "test", { backend, ropeLayout: "half" });
  const vocab = net.config.vocabSize;
  const cache = net.createCache();
  const all = new Float32Array(prompt.length * vocab); // a foreign logits buffer: copied out
  net.forward(prompt, cache, all, "all");
  const steps = [all];
  for (const id of decode) {
    const logits = backend.allocate(vocab);
    net.forward([id], cache, logits, "last");
    steps.push(logits.slice());
  }
  return steps;
}

for (const [name, config, tensors] of [
  ["llama", LLAMA_CONFIG, randomLlama()],
  ["gpt2", GPT2_CONFIG, randomGpt2()],
] as [string, JsonObject, Tensors][]) {
  test(`${name}: wasm logits match js for a prompt and cached decoding`, () => {
    const vocab = config["vocab_size"] as number;
    const ids = randomInts(seededRandom(5), 30, vocab);
    const prompt = ids.slice(0, 23);
    const expected = logitsOf(config, tensors, jsBackend, prompt, ids.slice(23));
    for (const [label, backend] of backends) {
      const actual = logitsOf(config, tensors, backend, prompt, ids.slice(23));
      actual.forEach((logits, step) => {
        const d = maxAbsDiff(logits, expected[step]!);
        assert.ok(d <= 1e-4 * (1 + maxAbs(expected[step]!)), `${name} ${label} step ${step}: max |Δ| ${d}`);
      });
    }
  });
}
