// Generation and forward take their KV cache and logits buffer from the model's
// pool: repeated calls allocate nothing more from the backend (whose memory, in
// WASM, is never freed), an abandoned-early generation hands its state back, and
// two generations running interleaved each get their own.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Backend } from "../../../src/backend/backend.js";
import { jsBackend } from "../../../src/backend/js/index.js";
import { generate } from "../../../src/generation/generate.js";
import { blueprintFor } from "../../../src/models/registry.js";
import { LLAMA_CONFIG, randomLlama } from "../../helpers/random-models.js";

function countingBackend(): { backend: Backend; allocated: () => number } {
  let floats = 0;
  const backend: Backend = {
    ...jsBackend,
    allocate: (length) => {
      floats += length;
      return jsBackend.allocate(length);
    },
  };
  return { backend, allocated: () => floats };
}

async function run(iterator: AsyncGenerator<{ tokenId: number | null }>, stopAfter = Infinity): Promise<number[]> {
  const ids: number[] = [];
  for await (const piece of iterator) {
    if (piece.tokenId !== null) ids.push(piece.tokenId);
    if (ids.length >= stopAfter) break;
  }
  return ids;
}

test("repeated generations reuse one KV cache and logits buffer", async () => {
  const { backend, allocated } = countingBackend();
  const net = blueprintFor(LLAMA_CONFIG, "t").build(randomLlama(), "t", { backend, ropeLayout: "half" });
  const options = { maxTokens: 12, temperature: 0, stopOnEos: false };
  const first = await run(generate(net, null, { ids: [1, 5, 9] }, options));
  const afterFirst = allocated();
  assert.deepEqual(await run(generate(net, null, { ids: [1, 5, 9] }, options)), first);
  await run(generate(net, null, { ids: [1, 7] }, options), 3); // stopped early: its state is released too
  assert.deepEqual(await run(generate(net, null, { ids: [1, 5, 9] }, options)), first);
  assert.equal(allocated(), afterFirst, "no backend allocation after the first generation");
});

test("interleaved generations each have their own state and agree with separate runs", async () => {
  const net = blueprintFor(LLAMA_CONFIG, "t").build(randomLlama(), "t", { backend: jsBackend, ropeLayout: "half" });
  const options = { maxTokens: 10, temperature: 0, stopOnEos: false };
  const aAlone = await run(generate(net, null, { ids: [1, 4] }, options));
  const bAlone = await run(generate(net, null, { ids: [1, 30, 2] }, options));
  const a = generate(net, null, { ids: [1, 4] }, options);
  const b = generate(net, null, { ids: [1, 30, 2] }, options);
  const aIds: number[] = [];
  const bIds: number[] = [];
  for (let i = 0; i < 10; i++) {
    aIds.push(((await a.next()).value as { tokenId: number }).tokenId);
    bIds.push(((await b.next()).value as { tokenId: number }).tokenId);
  }
  assert.deepEqual(aIds, aAlone);
  assert.deepEqual(bIds, bAlone);
});
