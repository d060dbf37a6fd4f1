// A real model in a real browser through lmscope's browser entry (src/browser.ts):
// Chromium fetches stories260K's GGUF from the local server and decodes greedily from
// BOS — exactly the reference text and ids of ../shared, as in Node — and does the
// same with the Q8_0 GGUF lmscope writes from the HF folder (ids equal to Node's on
// the same file). A missing URL and a truncated file give ModelFormatErrors that
// name them. Skipped without Chromium (see backend.test.ts).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { modelToGguf } from "../../src/io/gguf-convert.js";
import { writeGguf } from "../../src/io/gguf.js";
import { loadModel } from "../../src/language-model.js";
import { SHARED } from "../helpers/paths.js";
import { CHROMIUM, runPage, serve, type Mode } from "./harness.js";

const STORIES = join(SHARED, "models/stories260K");
const REFERENCE = join(STORIES, "reference");

interface ModelReport {
  ids: number[];
  text: string;
  source: { path: string; format: string; fileBytes: number };
  missing: string;
  truncated: string;
}

let server: Server;
let scratch: string;
let q8Ids: number[];

before(async () => {
  if (CHROMIUM === undefined) return;
  scratch = mkdtempSync(join(tmpdir(), "lmscope-browser-"));
  const q8 = join(scratch, "stories260K-q8_0.gguf");
  await writeGguf(q8, await modelToGguf(join(STORIES, "hf"), "q8_0"));
  const model = await loadModel(q8);
  q8Ids = [];
  for await (const piece of model.generate("", { maxTokens: 299, temperature: 0, stopOnEos: false })) {
    if (piece.tokenId !== null) q8Ids.push(piece.tokenId);
  }
  server = await serve({ "stories260K-f32.gguf": join(STORIES, "gguf/stories260K-f32.gguf"), "stories260K-q8_0.gguf": q8 });
});
after(() => {
  server?.close();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

const skip = CHROMIUM === undefined && "no Chromium installed";

for (const mode of ["isolated", "plain"] as Mode[]) {
  test(`${mode} page: stories260K's GGUF, fetched, decodes the reference greedy text`, { skip }, async () => {
    const greedy = JSON.parse(readFileSync(join(REFERENCE, "greedy.json"), "utf8")) as { generated_ids: number[]; continuation_to_299_tokens: number[] };
    const report = await runPage<ModelReport>(server, mode, "model-page", "?model=stories260K-f32.gguf", ["missing.gguf"]);
    assert.deepEqual(report.ids, [...greedy.generated_ids, ...greedy.continuation_to_299_tokens]);
    assert.equal(report.text, readFileSync(join(REFERENCE, "greedy.txt"), "utf8"));
    assert.equal(report.source.format, "gguf");
    assert.equal(report.source.path, "stories260K-f32.gguf");
    assert.match(report.missing, /^missing\.gguf: could not be fetched: HTTP 404/);
    assert.match(report.truncated, /^truncated\.gguf: /);
  });
}

test("isolated page: the Q8_0 GGUF lmscope writes decodes to the ids it gives in Node", { skip }, async () => {
  const report = await runPage<ModelReport>(server, "isolated", "model-page", "?model=stories260K-q8_0.gguf", ["missing.gguf"]);
  assert.deepEqual(report.ids, q8Ids);
  assert.equal(report.ids.length, 299);
});
