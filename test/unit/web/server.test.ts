// The inspector server: bound to 127.0.0.1 only; the page with its import map
// and content security policy, lmscope's modules and the page's dependencies;
// the API answering with what the inspection API gives; every bad request —
// malformed JSON, wrong types, out-of-range numbers, unknown fields, an empty or
// too long prompt, a patch, a huge body, a wrong method, an unknown path, a path
// that climbs out of the package, a foreign Host — a 4xx JSON error naming it,
// after which the server still serves. `lmscope inspect --web` prints the URL.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { request } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { inspectPrompt } from "../../../src/inspect/prompt-inspection.js";
import type { LanguageModel } from "../../../src/language-model.js";
import { startInspectorServer, type InspectorServer } from "../../../src/web/server.js";
import { decodeInspection, encodeInspection } from "../../../src/web/wire.js";
import { inspectModel, writeInspectModel } from "../../helpers/inspect-model.js";
import { REPO_ROOT } from "../../helpers/paths.js";

let model: LanguageModel;
let server: InspectorServer;
before(async () => {
  model = await inspectModel();
  server = await startInspectorServer(model, { port: 0, name: "tiny" });
});
after(async () => server.close());

/** A raw request (paths sent as written, not normalised as fetch would). */
function raw(method: string, path: string, options: { body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<{ status: number; type: string; body: Buffer; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const sent = request({ host: "127.0.0.1", port: server.port, method, path, headers: options.headers ?? {} }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (c: Buffer) => chunks.push(c));
      response.on("end", () => resolve({ status: response.statusCode!, type: String(response.headers["content-type"]), body: Buffer.concat(chunks), headers: response.headers }));
    });
    sent.on("error", reject);
    sent.end(options.body);
  });
}

async function post(path: string, body: unknown) {
  return raw("POST", path, { body: typeof body === "string" ? body : JSON.stringify(body), headers: { "Content-Type": "application/json" } });
}

function errorOf(answer: { type: string; body: Buffer }): { type: string; message: string } {
  assert.match(answer.type, /^application\/json/);
  return (JSON.parse(answer.body.toString("utf8")) as { error: { type: string; message: string } }).error;
}

test("it listens on 127.0.0.1 only and serves the page, its modules and its dependencies", async () => {
  assert.equal((server.server.address() as { address: string }).address, "127.0.0.1");
  assert.equal(server.url, `http://127.0.0.1:${server.port}/`);
  const page = await raw("GET", "/");
  assert.equal(page.status, 200);
  const html = page.body.toString("utf8");
  assert.match(html, /<body data-api="api">/);
  assert.match(String(page.headers["content-security-policy"]), /script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
  const imports = JSON.parse(/<script type="importmap">(.*?)<\/script>/.exec(html)![1]!).imports as Record<string, string>;
  for (const url of Object.values(imports)) {
    const dependency = await raw("GET", url.slice(1));
    assert.equal(dependency.status, 200, url);
    assert.match(dependency.type, /^text\/javascript/);
  }
  const main = await raw("GET", "/app/web/page/main.js");
  assert.equal(main.status, 200);
  assert.match(main.body.toString("utf8"), /lmscope inspector/);
  assert.equal((await raw("GET", "/app/backend/wasm/kernels.wasm")).type, "application/wasm");
  const described = JSON.parse((await raw("GET", "/api/model")).body.toString("utf8"));
  assert.deepEqual(described, { name: "tiny", architecture: "llama", layers: 3, heads: 4, kvHeads: 2, contextLength: 40, vocabSize: 279, parameters: model.info().parameters });
});

test("POST /api/inspect answers the inspection of the prompt; POST /api/generate the trace", async () => {
  const interventions = [{ ablate: "heads", layer: 1, heads: [2] }] as const;
  const answer = await post("/api/inspect", { prompt: "the cab on", interventions, topK: 4 });
  assert.equal(answer.status, 200);
  const received = decodeInspection(new Uint8Array(answer.body).buffer);
  assert.deepEqual(received, inspectPrompt(model, "the cab on", { topK: 4, interventions: [...interventions] }));
  const generated = await post("/api/generate", { prompt: "the cab", maxTokens: 4, temperature: 0.7, topP: 0.9, seed: 2, candidates: 3 });
  assert.equal(generated.status, 200);
  const trace = JSON.parse(generated.body.toString("utf8"));
  assert.equal(trace.steps.length, 4);
  assert.equal(trace.steps[0].decision.kept.length <= 3, true);
  const ids: number[] = [];
  for await (const piece of model.generate("the cab", { maxTokens: 4, temperature: 0.7, topP: 0.9, seed: 2 })) if (piece.tokenId !== null) ids.push(piece.tokenId);
  assert.deepEqual(trace.steps.map((s: { tokenId: number }) => s.tokenId), ids);
});

test("bad requests get a 4xx JSON error naming what was wrong, and the server keeps serving", async () => {
  const cases: [Promise<Awaited<ReturnType<typeof raw>>>, number, RegExp][] = [
    [post("/api/inspect", "{not json"), 400, /the body is not JSON/],
    [post("/api/inspect", ""), 400, /the body is empty/],
    [post("/api/inspect", [1, 2]), 400, /the body must be a JSON object/],
    [post("/api/inspect", { prompt: 5 }), 400, /"prompt" must be a string, got 5/],
    [post("/api/inspect", {}), 400, /"prompt" must be a string, got nothing/],
    [post("/api/inspect", { prompt: "a", colour: "red" }), 400, /unknown field "colour"/],
    [post("/api/inspect", { prompt: "" }), 400, /the prompt is empty/],
    [post("/api/inspect", { prompt: "the cab ".repeat(40) }), 400, /more than the model's context window of 40/],
    [post("/api/inspect", { prompt: "a", topK: 1e9 }), 400, /"topK" must be an integer in \[1, 100\]/],
    [post("/api/inspect", { prompt: "a", topK: -1 }), 400, /"topK" must be an integer/],
    [post("/api/inspect", { prompt: "a", interventions: "all" }), 400, /"interventions" must be a list/],
    [post("/api/inspect", { prompt: "a", interventions: [{ patch: "blocks.0.attn_out", value: [] }] }), 400, /patching is offered by the library, not over HTTP/],
    [post("/api/inspect", { prompt: "a", interventions: [{ ablate: "heads", layer: 7, heads: [0] }] }), 400, /layer 7 does not exist/],
    [post("/api/inspect", { prompt: "a", interventions: [{ ablate: "heads", layer: 0, heads: [-1] }] }), 400, /heads: -1 is outside \[0, 4\)/],
    [post("/api/generate", { prompt: "a", temperature: "hot" }), 400, /"temperature" must be a finite number/],
    [post("/api/generate", { prompt: "a", topP: 5 }), 400, /option "topP": expected a number in \(0, 1\]/],
    [post("/api/generate", { prompt: "a", maxTokens: 100000 }), 400, /"maxTokens" must be an integer in \[1, 512\]/],
    [post("/api/generate", { prompt: "a", maxTokens: 39 }), 400, /exceeds the context window of 40/],
    [post("/api/generate", { prompt: "a", stopOnEos: "yes" }), 400, /"stopOnEos" must be true or false/],
    [post("/api/inspect", "x".repeat(2 << 20)), 413, /larger than 1048576 bytes/],
    [raw("GET", "/api/inspect"), 405, /GET is not allowed here \(allowed: POST\)/],
    [raw("DELETE", "/"), 405, /DELETE is not allowed/],
    [raw("GET", "/nothing"), 404, /nothing is served at "\/nothing"/],
    [raw("GET", "/app/../../package.json"), 404, /nothing is served/],
    [raw("GET", "/app/..%2f..%2fpackage.json"), 404, /nothing is served/],
    [raw("GET", "/app/%2e%2e/%2e%2e/package.json"), 404, /nothing is served/],
    [raw("GET", "/app/web/..%5c..%5cpackage.json"), 404, /nothing is served/],
    [raw("GET", "/app/web/page/main.js%00.js"), 404, /nothing is served/],
    [raw("GET", "/app/web/page/main.d.ts"), 404, /nothing is served/],
    [raw("GET", "/app/web/page/main.js.map"), 404, /nothing is served/],
    [raw("GET", "/app/%E0%A4%A"), 400, /malformed percent escape/],
    [raw("GET", "/vendor/../package.json"), 404, /nothing is served/],
    [raw("GET", "/vendor/d3-color/package.json"), 404, /nothing is served/],
    [raw("GET", "/api/model", { headers: { Host: "attacker.example:80" } }), 403, /answers requests for 127\.0\.0\.1:\d+ only/],
  ];
  for (const [pending, status, message] of cases) {
    const answer = await pending;
    assert.equal(answer.status, status, answer.body.toString("utf8").slice(0, 300));
    assert.match(errorOf(answer).message, message);
    assert.ok(!answer.body.toString("utf8").includes("    at "), "no stack trace");
  }
  assert.equal((await raw("GET", "/api/model")).status, 200, "still serving");
});

test("the wire format round-trips an inspection and refuses what is not one", async () => {
  const inspection = inspectPrompt(model, "the cab on the ab");
  const bytes = encodeInspection(inspection);
  assert.deepEqual(decodeInspection(bytes.buffer.slice(0) as ArrayBuffer), inspection);
  assert.throws(() => decodeInspection(new TextEncoder().encode('{"error": 1}').buffer as ArrayBuffer), /not an inspection/);
  assert.throws(() => decodeInspection(bytes.buffer.slice(0, bytes.length - 4) as ArrayBuffer), /truncated \(attention maps\)/);
  assert.throws(() => decodeInspection(bytes.buffer.slice(0, 20) as ArrayBuffer), /truncated \(header\)/);
});

test("`lmscope inspect --web` prints its 127.0.0.1 URL, serves, and stops on SIGTERM", async () => {
  const dir = await mkdtemp(join(tmpdir(), "lmscope-inspect-web-"));
  try {
    await writeInspectModel(dir);
    const child = spawn(process.execPath, [join(REPO_ROOT, "dist/src/cli/bin.js"), "inspect", "--web", "--model", dir, "--port", "0", "--backend", "js"], { stdio: ["ignore", "pipe", "pipe"] });
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString("utf8");
        const found = /lmscope inspector: (http:\/\/127\.0\.0\.1:\d+\/)\n/.exec(out);
        if (found !== null) resolve(found[1]!);
      });
      child.on("exit", (code) => reject(new Error(`exited with ${code} before printing a URL: ${out}`)));
      setTimeout(() => reject(new Error("no URL within 30 s")), 30_000).unref();
    });
    const described = (await (await fetch(`${url}api/model`)).json()) as { layers: number };
    assert.equal(described.layers, 3);
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    child.kill("SIGTERM");
    assert.equal(await exited, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
