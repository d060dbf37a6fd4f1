// Chat sessions on stories260K (a real pretrained TinyStories Llama), given a simple
// template in which each story opens with BOS: user text starts a story and the reply
// continues it, so a turn ends when the model starts a new story (BOS, found by the
// session as the token the template writes after a reply). Covers streaming against the
// reference greedy text, stop at end-of-turn, KV cache reuse counted at the network's
// forward, context shift, save/restore and abort; a session's replies must equal those
// of a fresh session (or generate) given the same conversation.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import type { ChatReply, ChatSendOptions, ChatSession } from "../../src/chat/session.js";
import { loadModel, type LanguageModel } from "../../src/index.js";
import { SHARED } from "../helpers/paths.js";
import { readJson } from "../helpers/reference.js";

const ROOT = join(SHARED, "models/stories260K");
const STORY_TEMPLATE =
  "{% for m in messages %}{% if m.role == 'assistant' %}{{ m.content }}{{ bos_token }}" +
  "{% else %}{% if loop.first %}{{ bos_token }}{% endif %}{{ m.content }}{% endif %}{% endfor %}";
const greedy = readJson<{ ids_with_bos: number[]; text: string }>(join(ROOT, "reference/greedy.json"));

async function storiesModel(): Promise<{ model: LanguageModel; forwarded: number[] }> {
  const model = await loadModel(join(ROOT, "hf"), { backend: "js" });
  const counted = { model, forwarded: [] as number[] };
  const network = model.network;
  const forward = network.forward.bind(network);
  network.forward = (ids, cache, logits, rows) => {
    counted.forwarded.push(ids.length);
    forward(ids, cache, logits, rows);
  };
  return counted;
}

async function reply(session: ChatSession, message: string, options: ChatSendOptions = {}) {
  const pieces: { text: string; tokenId: number | null }[] = [];
  const run = session.send(message, { temperature: 0, ...options });
  let next = await run.next();
  for (; next.done !== true; next = await run.next()) pieces.push(next.value);
  return { pieces, ids: pieces.flatMap((p) => (p.tokenId === null ? [] : [p.tokenId])), result: next.value as ChatReply };
}

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

test("stories260K chat: the streamed greedy reply is the reference greedy continuation, id for id", async () => {
  const { model } = await storiesModel();
  const session = model.chat({ template: STORY_TEMPLATE });
  const prompt = "Once upon a time,";
  const promptIds = session.format.prompt([{ role: "user", content: prompt }]).ids;
  assert.deepEqual(promptIds, greedy.ids_with_bos.slice(0, promptIds.length));
  const expectedIds = greedy.ids_with_bos.slice(promptIds.length);
  const { pieces, ids, result } = await reply(session, prompt, { maxTokens: expectedIds.length });
  assert.deepEqual(ids, expectedIds);
  assert.ok(pieces.length >= expectedIds.length);
  assert.equal(result.text, greedy.text.slice(prompt.length));
  assert.equal(pieces.map((p) => p.text).join(""), result.text);
  assert.equal(result.finishReason, "length");
});

test("stories260K chat: a reply stops at the end-of-turn token, which stays out of the text and the history", async () => {
  const { model } = await storiesModel();
  const session = model.chat({ template: STORY_TEMPLATE });
  assert.deepEqual(session.format.endOfTurnIds, [1, 2]); // BOS (from the template) and EOS (config)
  const { ids, result } = await reply(session, "Tom had a red ball.");
  assert.equal(result.finishReason, "eos");
  assert.ok(ids.length > 50 && ids.length < 480, `${ids.length} tokens`);
  assert.ok(!result.text.includes("<s>"));
  // generate() on the same prompt ids gives the same tokens and then BOS, where the chat stopped.
  const promptIds = session.format.prompt([{ role: "user", content: "Tom had a red ball." }]).ids;
  const run = model.generate({ ids: promptIds }, { temperature: 0, maxTokens: ids.length + 1 });
  const generated: number[] = [];
  for (let next = await run.next(); next.done !== true; next = await run.next()) if (next.value.tokenId !== null) generated.push(next.value.tokenId);
  assert.deepEqual(generated, [...ids, 1]);
  assert.deepEqual(session.history.at(-1), { role: "assistant", content: result.text });
});

test("stories260K chat: the second turn runs only its new tokens, and replies as a fresh session given the same history", async () => {
  const { model, forwarded } = await storiesModel();
  const session = model.chat({ template: STORY_TEMPLATE });
  const first = await reply(session, "Tom had a red ball.");
  const cached = first.result.usage.promptTokens + first.ids.length;
  assert.equal(sum(forwarded), cached, "turn 1: the prompt once, then each reply token");
  forwarded.length = 0;
  const history = session.history;
  const second = await reply(session, "Lily and Ben went to the park.", { maxTokens: 40 });
  const newIds = second.result.usage.promptTokens - cached;
  assert.equal(second.result.usage.reusedTokens, cached, "the whole first turn comes from the cache");
  assert.equal(forwarded[0], newIds);
  const message = model.tokenizer.encode("Lily and Ben went to the park.", { addSpecialTokens: false });
  assert.equal(newIds, 1 + message.length, "BOS and the new message");
  assert.equal(sum(forwarded), second.result.usage.processedTokens);
  assert.equal(second.result.usage.processedTokens, newIds + 39); // the 40th token is not fed back
  const fresh = model.chat({ template: STORY_TEMPLATE });
  fresh.setHistory(history);
  const again = await reply(fresh, "Lily and Ben went to the park.", { maxTokens: 40 });
  assert.equal(again.result.usage.reusedTokens, 0);
  assert.equal(again.result.text, second.result.text);
});

test("stories260K chat: when the window fills, the oldest turns go, the system story stays, and replies match a fresh session", async () => {
  const { model } = await storiesModel();
  const system = "Once upon a time, there was a kind dog.";
  const session = model.chat({ template: STORY_TEMPLATE, system });
  let dropped = 0;
  const prompts = ["Tom had a red ball.", "The sun was hot.", "Sam was sad.", "One day, a bird"];
  let before = session.history;
  let last: Awaited<ReturnType<typeof reply>> | null = null;
  for (const prompt of prompts) {
    before = session.history;
    last = await reply(session, prompt, { maxTokens: 150 });
    assert.ok(last.result.usage.promptTokens + 150 <= 512 || last.result.usage.droppedMessages > 0);
    dropped += last.result.usage.droppedMessages;
  }
  assert.ok(dropped >= 2, `dropped ${dropped}`);
  const history = session.history;
  assert.deepEqual(history[0], { role: "system", content: system });
  assert.equal(history.length, 1 + 2 * prompts.length - dropped);
  assert.equal(history.at(-2)!.content, "One day, a bird");
  // The last reply followed the shortened conversation: a fresh session given it says the same.
  const fresh = model.chat({ template: STORY_TEMPLATE, system });
  fresh.setHistory(history.slice(0, -2));
  const again = await reply(fresh, "One day, a bird", { maxTokens: 150 });
  assert.equal(again.result.text, last!.result.text);
  assert.ok(before.length > history.length - 2, "the last turn dropped messages");
});

test("stories260K chat: a saved conversation restored in a new session continues exactly as the original", async () => {
  const { model } = await storiesModel();
  const session = model.chat({ template: STORY_TEMPLATE });
  await reply(session, "Tom had a red ball.", { maxTokens: 60 });
  const saved = JSON.stringify(session);
  const restored = model.chat({ template: STORY_TEMPLATE });
  restored.restore(JSON.parse(saved));
  const original = await reply(session, "The sun was hot.", { maxTokens: 60, seed: 7, temperature: 0.8 });
  const copy = await reply(restored, "The sun was hot.", { maxTokens: 60, seed: 7, temperature: 0.8 });
  assert.equal(copy.result.text, original.result.text);
  assert.deepEqual(restored.history, session.history);
});

test("stories260K chat: abort keeps the streamed part, and the next turn reuses the cache", async () => {
  const { model } = await storiesModel();
  const session = model.chat({ template: STORY_TEMPLATE });
  const controller = new AbortController();
  const run = session.send("Tom had a red ball.", { temperature: 0, signal: controller.signal });
  let streamed = "";
  for (let i = 0; i < 10; i++) streamed += ((await run.next()).value as { text: string }).text;
  controller.abort();
  const end = await run.next();
  assert.equal((end.value as ChatReply).finishReason, "abort");
  assert.equal((end.value as ChatReply).usage.completionTokens, 10);
  assert.deepEqual(session.history, [
    { role: "user", content: "Tom had a red ball." },
    { role: "assistant", content: streamed },
  ]);
  const next = await reply(session, "The sun was hot.", { maxTokens: 20 });
  assert.ok(next.result.usage.reusedTokens >= (end.value as ChatReply).usage.promptTokens, "the aborted turn's prompt stays cached");
  assert.equal(next.result.usage.completionTokens, 20);
});
