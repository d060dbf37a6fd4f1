// Hub ids in a real browser: Chromium loads a GGUF repo's Q8_0 file from the fake
// hub on 127.0.0.1 (CORS, redirect to the "CDN") through lmscope/browser, keeps it
// in the Cache API, loads it a second time without downloading it, and decodes the
// greedy ids Node gives on the same file. Skipped without Chromium (see backend.test.ts).
import assert from "node:assert/strict";
import type { Server } from "node:http";
import { after, before, test } from "node:test";
import { loadModel } from "../../src/language-model.js";
import { FakeHub, sha256 } from "../helpers/fake-hub.js";
import { buildHubRepos, GGUF_REPO, serveRepos, type HubRepos } from "../helpers/hub-repos.js";
import { CHROMIUM, runPage, serve, type Mode } from "./harness.js";

interface HubReport {
  ids: number[];
  again: number[];
  source: { path: string; format: string };
  cached: string[];
}

let server: Server;
let hub: FakeHub;
let repos: HubRepos;
let nodeIds: number[];

before(async () => {
  if (CHROMIUM === undefined) return;
  repos = await buildHubRepos();
  hub = await FakeHub.start();
  serveRepos(hub, repos);
  const model = await loadModel(repos.localGguf.get("Q8_0")!, { backend: "js" });
  nodeIds = [];
  for await (const piece of model.generate("", { maxTokens: 20, temperature: 0, stopOnEos: false })) if (piece.tokenId !== null) nodeIds.push(piece.tokenId);
  server = await serve();
});
after(async () => {
  server?.close();
  await hub?.close();
  await repos?.dispose();
});

const skip = CHROMIUM === undefined && "no Chromium installed";

for (const mode of ["isolated", "plain"] as Mode[]) {
  test(`${mode} page: fetchModel("org/name:Q8_0") downloads once, caches, and decodes Node's ids`, { skip }, async () => {
    hub.log.length = 0;
    const search = `?endpoint=${encodeURIComponent(hub.endpoint)}&model=${encodeURIComponent(`${GGUF_REPO}:Q8_0`)}`;
    const report = await runPage<HubReport>(server, mode, "hub-page", search);
    assert.deepEqual(report.ids, nodeIds);
    assert.deepEqual(report.again, nodeIds);
    assert.equal(report.source.path, `${GGUF_REPO}/tiny-llama-Q8_0.gguf`);
    const file = hub.repos.get(GGUF_REPO)!.files.get("tiny-llama-Q8_0.gguf")!;
    assert.equal(hub.requests("cdn").filter((r) => r.method === "GET" && r.path === `/lfs/${sha256(file)}`).length, 1, "downloaded once");
    assert.equal(hub.requests("hub").filter((r) => r.path.startsWith("/api/models/")).length, 2, "one listing per load");
    assert.ok(report.cached.some((url) => url.endsWith(`/${GGUF_REPO}/resolve/${hub.repos.get(GGUF_REPO)!.commit}/tiny-llama-Q8_0.gguf`)));
  });
}
