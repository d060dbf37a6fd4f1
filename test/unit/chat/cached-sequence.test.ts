// The KV cache a chat session keeps between turns: a sequence that shares a prefix with
// the cached one runs only the rest, a diverging one rolls the cache back, and either way
// the logits are those of running the whole sequence from an empty cache.
import assert from "node:assert/strict";
import { test } from "node:test";
import { jsBackend } from "../../../src/backend/js/index.js";
import { CachedSequence } from "../../../src/chat/cached-sequence.js";
import { blueprintFor } from "../../../src/models/registry.js";
import { LLAMA_CONFIG, randomLlama } from "../../helpers/random-models.js";

const network = blueprintFor(LLAMA_CONFIG, "t").build(randomLlama(), "t", { backend: jsBackend, ropeLayout: "half" });

function fromScratch(ids: number[]): Float32Array {
  const fresh = new CachedSequence(network);
  fresh.prefill(ids);
  const logits = Float32Array.from(fresh.logits);
  fresh.release();
  return logits;
}

test("prefill runs only what follows the cached prefix, rolls back on divergence, and gives from-scratch logits", () => {
  const sequence = new CachedSequence(network);
  const first = [1, 5, 9, 17, 33, 2, 40];
  assert.deepEqual(sequence.prefill(first), { reused: 0, processed: 7 });
  const longer = [...first, 41, 7, 3];
  assert.deepEqual(sequence.prefill(longer), { reused: 7, processed: 3 });
  assert.deepEqual(Array.from(sequence.logits), Array.from(fromScratch(longer)));
  const diverging = [1, 5, 9, 20, 21];
  assert.deepEqual(sequence.prefill(diverging), { reused: 3, processed: 2 });
  assert.deepEqual(sequence.ids, diverging);
  assert.deepEqual(Array.from(sequence.logits), Array.from(fromScratch(diverging)));
  assert.deepEqual(sequence.prefill(diverging), { reused: 4, processed: 1 }, "the same ids again: the last one reruns for its logits");
  sequence.feed([11]);
  assert.deepEqual(Array.from(sequence.logits), Array.from(fromScratch([...diverging, 11])));
  sequence.release();
  assert.deepEqual(sequence.ids, []);
});

test("ids that do not fit are refused before they run; a failed step empties the cache instead of leaving it half written", () => {
  const sequence = new CachedSequence(network);
  sequence.prefill([1, 2, 3]);
  assert.throws(() => sequence.feed(new Array(LLAMA_CONFIG["max_position_embeddings"] as number).fill(4)), /do not fit/);
  assert.deepEqual(sequence.ids, [1, 2, 3]);
  assert.throws(() => sequence.feed([4, network.config.vocabSize]), /outside the embedding table/);
  assert.deepEqual(sequence.ids, []);
  assert.deepEqual(sequence.prefill([1, 2, 3]), { reused: 0, processed: 3 });
});

test("feedTogether steps several sequences in one batched pass: each gets the logits of stepping alone", () => {
  const prompts = [[1, 5, 9], [2, 40, 41, 7, 3, 11, 12], [4]];
  const together = prompts.map((p) => {
    const s = new CachedSequence(network);
    s.prefill(p);
    return s;
  });
  const vocab = network.config.vocabSize;
  const batchLogits = new Float32Array(prompts.length * vocab);
  for (let step = 0; step < 4; step++) {
    const ids = prompts.map((_, i) => (3 + 5 * step + 11 * i) % vocab);
    CachedSequence.feedTogether(together, ids, batchLogits);
    ids.forEach((id, i) => {
      prompts[i]!.push(id);
      assert.deepEqual(together[i]!.ids, prompts[i]);
      const alone = fromScratch(prompts[i]!);
      const got = together[i]!.logits;
      for (let v = 0; v < vocab; v++) assert.ok(Math.abs(got[v]! - alone[v]!) <= 2e-5 * Math.max(1, Math.abs(alone[v]!)), `step ${step}, sequence ${i}, logit ${v}`);
    });
  }
  assert.throws(() => CachedSequence.feedTogether(together, [1, 2], batchLogits), /2 tokens for 3 sequences/);
  for (const s of together) s.release();
});

test("a cached sequence holds at most maxPositions positions (a server's --ctx), within the model's context", () => {
  const context = LLAMA_CONFIG["max_position_embeddings"] as number;
  const short = new CachedSequence(network, 8);
  short.prefill([1, 2, 3, 4, 5, 6, 7, 8]);
  assert.throws(() => short.feed([9]), /do not fit/);
  assert.throws(() => new CachedSequence(network, context + 1), /1 to 48 positions/);
  assert.throws(() => new CachedSequence(network, 0), /not 0/);
  short.release();
});
