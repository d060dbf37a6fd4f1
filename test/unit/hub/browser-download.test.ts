// The browser entry's hub path (fetchModel("org/name:QUANT")), run in Node against
// the fake hub with an in-memory stand-in for the Cache API: the chosen GGUF loads
// with the logits of the same file loaded in Node, a second load and a load with
// the network down come from the cache, a gated repo names the token option, and
// the browser entry's static imports reach no Node module.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import { fetchModel, HubError } from "../../../src/browser.js";
import type { ResponseCache } from "../../../src/io/hub/browser-download.js";
import { loadModel } from "../../../src/language-model.js";
import { FakeHub, sha256 } from "../../helpers/fake-hub.js";
import { buildHubRepos, GATED, GGUF_REPO, serveRepos, SHARDED, type HubRepos } from "../../helpers/hub-repos.js";
import { REPO_ROOT } from "../../helpers/paths.js";

/** npm packages that run in browsers too (a bundler or an import map resolves them there). */
const BROWSER_PACKAGES = new Set(["@huggingface/jinja"]);

class MemoryCache implements ResponseCache {
  readonly entries = new Map<string, Uint8Array>();
  readonly types = new Map<string, string>();
  async match(url: string): Promise<Response | undefined> {
    const bytes = this.entries.get(url);
    return bytes === undefined ? undefined : new Response(bytes.slice().buffer, { headers: { "content-type": this.types.get(url)! } });
  }
  async put(url: string, response: Response): Promise<void> {
    this.entries.set(url, new Uint8Array(await response.arrayBuffer()));
    this.types.set(url, response.headers.get("content-type") ?? "");
  }
}

describe("fetchModel with a hub id (browser entry)", () => {
  let hub: FakeHub;
  let repos: HubRepos;
  before(async () => {
    repos = await buildHubRepos();
    hub = await FakeHub.start();
    serveRepos(hub, repos);
  });
  after(async () => {
    await hub.close();
    await repos.dispose();
  });

  it("loads the GGUF its quant label picks, then from the Cache API, also offline", async () => {
    const cache = new MemoryCache();
    const progress: number[] = [];
    const model = await fetchModel(`${GGUF_REPO}:Q8_0`, { backend: "js", hub: { endpoint: hub.endpoint, cache, onProgress: (loaded) => progress.push(loaded) } });
    const file = hub.repos.get(GGUF_REPO)!.files.get("tiny-llama-Q8_0.gguf")!;
    assert.equal(model.source.path, `${GGUF_REPO}/tiny-llama-Q8_0.gguf`);
    assert.equal(progress.at(-1), file.length);
    const ids = [[1, 30, 60, 90, 4]];
    const expected = (await (await loadModel(repos.localGguf.get("Q8_0")!, { backend: "js" })).forward(ids)).data;
    assert.deepEqual((await model.forward(ids)).data, expected);
    assert.equal(hub.requests("cdn").filter((r) => r.path === `/lfs/${sha256(file)}`).length, 1);

    hub.log.length = 0;
    await fetchModel(`hf:${GGUF_REPO}:q8_0`, { backend: "js", hub: { endpoint: hub.endpoint, cache } });
    assert.deepEqual(hub.requests().map((r) => r.path), [`/api/models/${GGUF_REPO}/revision/main`], "the listing only");

    const offline = async () => {
      throw new TypeError("fetch failed");
    };
    const again = await fetchModel(`${GGUF_REPO}:Q8_0`, { backend: "js", hub: { endpoint: hub.endpoint, cache, fetch: offline } });
    assert.deepEqual((await again.forward(ids)).data, expected);
    await assert.rejects(fetchModel(`${GGUF_REPO}:F16`, { backend: "js", hub: { endpoint: hub.endpoint, cache, fetch: offline } }), (e: unknown) => e instanceof HubError && e.reason === "network");
  });

  it("explains what cannot load in a browser and what a gated repo needs", async () => {
    const hubOptions = { endpoint: hub.endpoint, cache: false as const };
    await assert.rejects(fetchModel(SHARDED, { hub: hubOptions }), (e: unknown) => e instanceof HubError && /holds no GGUF file: in browsers lmscope loads GGUF files/.test(e.message));
    await assert.rejects(fetchModel(GATED, { hub: hubOptions }), (e: unknown) => e instanceof HubError && e.reason === "unauthorized" && /hub\.token option/.test(e.message));
    await assert.rejects(fetchModel(`hf:${GGUF_REPO}/nope.gguf`, { hub: hubOptions }), (e: unknown) => e instanceof HubError && /nope\.gguf: the file is not in/.test(e.message));
  });

  it("the browser entry's static imports reach no Node module", async () => {
    const seen = new Set<string>();
    const nodeImports: string[] = [];
    const visit = async (file: string): Promise<void> => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = await readFile(file, "utf8");
      for (const match of source.matchAll(/^(?:import|export)\s[^;]*?from\s+"([^"]+)"/gm)) {
        const specifier = match[1]!;
        if (match[0].startsWith("import type") || match[0].startsWith("export type")) continue;
        if (specifier.startsWith(".")) await visit(resolve(dirname(file), specifier));
        else if (!BROWSER_PACKAGES.has(specifier)) nodeImports.push(`${file.slice(REPO_ROOT.length)} → ${specifier}`);
      }
    };
    await visit(join(REPO_ROOT, "dist/src/browser.js"));
    assert.ok(seen.has(join(REPO_ROOT, "dist/src/io/hub/browser-download.js")));
    assert.deepEqual(nodeImports, []);
  });
});
