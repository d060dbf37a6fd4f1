// Hostile and mistaken requests to a real `lmscope serve`, over raw HTTP: malformed
// JSON, wrong types, negative / huge / non-integer numbers in every numeric field,
// 10 MB bodies (announced or chunked), unknown models and routes, wrong methods, a
// missing or wrong API key, foreign origins. Each gets its 4xx with an OpenAI error
// body naming the field, and the server keeps serving.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, test } from "node:test";
import { raw, startServe, type RawAnswer, type ServeProcess } from "../../helpers/serve-process.js";
import { writeModelFolders, type ModelFolders } from "./model-folders.js";

const KEY = "sesame";
let folders: ModelFolders;
let server: ServeProcess;
let corsServer: ServeProcess;

before(async () => {
  folders = await writeModelFolders();
  [server, corsServer] = await Promise.all([
    startServe(["--model", folders.chat, "--alias", "m", "--api-key", KEY, "--parallel", "2", "--max-body", "100000"]),
    startServe(["--model", folders.chat, "--alias", "m", "--cors", "https://app.example"]),
  ]);
});

after(async () => {
  assert.equal(await server.stop(), 0);
  assert.equal(await corsServer.stop(), 0);
  await folders.cleanup();
});

const AUTH = { Authorization: `Bearer ${KEY}`, "Content-Type": "application/json" };

function post(path: string, body: string | object, headers: Record<string, string> = AUTH): Promise<RawAnswer> {
  return raw(server.url, "POST", path, { body: typeof body === "string" ? body : JSON.stringify(body), headers });
}

function errorOf(answer: RawAnswer): { message: string; type: string; param: string | null; code: string | null } {
  assert.match(String(answer.headers["content-type"]), /^application\/json/);
  const parsed = JSON.parse(answer.text) as { error: { message: string; type: string; param: string | null; code: string | null } };
  assert.deepEqual(Object.keys(parsed.error).sort(), ["code", "message", "param", "type"]);
  return parsed.error;
}

/** The server still answers a real request. */
async function stillServing(): Promise<void> {
  const answer = await post("/v1/completions", { model: "m", prompt: "hi", max_tokens: 2 });
  assert.equal(answer.status, 200, answer.text);
  assert.equal(JSON.parse(answer.text).choices.length, 1);
}

const CHAT = { model: "m", messages: [{ role: "user", content: "hi" }] };

test("malformed, empty and non-object bodies are 400s", async () => {
  for (const body of ["{bad json", "", "   ", "[1,2]", "null", "42", '"text"', '{"model": "m", "messages": [NaN]}', "{\"a\":1}}"]) {
    const answer = await post("/v1/chat/completions", body);
    assert.equal(answer.status, 400, `${JSON.stringify(body)}: ${answer.text}`);
    assert.equal(errorOf(answer).type, "invalid_request_error");
  }
  await stillServing();
});

test("every numeric field: wrong type, negative, NaN-like, huge and non-integer values are 400s naming the field", async () => {
  const cases: [string, unknown][] = [
    ["max_tokens", -1], ["max_tokens", 0], ["max_tokens", 1.5], ["max_tokens", "10"], ["max_tokens", 1e300], ["max_tokens", 2 ** 53 + 2],
    ["max_completion_tokens", -5], ["max_completion_tokens", true],
    ["temperature", -0.1], ["temperature", 2.5], ["temperature", "hot"], ["temperature", [1]],
    ["top_p", 0], ["top_p", 1.1], ["top_p", -1], ["top_k", -2], ["top_k", 3.5], ["top_k", 1e20], ["min_p", 1.5], ["min_p", -0.5],
    ["seed", 1.5], ["seed", 1e300], ["seed", "7"], ["n", 0], ["n", 9], ["n", 1e9], ["n", -1],
    ["presence_penalty", 3], ["presence_penalty", -2.5], ["frequency_penalty", 1e9], ["frequency_penalty", "x"],
    ["repetition_penalty", 0], ["repetition_penalty", -1],
    ["top_logprobs", 21], ["top_logprobs", -1], ["logprobs", 1], ["stream", "yes"], ["stop", 5], ["stop", ["a", "b", "c", "d", "e"]], ["stop", [""]],
    ["messages", "hi"], ["messages", []], ["messages", [{ content: "no role" }]], ["messages", [{ role: "user", content: { deep: 1 } }, 3]],
    ["model", 5], ["user", 5], ["stream_options", { include_usage: true }], ["logit_bias", { "5": 10 }], ["tools", [{ type: "function" }]],
  ];
  for (const [field, value] of cases) {
    const body = { ...CHAT, [field]: value, ...(field === "top_logprobs" ? { logprobs: true } : {}) };
    const answer = await post("/v1/chat/completions", body);
    assert.equal(answer.status, 400, `${field} = ${JSON.stringify(value)}: ${answer.status} ${answer.text}`);
    assert.equal(errorOf(answer).param, field, `${field} = ${JSON.stringify(value)}: ${answer.text}`);
  }
  const huge = await post("/v1/chat/completions", `{"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1e400}`);
  assert.equal(huge.status, 400);
  assert.equal(errorOf(huge).param, "max_tokens");
  for (const [field, value] of [["prompt", 5], ["prompt", []], ["prompt", [[1, 2], "x"]], ["prompt", [-1]], ["prompt", [1e9]], ["prompt", [0.5]], ["logprobs", 21], ["logprobs", true], ["echo", true], ["best_of", 3], ["suffix", "x"]] as const) {
    const answer = await post("/v1/completions", { model: "m", prompt: "hi", [field]: value });
    assert.equal(answer.status, 400, `${field} = ${JSON.stringify(value)}: ${answer.text}`);
    assert.equal(errorOf(answer).param, field);
  }
  await stillServing();
});

test("a prompt or max_tokens beyond the context is a 400 with the counts", async () => {
  const long = await post("/v1/completions", { model: "m", prompt: Array.from({ length: 600 }, () => 5) });
  assert.equal(long.status, 400);
  assert.match(errorOf(long).message, /the prompt has 600 tokens, but the context window is 512/);
  assert.equal(errorOf(long).code, "context_length_exceeded");
  const tooMany = await post("/v1/completions", { model: "m", prompt: [5, 6, 7], max_tokens: 510 });
  assert.equal(tooMany.status, 400);
  assert.match(errorOf(tooMany).message, /the prompt \(3 tokens\) plus max_tokens \(510\) is 513 tokens, more than the context window of 512: ask for at most 509/);
  const chat = await post("/v1/chat/completions", { model: "m", messages: [{ role: "user", content: "the cat sat on the mat ".repeat(100) }] });
  assert.equal(chat.status, 400);
  assert.equal(errorOf(chat).param, "messages");
  await stillServing();
});

test("bodies over the limit are 413s whether announced or chunked, and the server goes on", async () => {
  const big = JSON.stringify({ model: "m", prompt: "a".repeat(10 * 1024 * 1024) });
  const announced = await post("/v1/completions", big);
  assert.equal(announced.status, 413);
  assert.equal(errorOf(announced).code, "request_too_large");
  const chunked = await raw(server.url, "POST", "/v1/completions", { body: Buffer.from(big), headers: { ...AUTH, "Transfer-Encoding": "chunked" } });
  assert.equal(chunked.status, 413);
  // A body that claims to be small but keeps coming is cut off too.
  const started = Date.now();
  const status = await new Promise<string>((resolve, reject) => {
    const { hostname, port } = new URL(server.url);
    const socket = connect(Number(port), hostname, () => {
      socket.write(`POST /v1/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${KEY}\r\nTransfer-Encoding: chunked\r\n\r\n`);
      const chunk = "a".repeat(65536);
      const pump = (): void => {
        while (socket.writable && socket.write(`${(65536).toString(16)}\r\n${chunk}\r\n`));
      };
      socket.on("drain", pump);
      pump();
    });
    let received = "";
    socket.on("data", (data: Buffer) => {
      received += data.toString();
      if (received.includes("\r\n")) {
        resolve(received.split("\r\n")[0]!);
        socket.destroy();
      }
    });
    socket.on("error", () => resolve(received.split("\r\n")[0]!));
    socket.on("close", () => resolve(received.split("\r\n")[0]!));
    setTimeout(() => reject(new Error("no answer to an endless body")), 20_000).unref();
  });
  assert.match(status, /^HTTP\/1\.1 413/);
  assert.ok(Date.now() - started < 20_000);
  await stillServing();
});

test("unknown models and routes are 404s, wrong methods 405s", async () => {
  const model = await post("/v1/chat/completions", { ...CHAT, model: "gpt-4o" });
  assert.equal(model.status, 404);
  assert.deepEqual([errorOf(model).param, errorOf(model).code], ["model", "model_not_found"]);
  const retrieve = await raw(server.url, "GET", "/v1/models/other", { headers: AUTH });
  assert.equal(retrieve.status, 404);
  for (const path of ["/v1/nothing", "/", "/v2/chat/completions", "/v1/chat/completions/x", "/../../etc/passwd"]) {
    const answer = await raw(server.url, "GET", path, { headers: AUTH });
    assert.equal(answer.status, 404, path);
    errorOf(answer);
  }
  const method = await raw(server.url, "GET", "/v1/chat/completions", { headers: AUTH });
  assert.equal(method.status, 405);
  assert.equal(method.headers["allow"], "POST");
  const put = await raw(server.url, "PUT", "/v1/models", { headers: AUTH });
  assert.equal(put.status, 405);
  await stillServing();
});

test("without the API key every route but /health is a 401; with a wrong one too", async () => {
  const health = await raw(server.url, "GET", "/health");
  assert.equal(health.status, 200);
  assert.deepEqual(JSON.parse(health.text), { status: "ok" });
  const headerSets: Record<string, string>[] = [{}, { Authorization: "Bearer nope" }, { Authorization: KEY }, { Authorization: `Basic ${KEY}` }];
  for (const headers of headerSets) {
    for (const [method, path] of [["GET", "/v1/models"], ["POST", "/v1/chat/completions"], ["POST", "/v1/completions"], ["POST", "/tokenize"], ["GET", "/slots"], ["GET", "/nowhere"]] as const) {
      const answer = await raw(server.url, method, path, method === "POST" ? { headers, body: JSON.stringify(CHAT) } : { headers });
      assert.equal(answer.status, 401, `${method} ${path} with ${JSON.stringify(headers)}`);
      assert.equal(errorOf(answer).code, "invalid_api_key");
      assert.equal(answer.headers["www-authenticate"], "Bearer");
    }
  }
  await stillServing();
});

test("CORS: off by default (a browser origin is refused); with --cors, that origin gets the headers and a preflight", async () => {
  const refused = await raw(server.url, "GET", "/v1/models", { headers: { ...AUTH, Origin: "https://evil.example" } });
  assert.equal(refused.status, 403);
  assert.equal(refused.headers["access-control-allow-origin"], undefined);
  const preflight = await raw(corsServer.url, "OPTIONS", "/v1/chat/completions", {
    headers: { Origin: "https://app.example", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type, x-stainless-os" },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers["access-control-allow-origin"], "https://app.example");
  assert.match(String(preflight.headers["access-control-allow-methods"]), /POST/);
  assert.equal(preflight.headers["access-control-allow-headers"], "authorization, content-type, x-stainless-os");
  const allowed = await raw(corsServer.url, "GET", "/v1/models", { headers: { Origin: "https://app.example" } });
  assert.equal(allowed.status, 200);
  assert.equal(allowed.headers["access-control-allow-origin"], "https://app.example");
  const other = await raw(corsServer.url, "GET", "/v1/models", { headers: { Origin: "https://evil.example" } });
  assert.equal(other.status, 403);
  const noOrigin = await raw(corsServer.url, "GET", "/v1/models");
  assert.equal(noOrigin.status, 200, "non-browser clients send no Origin");
});

test("/tokenize and /detokenize in llama.cpp's shapes, with their bad requests", async () => {
  const tokens = await post("/tokenize", { content: "hello there" });
  assert.equal(tokens.status, 200);
  const ids = JSON.parse(tokens.text).tokens as number[];
  assert.ok(ids.length > 0 && ids.every((id) => Number.isInteger(id)));
  const pieces = JSON.parse((await post("/tokenize", { content: "hello there", with_pieces: true })).text).tokens as { id: number; piece: string }[];
  assert.deepEqual(pieces.map((p) => p.id), ids);
  assert.equal(pieces.map((p) => p.piece).join(""), "hello there");
  const special = JSON.parse((await post("/tokenize", { content: "<|im_start|>user", add_special: true })).text).tokens as number[];
  assert.equal(special[0], 1, "special tokens in the text map to their ids");
  const text = await post("/detokenize", { tokens: ids });
  assert.deepEqual(JSON.parse(text.text), { content: "hello there" });
  for (const [path, body, param] of [["/tokenize", { content: 5 }, "content"], ["/tokenize", {}, "content"], ["/tokenize", { content: "x", with_pieces: "yes" }, "with_pieces"], ["/detokenize", { tokens: [1, -1] }, "tokens"], ["/detokenize", { tokens: [1e12] }, "tokens"], ["/detokenize", { tokens: "1 2" }, "tokens"], ["/detokenize", { tokens: [1.5] }, "tokens"]] as const) {
    const answer = await post(path, body);
    assert.equal(answer.status, 400, `${path} ${JSON.stringify(body)}`);
    assert.equal(errorOf(answer).param, param);
  }
  await stillServing();
});
