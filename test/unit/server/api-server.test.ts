// The server object in this process: it listens before the model is loaded and says so
// on /health (503 with Retry-After) and every other route, serves once ready, and close()
// stops it; the request field readers name the field and what was expected.
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadModel, type LanguageModel } from "../../../src/language-model.js";
import { ApiServer } from "../../../src/server/server.js";
import { serveModel } from "../../../src/server/served-model.js";
import { RequestFields } from "../../../src/server/request-fields.js";
import { ApiError } from "../../../src/server/api-error.js";
import { raw } from "../../helpers/serve-process.js";
import { writeModelFolders } from "./model-folders.js";

test("/health is 503 while the model loads, then 200; other routes wait too; close() stops listening", async () => {
  const folders = await writeModelFolders();
  const server = await ApiServer.listen({ port: 0 });
  const url = server.url;
  try {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const loading = await raw(server.url, "GET", "/health");
    assert.equal(loading.status, 503);
    assert.equal(loading.headers["retry-after"], "1");
    assert.equal(JSON.parse(loading.text).error.code, "loading");
    assert.equal((await raw(server.url, "GET", "/v1/models")).status, 503);
    const model = await loadModel<LanguageModel>(folders.chat, { backend: "js" });
    server.ready(serveModel(model, { name: "m", parallel: 2, queueLimit: 4, contextLength: 100 }));
    assert.deepEqual(JSON.parse((await raw(server.url, "GET", "/health")).text), { status: "ok" });
    const slots = JSON.parse((await raw(server.url, "GET", "/slots")).text);
    assert.equal(slots.slots.length, 2);
    assert.equal(slots.context_length, 100, "--ctx caps the positions per slot");
  } finally {
    await server.close();
    await folders.cleanup();
  }
  await assert.rejects(raw(url, "GET", "/health"), /ECONNREFUSED/);
});

test("request fields: types and ranges are checked by name; null is absent; unknown fields are ignored", () => {
  const fields = RequestFields.of({ a: 1.5, b: null, c: "x", d: true, e: { f: 2 }, unknown: [1] });
  assert.equal(fields.number("a", { min: 0, max: 2 }), 1.5);
  assert.equal(fields.number("b", { min: 0, max: 2 }), undefined);
  assert.equal(fields.number("missing", { min: 0, max: 2 }), undefined);
  const rejects = (run: () => unknown, param: string, message: RegExp) =>
    assert.throws(run, (e: unknown) => e instanceof ApiError && e.status === 400 && e.param === param && message.test(e.message));
  rejects(() => fields.number("a", { min: 0, max: 2, integer: true }), "a", /"a" must be an integer from 0 to 2, got number 1\.5/);
  rejects(() => fields.number("a", { min: 1.5, max: 2, minExclusive: true }), "a", /greater than 1\.5/);
  rejects(() => fields.number("c", { min: 0, max: 2 }), "c", /got the string "x"/);
  rejects(() => fields.boolean("c"), "c", /true or false/);
  rejects(() => fields.string("d"), "d", /must be a string, got boolean true/);
  rejects(() => fields.object("c"), "c", /must be an object/);
  rejects(() => fields.requiredString("missing"), "missing", /is required/);
  assert.equal(fields.object("e")!.number("f", { min: 0, max: 5, integer: true }), 2);
  assert.throws(() => RequestFields.of([1]), (e: unknown) => e instanceof ApiError && /must be a JSON object, got an array/.test(e.message));
});

test("a failure inside the server is a 500 without internals (a stream gets an error event, then [DONE]); the server keeps serving", async () => {
  const folders = await writeModelFolders();
  const server = await ApiServer.listen({ port: 0 });
  const logged: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  try {
    const model = await loadModel<LanguageModel>(folders.chat, { backend: "js" });
    server.ready(serveModel(model, { name: "m", parallel: 1, queueLimit: 4 }));
    const forward = model.network.forward.bind(model.network);
    let failures = 2;
    model.network.forward = (...args) => {
      if (failures-- > 0) throw new TypeError("secret internal detail");
      forward(...args);
    };
    process.stderr.write = ((text: string) => (logged.push(String(text)), true)) as typeof process.stderr.write;
    const body = (stream: boolean) => JSON.stringify({ model: "m", prompt: "hi", max_tokens: 3, stream });
    const whole = await raw(server.url, "POST", "/v1/completions", { body: body(false) });
    assert.equal(whole.status, 500);
    const error = JSON.parse(whole.text).error;
    assert.deepEqual([error.type, error.code], ["server_error", "internal_error"]);
    assert.doesNotMatch(whole.text, /secret/);
    const streamed = await raw(server.url, "POST", "/v1/completions", { body: body(true) });
    assert.equal(streamed.status, 200);
    const events = streamed.text.trim().split("\n\n");
    assert.equal(events.at(-1), "data: [DONE]");
    assert.equal(JSON.parse(events.at(-2)!.slice("data: ".length)).error.code, "internal_error");
    assert.doesNotMatch(streamed.text, /secret/);
    assert.ok(logged.some((line) => line.includes("secret internal detail")), "the cause is logged");
    const fine = await raw(server.url, "POST", "/v1/completions", { body: body(false) });
    assert.equal(fine.status, 200, fine.text);
  } finally {
    process.stderr.write = write;
    await server.close();
    await folders.cleanup();
  }
});
