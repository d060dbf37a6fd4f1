// Chat sessions on a tiny random model whose replies are scripted (test/helpers/chat-model.ts):
// streaming, end-of-turn, KV cache reuse counted at the network's forward, context shift
// before and during a reply, history, save/restore, abort and the errors users can hit.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ChatReply, ChatSendOptions, ChatSession } from "../../../src/chat/session.js";
import { dropOldestTurn } from "../../../src/chat/session.js";
import { ChatTemplateError, InputError, OptionError } from "../../../src/errors.js";
import { CHATML, scriptedChatModel, type ScriptedModel } from "../../helpers/chat-model.js";

async function reply(session: ChatSession, message: string, options: ChatSendOptions = {}): Promise<{ pieces: string[]; ids: number[]; result: ChatReply }> {
  const pieces: string[] = [];
  const ids: number[] = [];
  const run = session.send(message, { temperature: 0, ...options });
  let next = await run.next();
  for (; next.done !== true; next = await run.next()) {
    pieces.push(next.value.text);
    if (next.value.tokenId !== null) ids.push(next.value.tokenId);
  }
  return { pieces, ids, result: next.value };
}

function say(m: ScriptedModel, text: string, end = true): number[] {
  const ids = m.tokenizer.encode(text, { addSpecialTokens: false });
  m.script.push(...ids, ...(end ? [m.tokenizer.tokenToId("<|im_end|>")!] : []));
  return ids;
}

const total = (m: ScriptedModel): number => m.forwarded.reduce((sum, ids) => sum + ids.length, 0);

test("a reply streams piece by piece and stops at the end-of-turn token, which stays out of the text", async () => {
  const m = await scriptedChatModel();
  const session = m.model.chat({ template: CHATML, system: "Be brief." });
  const imEnd = m.tokenizer.tokenToId("<|im_end|>")!;
  assert.ok(session.format.endOfTurnIds.includes(imEnd));
  const said = say(m, " hello there");
  const { pieces, ids, result } = await reply(session, "hi");
  assert.deepEqual(ids, said);
  assert.equal(pieces.join(""), " hello there");
  assert.equal(result.text, " hello there");
  assert.equal(result.finishReason, "eos");
  assert.equal(result.usage.completionTokens, said.length);
  assert.deepEqual(session.history, [
    { role: "system", content: "Be brief." },
    { role: "user", content: "hi" },
    { role: "assistant", content: " hello there" },
  ]);
});

test("the prompt is the template's text tokenized without added special tokens: <|im_start|> is one id, no extra BOS", async () => {
  const m = await scriptedChatModel();
  const session = m.model.chat({ template: CHATML });
  const prompt = session.format.prompt([{ role: "user", content: "hi" }]);
  assert.equal(prompt.text, "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n");
  const start = m.tokenizer.tokenToId("<|im_start|>")!;
  assert.equal(prompt.ids[0], start);
  assert.equal(prompt.ids.filter((id) => id === start).length, 2);
  assert.equal(m.tokenizer.decode(prompt.ids), prompt.text);
});

test("a second turn runs only its new tokens through the network: the first turn's prompt and reply come from the KV cache", async () => {
  const m = await scriptedChatModel();
  const session = m.model.chat({ template: CHATML, system: "Be brief." });
  say(m, " hello there");
  const first = await reply(session, "hi");
  const firstPrompt = first.result.usage.promptTokens;
  assert.equal(total(m), firstPrompt + first.ids.length); // prompt, then each reply token fed back
  m.forwarded.length = 0;
  say(m, " fine");
  const second = await reply(session, "how are you?");
  const cached = firstPrompt + first.ids.length;
  const prompt2 = session.format.prompt(session.history.slice(0, 4)).ids;
  assert.equal(second.result.usage.promptTokens, prompt2.length);
  assert.equal(second.result.usage.reusedTokens, cached);
  const newTokens = prompt2.length - cached; // <|im_end|>, "\n", the user turn and the generation prompt
  assert.equal(m.forwarded[0]!.length, newTokens);
  assert.deepEqual(m.forwarded[0], prompt2.slice(cached));
  assert.equal(second.result.usage.processedTokens, newTokens + second.ids.length);
  assert.equal(total(m), second.result.usage.processedTokens);
  const turnText = "<|im_end|>\n<|im_start|>user\nhow are you?<|im_end|>\n<|im_start|>assistant\n";
  assert.equal(newTokens, m.tokenizer.encode(turnText, { addSpecialTokens: false }).length);
});

test("the cache is reused after reset (the system prompt) and after setHistory (the matching start)", async () => {
  const m = await scriptedChatModel();
  const session = m.model.chat({ template: CHATML, system: "Be brief." });
  say(m, " hello");
  await reply(session, "hi");
  session.reset();
  assert.deepEqual(session.history, [{ role: "system", content: "Be brief." }]);
  say(m, " hi");
  const after = await reply(session, "again");
  const systemIds = session.format.prompt([{ role: "system", content: "Be brief." }], { addGenerationPrompt: false }).ids.length;
  assert.ok(after.result.usage.reusedTokens >= systemIds);
  assert.throws(() => session.setHistory([{ role: 7 } as never]), (e: unknown) => e instanceof InputError && /history\[0\]\.role/.test(e.message));
});

test("context shift: the oldest turns are dropped to leave room for a reply, the system prompt kept", async () => {
  const m = await scriptedChatModel(96);
  const session = m.model.chat({ template: CHATML, system: "Be brief." });
  let dropped = 0;
  for (let turn = 0; turn < 6; turn++) {
    say(m, " I am fine, thank you.");
    const { result } = await reply(session, `turn ${turn}: how are you today?`, { maxTokens: 20 });
    assert.equal(result.finishReason, "eos");
    assert.ok(result.usage.promptTokens + 20 <= 96);
    dropped += result.usage.droppedMessages;
  }
  const history = session.history;
  assert.ok(dropped > 0 && dropped % 2 === 0, `dropped ${dropped}`);
  assert.deepEqual(history[0], { role: "system", content: "Be brief." });
  assert.equal(history.length, 1 + 12 - dropped);
  assert.equal(history.at(-2)!.content, "turn 5: how are you today?");
  assert.equal(history[1]!.role, "user");
});

test("context shift during a reply: the window fills, old turns go, the reply goes on; it ends with 'length' when nothing is left to drop", async () => {
  const m = await scriptedChatModel(96);
  const session = m.model.chat({ template: CHATML, system: "S" });
  say(m, " ok");
  await reply(session, "q1");
  say(m, " ok");
  await reply(session, "q2");
  m.forwarded.length = 0;
  const long = Array.from({ length: 200 }, () => m.tokenizer.encode(" cat", { addSpecialTokens: false })[0]!);
  m.script.push(...long);
  const { ids, result } = await reply(session, "tell a long story");
  assert.equal(result.finishReason, "length");
  assert.equal(result.usage.droppedMessages, 4);
  assert.ok(ids.length > 96 - result.usage.promptTokens, "the reply went past the room the first prompt left");
  assert.deepEqual(session.history.map((msg) => msg.role), ["system", "user", "assistant"]);
  assert.equal(session.history[1]!.content, "tell a long story");
  assert.ok(m.forwarded.every((f) => f.length <= 96));
});

test("without contextShift, a conversation that does not fit is an InputError with the counts, and a full window ends the reply", async () => {
  const m = await scriptedChatModel(64);
  const session = m.model.chat({ template: CHATML, contextShift: false });
  await assert.rejects(reply(session, "word ".repeat(80)), (e: unknown) => e instanceof InputError && /takes \d+ tokens, but the context window is 64/.test(e.message));
  assert.deepEqual(session.history, []);
  const shifting = m.model.chat({ template: CHATML, system: "word ".repeat(80) });
  await assert.rejects(reply(shifting, "hi"), /only the system prompt and the last message left/);
  m.script.push(...new Array(100).fill(m.tokenizer.encode(" cat", { addSpecialTokens: false })[0]!));
  const { result } = await reply(session, "hi");
  assert.equal(result.finishReason, "length");
  assert.equal(result.usage.promptTokens + result.usage.completionTokens, 64);
});

test("abort through the signal keeps the partial reply; the session stays usable and reuses its cache", async () => {
  const m = await scriptedChatModel();
  const session = m.model.chat({ template: CHATML });
  say(m, " one two three four five six", false);
  const controller = new AbortController();
  const run = session.send("count", { temperature: 0, signal: controller.signal });
  let text = "";
  for (let i = 0; i < 3; i++) text += ((await run.next()).value as { text: string }).text;
  controller.abort();
  const end = await run.next();
  assert.equal(end.done, true);
  assert.equal((end.value as ChatReply).finishReason, "abort");
  assert.equal((end.value as ChatReply).text, text);
  assert.deepEqual(session.history.at(-1), { role: "assistant", content: text });
  m.script.length = 0;
  say(m, " done");
  const next = await reply(session, "go on");
  assert.equal(next.result.finishReason, "eos");
  assert.ok(next.result.usage.reusedTokens > 0);
});

test("a turn aborted before any text, or an error, leaves the history as it was; leaving the loop early keeps what was streamed", async () => {
  const m = await scriptedChatModel();
  const session = m.model.chat({ template: CHATML });
  const before = session.history;
  const { result } = await reply(session, "hi", { signal: AbortSignal.abort() });
  assert.equal(result.finishReason, "abort");
  assert.deepEqual(session.history, before);
  say(m, " one two three", false);
  let streamed = "";
  let count = 0;
  for await (const piece of session.send("count", { temperature: 0 })) {
    streamed += piece.text;
    if (++count === 2) break;
  }
  assert.deepEqual(session.history.at(-1), { role: "assistant", content: streamed });
  await assert.rejects(reply(session, "x", { maxTokens: -3 }), OptionError);
  assert.equal(session.history.at(-1)!.content, streamed);
});

test("one reply at a time: send while another streams is an InputError", async () => {
  const m = await scriptedChatModel();
  const session = m.model.chat({ template: CHATML });
  const run = session.send("hi", { maxTokens: 5 });
  await run.next();
  await assert.rejects(session.send("again").next(), (e: unknown) => e instanceof InputError && /still being generated/.test(e.message));
  assert.throws(() => session.reset(), /still being generated/);
  await run.return(undefined as never);
  await reply(session, "again", { maxTokens: 2 });
});

test("save and restore: the conversation round-trips through JSON; bad saves name what is wrong", async () => {
  const m = await scriptedChatModel();
  const session = m.model.chat({ template: CHATML, system: "Be brief." });
  say(m, " hello");
  await reply(session, "hi");
  const text = JSON.stringify(session);
  const other = m.model.chat({ template: CHATML });
  other.restore(text);
  assert.deepEqual(other.history, session.history);
  other.restore(session.save());
  assert.deepEqual(other.history, session.history);
  const bad = (saved: unknown, pattern: RegExp) => assert.throws(() => other.restore(saved), (e: unknown) => e instanceof InputError && pattern.test(e.message));
  bad("{not json", /not valid JSON/);
  bad({ format: "other", version: 1, messages: [] }, /"format" must be "lmscope-chat"/);
  bad({ format: "lmscope-chat", version: 2, messages: [] }, /"version" 2/);
  bad({ format: "lmscope-chat", version: 1, messages: {} }, /messages: expected an array/);
  bad({ format: "lmscope-chat", version: 1, messages: [{ role: "user", content: 1e400 }] }, /messages\[0\]\.content: expected a finite number/);
  bad({ format: "lmscope-chat", version: 1, messages: [{ content: "x" }] }, /messages\[0\]\.role/);
  assert.deepEqual(other.history, session.history, "a failed restore changes nothing");
});

test("a model without a chat template gets an error saying so and how to give one; unknown options are named", async () => {
  const m = await scriptedChatModel();
  assert.throws(() => m.model.chat(), (e: unknown) => e instanceof ChatTemplateError && /has no chat template; give one with --chat-template FILE/.test(e.message));
  assert.throws(() => m.model.chat({ template: CHATML, sytem: "x" } as never), (e: unknown) => e instanceof OptionError && /sytem/.test(e.message));
  assert.throws(() => m.model.chat({ template: "{% for %}" }), (e: unknown) => e instanceof ChatTemplateError && /does not parse/.test(e.message));
});

test("dropOldestTurn removes the first user message and the replies after it, never system messages or the last message", () => {
  const s = { role: "system", content: "s" };
  const u = (c: string) => ({ role: "user", content: c });
  const a = (c: string) => ({ role: "assistant", content: c });
  assert.deepEqual(dropOldestTurn([s, u("1"), a("1"), a("1b"), u("2"), a("2"), u("3")]), [s, u("2"), a("2"), u("3")]);
  assert.deepEqual(dropOldestTurn([s, u("3")]), null);
  assert.deepEqual(dropOldestTurn([u("1"), a("1"), u("2")]), [u("2")]);
  assert.deepEqual(dropOldestTurn([a("0"), u("1")]), [u("1")]);
});
