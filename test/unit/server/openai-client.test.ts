// `lmscope serve` through the official `openai` client, against a real server process
// on 127.0.0.1: chat and completions, streamed and not, stream_options.include_usage,
// logprobs with top_logprobs, stop, seeds, n, penalties, embeddings (a BERT server), and
// errors that surface as the client's APIError subclasses with the right status. Greedy
// answers are compared with what the library computes in this process for the same files.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import OpenAI from "openai";
import type { EncoderModel } from "../../../src/encoder-model.js";
import { loadModel, type LanguageModel } from "../../../src/language-model.js";
import { startServe, type ServeProcess } from "../../helpers/serve-process.js";
import { writeModelFolders, type ModelFolders } from "./model-folders.js";

const KEY = "test-key-123";
let folders: ModelFolders;
let chatServer: ServeProcess;
let bertServer: ServeProcess;
let client: OpenAI;
let model: LanguageModel;

before(async () => {
  folders = await writeModelFolders();
  [chatServer, bertServer] = await Promise.all([
    startServe(["--model", folders.chat, "--alias", "tiny-chat", "--api-key", KEY, "--parallel", "4"]),
    startServe(["--model", folders.bert, "--alias", "tiny-bert"]),
  ]);
  client = new OpenAI({ baseURL: `${chatServer.url}/v1`, apiKey: KEY, maxRetries: 0 });
  model = await loadModel(folders.chat, { backend: "js" });
});

after(async () => {
  assert.equal(await chatServer.stop(), 0, chatServer.stderr());
  assert.equal(await bertServer.stop(), 0, bertServer.stderr());
  await folders.cleanup();
});

const MESSAGES = [
  { role: "system" as const, content: "You are terse." },
  { role: "user" as const, content: "tell me a story about a cat" },
];

/** What the library says greedily to the same conversation. */
async function libraryReply(maxTokens: number): Promise<{ text: string; tokens: number }> {
  const session = model.chat({ system: MESSAGES[0].content });
  const run = session.send(MESSAGES[1].content, { temperature: 0, maxTokens });
  let next = await run.next();
  let text = "";
  while (next.done !== true) {
    text += next.value.text;
    next = await run.next();
  }
  session.close();
  return { text, tokens: next.value.usage.completionTokens };
}

async function libraryContinuation(prompt: string, maxTokens: number): Promise<string> {
  let text = "";
  for await (const piece of model.generate(prompt, { temperature: 0, maxTokens })) text += piece.text;
  return text;
}

test("GET /v1/models lists the served model under its alias", async () => {
  const list = await client.models.list();
  assert.deepEqual(list.data.map((m) => [m.id, m.object, m.owned_by]), [["tiny-chat", "model", "lmscope"]]);
  const one = await client.models.retrieve("tiny-chat");
  assert.equal(one.id, "tiny-chat");
});

test("chat completion, not streamed: the library's greedy reply, with usage", async () => {
  const answer = await client.chat.completions.create({ model: "tiny-chat", messages: MESSAGES, max_tokens: 12, temperature: 0 });
  const expected = await libraryReply(12);
  assert.equal(answer.object, "chat.completion");
  assert.match(answer.id, /^chatcmpl-/);
  assert.equal(answer.model, "tiny-chat");
  assert.equal(answer.choices.length, 1);
  const choice = answer.choices[0]!;
  assert.equal(choice.index, 0);
  assert.equal(choice.message.role, "assistant");
  assert.equal(choice.message.content, expected.text);
  assert.equal(choice.finish_reason, "length");
  assert.equal(answer.usage?.completion_tokens, 12);
  const promptTokens = model.chat({ system: MESSAGES[0].content }).format.prompt(MESSAGES).ids.length;
  assert.equal(answer.usage?.prompt_tokens, promptTokens);
  assert.equal(answer.usage?.total_tokens, promptTokens + 12);
});

test("chat completion, streamed: role first, deltas that add up to the whole answer, finish_reason, a usage chunk, [DONE]", async () => {
  const whole = await client.chat.completions.create({ model: "tiny-chat", messages: MESSAGES, max_tokens: 10, temperature: 0 });
  const stream = await client.chat.completions.create({ model: "tiny-chat", messages: MESSAGES, max_tokens: 10, temperature: 0, stream: true, stream_options: { include_usage: true } });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  assert.ok(chunks.length >= 3);
  for (const chunk of chunks) {
    assert.equal(chunk.object, "chat.completion.chunk");
    assert.equal(chunk.id, chunks[0]!.id);
  }
  assert.equal(chunks[0]!.choices[0]!.delta.role, "assistant");
  const usageChunk = chunks.at(-1)!;
  assert.deepEqual(usageChunk.choices, []);
  assert.deepEqual(usageChunk.usage, { ...whole.usage, prompt_tokens_details: usageChunk.usage!.prompt_tokens_details });
  const final = chunks.at(-2)!;
  assert.equal(final.choices[0]!.finish_reason, "length");
  for (const chunk of chunks.slice(0, -2)) {
    assert.equal(chunk.choices[0]!.finish_reason, null);
    assert.equal(chunk.usage, null, "with include_usage every other chunk has usage: null");
  }
  const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
  assert.equal(text, whole.choices[0]!.message.content);
});

test("a stream without include_usage has no usage chunk", async () => {
  const stream = await client.chat.completions.create({ model: "tiny-chat", messages: MESSAGES, max_tokens: 3, temperature: 0, stream: true });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  assert.ok(chunks.every((c) => c.choices.length === 1 && !("usage" in c)));
  assert.equal(chunks.at(-1)!.choices[0]!.finish_reason, "length");
});

test("text completion, streamed and not: the library's greedy continuation", async () => {
  const prompt = "Once upon a time there was";
  const expected = await libraryContinuation(prompt, 9);
  const answer = await client.completions.create({ model: "tiny-chat", prompt, max_tokens: 9, temperature: 0 });
  assert.equal(answer.object, "text_completion");
  assert.equal(answer.choices[0]!.text, expected);
  assert.equal(answer.choices[0]!.finish_reason, "length");
  assert.equal(answer.usage?.prompt_tokens, model.tokenizer.encode(prompt).length);
  const stream = await client.completions.create({ model: "tiny-chat", prompt, max_tokens: 9, temperature: 0, stream: true, stream_options: { include_usage: true } });
  let text = "";
  let finish: string | null = null;
  let usage = null;
  for await (const chunk of stream) {
    if (chunk.choices.length === 0) usage = chunk.usage;
    for (const c of chunk.choices) {
      text += c.text;
      finish = c.finish_reason ?? finish;
    }
  }
  assert.equal(text, expected);
  assert.equal(finish, "length");
  assert.equal(usage?.completion_tokens, 9);
  const defaulted = await client.completions.create({ model: "tiny-chat", prompt, temperature: 0 });
  assert.equal(defaulted.usage?.completion_tokens, 16, "OpenAI's default max_tokens for completions");
});

test("a prompt given as token ids, and several prompts with n choices each", async () => {
  const ids = model.tokenizer.encode("the cat");
  const byIds = await client.completions.create({ model: "tiny-chat", prompt: ids, max_tokens: 5, temperature: 0 });
  assert.equal(byIds.choices[0]!.text, await libraryContinuation("the cat", 5));
  const many = await client.completions.create({ model: "tiny-chat", prompt: ["the cat", "a dog"], n: 2, max_tokens: 4, temperature: 0 });
  assert.deepEqual(many.choices.map((c) => c.index), [0, 1, 2, 3]);
  assert.equal(many.choices[0]!.text, many.choices[1]!.text, "greedy choices of one prompt agree");
  assert.equal(many.choices[2]!.text, await libraryContinuation("a dog", 4));
});

test("chat logprobs: content[] with token, logprob, bytes and top_logprobs, matching the model's distribution", async () => {
  const answer = await client.chat.completions.create({ model: "tiny-chat", messages: MESSAGES, max_tokens: 6, temperature: 0, logprobs: true, top_logprobs: 5 });
  const content = answer.choices[0]!.logprobs!.content!;
  assert.equal(content.length, 6);
  const bytes: number[] = [];
  for (const entry of content) {
    assert.equal(entry.top_logprobs.length, 5);
    for (let i = 1; i < 5; i++) assert.ok(entry.top_logprobs[i - 1]!.logprob >= entry.top_logprobs[i]!.logprob);
    assert.equal(entry.top_logprobs[0]!.token, entry.token, "greedy picks the most likely token");
    assert.equal(entry.top_logprobs[0]!.logprob, entry.logprob);
    assert.ok(entry.top_logprobs.reduce((sum, t) => sum + Math.exp(t.logprob), 0) <= 1 + 1e-9);
    bytes.push(...entry.bytes!);
  }
  assert.equal(new TextDecoder().decode(Uint8Array.from(bytes)), answer.choices[0]!.message.content, "the bytes spell the reply");
  // The first token's log-probability from the library's logits at the end of the prompt.
  const ids = model.chat({ system: MESSAGES[0].content }).format.prompt(MESSAGES).ids;
  const { data } = await model.forward([ids]);
  const vocab = model.config.vocabSize;
  const last = data.subarray((ids.length - 1) * vocab, ids.length * vocab);
  const max = Math.max(...last);
  const logZ = max + Math.log(last.reduce((sum, x) => sum + Math.exp(x - max), 0));
  assert.ok(Math.abs(content[0]!.logprob - (max - logZ)) < 1e-4, `${content[0]!.logprob} vs ${max - logZ}`);
  const streamed = await client.chat.completions.create({ model: "tiny-chat", messages: MESSAGES, max_tokens: 6, temperature: 0, logprobs: true, top_logprobs: 2, stream: true });
  const entries = [];
  for await (const chunk of streamed) entries.push(...(chunk.choices[0]?.logprobs?.content ?? []));
  assert.deepEqual(entries.map((e) => [e.token, e.logprob]), content.map((e) => [e.token, e.logprob]));
  assert.ok(entries.every((e) => e.top_logprobs.length === 2));
  const without = await client.chat.completions.create({ model: "tiny-chat", messages: MESSAGES, max_tokens: 2, temperature: 0 });
  assert.equal(without.choices[0]!.logprobs, null);
});

test("completion logprobs in the legacy shape: tokens, token_logprobs, top_logprobs maps, text_offset", async () => {
  const answer = await client.completions.create({ model: "tiny-chat", prompt: "the cat", max_tokens: 5, temperature: 0, logprobs: 3 });
  const logprobs = answer.choices[0]!.logprobs!;
  assert.equal(logprobs.tokens!.length, 5);
  assert.equal(logprobs.token_logprobs!.length, 5);
  assert.equal(logprobs.top_logprobs!.length, 5);
  assert.equal(logprobs.text_offset!.length, 5);
  logprobs.top_logprobs!.forEach((top, i) => {
    assert.ok(Object.keys(top).length >= 1 && Object.keys(top).length <= 3);
    assert.equal(Math.max(...Object.values(top)), logprobs.token_logprobs![i], "greedy: the chosen token is the most likely");
  });
  assert.equal(logprobs.text_offset![0], 0);
  for (let i = 1; i < 5; i++) assert.ok(logprobs.text_offset![i]! >= logprobs.text_offset![i - 1]!);
});

test("stop strings end the answer before them, with finish_reason stop, streamed or not", async () => {
  const free = (await client.completions.create({ model: "tiny-chat", prompt: "the cat", max_tokens: 30, temperature: 0 })).choices[0]!.text;
  const chars = Array.from(free);
  assert.ok(chars.length >= 6, JSON.stringify(free));
  const stop = chars.slice(3, 5).join("");
  const cut = free.slice(0, free.indexOf(stop));
  const answer = await client.completions.create({ model: "tiny-chat", prompt: "the cat", max_tokens: 30, temperature: 0, stop: [stop, "never-appears"] });
  assert.equal(answer.choices[0]!.text, cut);
  assert.equal(answer.choices[0]!.finish_reason, "stop");
  const stream = await client.completions.create({ model: "tiny-chat", prompt: "the cat", max_tokens: 30, temperature: 0, stop, stream: true });
  let text = "";
  let finish = null;
  for await (const chunk of stream) for (const c of chunk.choices) (text += c.text), (finish = c.finish_reason ?? finish);
  assert.equal(text, cut);
  assert.equal(finish, "stop");
});

test("seeds: the same seed and temperature give the same text; choices of one request differ", async () => {
  const ask = (seed: number) => client.chat.completions.create({ model: "tiny-chat", messages: MESSAGES, max_tokens: 20, temperature: 1, seed });
  const [a, b, c] = await Promise.all([ask(42), ask(42), ask(7)]);
  assert.equal(a.choices[0]!.message.content, b.choices[0]!.message.content);
  assert.notEqual(a.choices[0]!.message.content, c.choices[0]!.message.content);
  const again = await ask(42);
  assert.equal(again.choices[0]!.message.content, a.choices[0]!.message.content, "sequential and concurrent runs agree");
  const three = await client.chat.completions.create({ model: "tiny-chat", messages: MESSAGES, max_tokens: 20, temperature: 1, seed: 42, n: 3 });
  assert.deepEqual(three.choices.map((x) => x.index), [0, 1, 2]);
  assert.equal(three.choices[0]!.message.content, a.choices[0]!.message.content, "choice 0 uses the seed itself");
  assert.equal(new Set(three.choices.map((x) => x.message.content)).size, 3);
  assert.ok(three.usage!.completion_tokens <= 60 && three.usage!.completion_tokens >= 3);
});

test("presence and frequency penalties change what is repeated", async () => {
  const plain = await client.completions.create({ model: "tiny-chat", prompt: "the cat", max_tokens: 40, temperature: 0, logprobs: 0 });
  const tokens = plain.choices[0]!.logprobs!.tokens!;
  assert.ok(new Set(tokens).size < tokens.length, "the random model repeats itself greedily (the premise of this test)");
  const penalized = await client.completions.create({ model: "tiny-chat", prompt: "the cat", max_tokens: 40, temperature: 0, logprobs: 0, frequency_penalty: 2, presence_penalty: 2 });
  const penalizedTokens = penalized.choices[0]!.logprobs!.tokens!;
  assert.notDeepEqual(penalizedTokens, tokens);
  assert.ok(new Set(penalizedTokens).size > new Set(tokens).size);
});

test("embeddings from the BERT server: the library's mean-pooled vectors, as floats and as the client's default base64", async () => {
  const bert = new OpenAI({ baseURL: `${bertServer.url}/v1`, apiKey: "unused", maxRetries: 0 });
  const texts = ["the cat sat on the mat", "paris is the capital of france"];
  const encoder = await loadModel<EncoderModel>(folders.bert, { backend: "js" });
  const expected = await encoder.embed(texts);
  const viaBase64 = await bert.embeddings.create({ model: "tiny-bert", input: texts });
  const viaFloats = await bert.embeddings.create({ model: "tiny-bert", input: texts, encoding_format: "float" });
  for (const answer of [viaBase64, viaFloats]) {
    assert.equal(answer.object, "list");
    assert.equal(answer.data.length, 2);
    answer.data.forEach((item, i) => {
      assert.equal(item.index, i);
      assert.equal(item.embedding.length, expected[i]!.length);
      item.embedding.forEach((x, j) => assert.ok(Math.abs(x - expected[i]![j]!) < 1e-6));
    });
    assert.equal(answer.usage.prompt_tokens, texts.reduce((sum, t) => sum + encoder.tokenizer.encode(t).length, 0));
  }
  await assert.rejects(bert.chat.completions.create({ model: "tiny-bert", messages: MESSAGES }), (e: unknown) => e instanceof OpenAI.BadRequestError && /needs a decoder/.test(e.message));
  await assert.rejects(client.embeddings.create({ model: "tiny-chat", input: "hi" }), (e: unknown) => e instanceof OpenAI.BadRequestError && /needs an encoder model/.test(e.message));
});

test("errors surface as the client's APIError with the right status, type, param and code", async () => {
  const noKey = new OpenAI({ baseURL: `${chatServer.url}/v1`, apiKey: "wrong", maxRetries: 0 });
  await assert.rejects(noKey.models.list(), (e: unknown) => e instanceof OpenAI.AuthenticationError && e.status === 401 && e.code === "invalid_api_key");
  await assert.rejects(client.chat.completions.create({ model: "gpt-4o", messages: MESSAGES }), (e: unknown) => {
    assert.ok(e instanceof OpenAI.NotFoundError);
    assert.equal(e.status, 404);
    assert.equal(e.code, "model_not_found");
    assert.equal(e.param, "model");
    assert.match(e.message, /serves "tiny-chat"/);
    return true;
  });
  await assert.rejects(client.get("/nothing-here"), (e: unknown) => e instanceof OpenAI.NotFoundError);
  await assert.rejects(client.chat.completions.create({ model: "tiny-chat", messages: MESSAGES, temperature: 7 }), (e: unknown) => {
    assert.ok(e instanceof OpenAI.BadRequestError);
    assert.equal(e.param, "temperature");
    assert.equal(e.type, "invalid_request_error");
    return true;
  });
  await assert.rejects(client.chat.completions.create({ model: "tiny-chat", messages: MESSAGES, top_logprobs: 21, logprobs: true }), (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === "top_logprobs");
  const long = "the cat sat on the mat ".repeat(200);
  await assert.rejects(client.completions.create({ model: "tiny-chat", prompt: long }), (e: unknown) => {
    assert.ok(e instanceof OpenAI.BadRequestError);
    assert.equal(e.code, "context_length_exceeded");
    assert.match(e.message, /the prompt has \d+ tokens, but the context window is 512/);
    return true;
  });
  // The server still answers.
  const answer = await client.completions.create({ model: "tiny-chat", prompt: "hi", max_tokens: 2 });
  assert.equal(answer.choices.length, 1);
});
