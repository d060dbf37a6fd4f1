// The slots of a real `lmscope serve` process: a client that disconnects mid-stream
// frees its slot at once, requests beyond the slots wait in the queue and a full queue
// is a 429, concurrent streams are decoded in batched steps and give the greedy text of
// sequential runs, a follow-up chat turn reuses its slot's cache, and SIGTERM / SIGINT
// end streams cleanly and exit 0.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, test } from "node:test";
import { openStream, raw, slots, startServe, type EventReader } from "../../helpers/serve-process.js";
import { writeModelFolders, type ModelFolders } from "./model-folders.js";

let folders: ModelFolders;
before(async () => {
  folders = await writeModelFolders(16384);
});
after(async () => folders.cleanup());

const LONG = { model: "m", prompt: "the cat", max_tokens: 15000, ignore_eos: true, stream: true, temperature: 0 };

async function readAll(reader: EventReader): Promise<string[]> {
  const events: string[] = [];
  for (let event = await reader.next(); event !== null; event = await reader.next()) events.push(event);
  return events;
}

/** The text of a streamed completion's events, checked for OpenAI's shape. */
function streamedText(events: readonly string[]): { text: string; finish: string | null } {
  assert.equal(events.at(-1), "[DONE]");
  let text = "";
  let finish: string | null = null;
  for (const event of events.slice(0, -1)) {
    const chunk = JSON.parse(event) as { object: string; choices: { text: string; finish_reason: string | null }[] };
    assert.equal(chunk.object, "text_completion");
    for (const choice of chunk.choices) {
      text += choice.text;
      finish = choice.finish_reason ?? finish;
    }
  }
  return { text, finish };
}

async function complete(url: string, body: object): Promise<{ status: number; json: { choices: { text: string; finish_reason: string }[]; usage: { prompt_tokens: number; prompt_tokens_details: { cached_tokens: number } } } }> {
  const answer = await raw(url, "POST", "/v1/completions", { body: JSON.stringify({ model: "m", ...body }), headers: { "Content-Type": "application/json" } });
  return { status: answer.status, json: JSON.parse(answer.text) };
}

test("a client that disconnects mid-stream stops its generation and frees its slot at once", async (t) => {
  const server = await startServe(["--model", folders.chat, "--alias", "m", "--parallel", "1"]);
  try {
    const stream = await openStream(server.url, "/v1/completions", LONG);
    assert.equal(stream.status, 200);
    for (let i = 0; i < 5; i++) assert.notEqual(await stream.next(), null);
    stream.abort();
    const started = performance.now();
    const next = await complete(server.url, { prompt: "a dog", max_tokens: 5, temperature: 0 });
    assert.equal(next.status, 200);
    assert.equal(next.json.choices[0]!.finish_reason, "length");
    const state = await slots(server.url);
    assert.ok(state.decode.tokens < 15000, `the abandoned generation went on: ${state.decode.tokens} tokens decoded`);
    assert.deepEqual(state.slots.map((s) => s.state), ["idle"]);
    assert.equal(state.queue.waiting, 0);
    t.diagnostic(`the next request was answered ${(performance.now() - started).toFixed(0)} ms after the disconnect; ${state.decode.tokens} tokens decoded in all`);
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test("requests beyond the slots wait in the queue; a full queue is a 429 with Retry-After; the waiting one is served when a slot frees", async () => {
  const server = await startServe(["--model", folders.chat, "--alias", "m", "--parallel", "1", "--queue", "1"]);
  try {
    const first = await openStream(server.url, "/v1/completions", LONG);
    await first.next();
    const waiting = complete(server.url, { prompt: "a dog", max_tokens: 3 });
    for (let tries = 0; (await slots(server.url)).queue.waiting !== 1; tries++) {
      assert.ok(tries < 500, "the second request never queued");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const refused = await raw(server.url, "POST", "/v1/completions", { body: JSON.stringify({ model: "m", prompt: "x", max_tokens: 1 }) });
    assert.equal(refused.status, 429);
    assert.equal(refused.headers["retry-after"], "1");
    const error = JSON.parse(refused.text).error;
    assert.equal(error.code, "queue_full");
    assert.equal(error.type, "rate_limit_error");
    const streamRefused = await raw(server.url, "POST", "/v1/chat/completions", { body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], stream: true }) });
    assert.equal(streamRefused.status, 429, "a stream is refused before it starts, with a status");
    first.abort();
    const served = await waiting;
    assert.equal(served.status, 200);
    assert.equal((await complete(server.url, { prompt: "x", max_tokens: 1 })).status, 200);
    const none = await startServe(["--model", folders.chat, "--alias", "m", "--parallel", "1", "--queue", "0"]);
    try {
      const busy = await openStream(none.url, "/v1/completions", LONG);
      await busy.next();
      assert.equal((await complete(none.url, { prompt: "x", max_tokens: 1 })).status, 429, "--queue 0: nothing waits");
      busy.abort();
    } finally {
      assert.equal(await none.stop(), 0);
    }
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test("three concurrent streams are decoded in batched steps and give exactly the greedy text of sequential runs", async (t) => {
  const server = await startServe(["--model", folders.chat, "--alias", "m", "--parallel", "4"]);
  try {
    const prompts = ["the cat sat on", "once upon a time", "hello there, how"];
    const request = (prompt: string) => ({ prompt, max_tokens: 48, ignore_eos: true, temperature: 0 });
    const sequential: string[] = [];
    for (const prompt of prompts) sequential.push((await complete(server.url, request(prompt))).json.choices[0]!.text);
    const before = await slots(server.url);
    assert.equal(before.decode.multi_sequence_steps, 0, "one request at a time never batches");
    const streams = await Promise.all(prompts.map((prompt) => openStream(server.url, "/v1/completions", { model: "m", stream: true, ...request(prompt) })));
    const concurrent = await Promise.all(streams.map(async (s) => streamedText(await readAll(s))));
    assert.deepEqual(concurrent.map((c) => c.text), sequential);
    assert.ok(concurrent.every((c) => c.finish === "length"));
    const after = await slots(server.url);
    const steps = after.decode.steps - before.decode.steps;
    const tokens = after.decode.tokens - before.decode.tokens;
    assert.ok(after.decode.multi_sequence_steps > 0, JSON.stringify(after.decode));
    assert.ok(after.decode.largest_batch >= 2, JSON.stringify(after.decode));
    assert.ok(steps < tokens, `${tokens} tokens in ${steps} steps: some steps decoded several sequences`);
    t.diagnostic(`3 concurrent streams: ${tokens} tokens in ${steps} decode steps, largest batch ${after.decode.largest_batch}`);
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test("a follow-up chat turn finds the conversation in a slot's cache and runs only its new tokens", async () => {
  const server = await startServe(["--model", folders.chat, "--alias", "m", "--parallel", "2"]);
  try {
    const chat = async (messages: object[]) => {
      const answer = await raw(server.url, "POST", "/v1/chat/completions", { body: JSON.stringify({ model: "m", messages, max_tokens: 8, temperature: 0 }) });
      assert.equal(answer.status, 200, answer.text);
      return JSON.parse(answer.text) as { choices: { message: { content: string } }[]; usage: { prompt_tokens: number; completion_tokens: number; prompt_tokens_details: { cached_tokens: number } } };
    };
    const turn1 = [{ role: "system", content: "Be brief." }, { role: "user", content: "tell me a story" }];
    const first = await chat(turn1);
    assert.equal(first.usage.prompt_tokens_details.cached_tokens, 0);
    await chat([{ role: "user", content: "something else entirely" }]); // occupies the other slot's cache
    const before = await slots(server.url);
    const second = await chat([...turn1, { role: "assistant", content: first.choices[0]!.message.content }, { role: "user", content: "and then?" }]);
    const after = await slots(server.url);
    const cached = second.usage.prompt_tokens_details.cached_tokens;
    assert.ok(cached >= first.usage.prompt_tokens, `cached ${cached} of ${second.usage.prompt_tokens}; the first turn's prompt had ${first.usage.prompt_tokens}`);
    assert.equal(after.prefill.tokens - before.prefill.tokens, second.usage.prompt_tokens - cached, "only the new tokens ran");
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test("SIGTERM during a stream ends it with an error event and [DONE], refuses the waiting request with 503, and exits 0", async () => {
  const server = await startServe(["--model", folders.chat, "--alias", "m", "--parallel", "1"]);
  const stream = await openStream(server.url, "/v1/completions", LONG);
  await stream.next();
  const waiting = complete(server.url, { prompt: "queued", max_tokens: 2 });
  for (let tries = 0; (await slots(server.url)).queue.waiting !== 1; tries++) {
    assert.ok(tries < 500, "the second request never queued");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  server.child.kill("SIGTERM");
  const events = await readAll(stream);
  assert.equal(events.at(-1), "[DONE]");
  const error = JSON.parse(events.at(-2)!).error;
  assert.equal(error.code, "shutting_down");
  assert.equal((await waiting).status, 503);
  assert.equal(await server.exited, 0);
  assert.match(server.stdout(), /SIGTERM: shutting down/);
});

test("SIGINT exits 0 even with a client that never finishes sending its body; after shutdown nothing listens", async () => {
  const server = await startServe(["--model", folders.chat, "--alias", "m"]);
  assert.equal((await complete(server.url, { prompt: "x", max_tokens: 1 })).status, 200);
  const { hostname, port } = new URL(server.url);
  const slow = connect(Number(port), hostname);
  slow.on("error", () => {});
  await new Promise((resolve) => slow.once("connect", resolve));
  slow.write('POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"model": "m", ');
  await new Promise((resolve) => setTimeout(resolve, 100));
  const started = performance.now();
  server.child.kill("SIGINT");
  assert.equal(await server.exited, 0);
  assert.ok(performance.now() - started < 15_000);
  slow.destroy();
  assert.match(server.stdout(), /SIGINT: shutting down/);
  await assert.rejects(raw(server.url, "GET", "/health"), /ECONNREFUSED/);
});
