// The generation loop refuses what it cannot do — unknown options, prompts that
// do not fit the context, ids outside the vocabulary — with errors that say so.
import assert from "node:assert/strict";
import { test } from "node:test";
import { jsBackend } from "../../../src/backend/js/index.js";
import { InputError, OptionError } from "../../../src/errors.js";
import { generate, type GenerateOptions, type Prompt } from "../../../src/generation/generate.js";
import { blueprintFor } from "../../../src/models/registry.js";
import { LLAMA_CONFIG, randomLlama } from "../../helpers/random-models.js";

const net = blueprintFor(LLAMA_CONFIG, "t").build(randomLlama(), "t", { backend: jsBackend, ropeLayout: "half" });

async function collect(prompt: Prompt, options: GenerateOptions) {
  const ids: number[] = [];
  const run = generate(net, null, prompt, options);
  let next = await run.next();
  for (; next.done !== true; next = await run.next()) if (next.value.tokenId !== null) ids.push(next.value.tokenId);
  return { ids, result: next.value };
}

test("unknown and invalid options are OptionErrors naming the option", async () => {
  await assert.rejects(collect({ ids: [1] }, { max_tokens: 5 } as GenerateOptions), (e: unknown) => e instanceof OptionError && /max_tokens/.test(e.message));
  await assert.rejects(collect({ ids: [1] }, { maxTokens: -1 }), /maxTokens/);
  await assert.rejects(collect({ ids: [1] }, { temperature: -0.5 }), /temperature/);
  await assert.rejects(collect({ ids: [1] }, { topP: 1.5 }), /topP/);
});

test("a prompt longer than the context, or prompt + maxTokens beyond it, is an InputError", async () => {
  const context = net.config.contextLength; // 48
  await assert.rejects(collect({ ids: new Array(context).fill(5) }, { maxTokens: 1 }), (e: unknown) => e instanceof InputError && /48 tokens, but the context window is 48/.test(e.message));
  await assert.rejects(collect({ ids: new Array(40).fill(5) }, { maxTokens: 9 }), /ask for at most 8 tokens/);
  const fits = await collect({ ids: new Array(40).fill(5) }, { maxTokens: 8, temperature: 0, stopOnEos: false });
  assert.equal(fits.ids.length, 8);
  // Without maxTokens, generation runs to the end of the context at most.
  const rest = await collect({ ids: new Array(40).fill(5) }, { temperature: 0, stopOnEos: false });
  assert.equal(rest.ids.length, 8);
  assert.equal(rest.result.finishReason, "length");
});

test("ids outside the vocabulary and text without a tokenizer are refused", async () => {
  await assert.rejects(collect({ ids: [1, 83] }, {}), /prompt token 1 is 83, outside the vocabulary \[0, 83\)/);
  await assert.rejects(collect("hello", {}), /no tokenizer/);
});

test("an empty prompt starts from BOS; greedy is deterministic and stops on EOS", async () => {
  const a = await collect({ ids: [] }, { maxTokens: 10, temperature: 0, stopOnEos: false });
  const b = await collect({ ids: [1] }, { maxTokens: 10, temperature: 0, stopOnEos: false });
  assert.deepEqual(a.ids, b.ids);
  assert.deepEqual(a.result.ids.slice(0, 1), [1]);
  const sampled1 = await collect({ ids: [1] }, { maxTokens: 10, seed: 3, stopOnEos: false });
  const sampled2 = await collect({ ids: [1] }, { maxTokens: 10, seed: 3, stopOnEos: false });
  assert.deepEqual(sampled1.ids, sampled2.ids);
  const topK1 = await collect({ ids: [1] }, { maxTokens: 10, topK: 1, seed: 9, stopOnEos: false });
  assert.deepEqual(topK1.ids, b.ids);
});
