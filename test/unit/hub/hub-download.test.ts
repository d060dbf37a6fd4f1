// Models from a hub on 127.0.0.1 that answers as huggingface.co does (fake-hub.ts):
// first download with progress bars, a second load from the cache with no
// download, offline mode, resume after a dropped connection, gated and missing
// repos and files, redirects, and what a load never fetches.
import assert from "node:assert/strict";
import { lstat, mkdtemp, readdir, readFile, readlink, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, before, beforeEach, describe, it } from "node:test";
import { HubError } from "../../../src/errors.js";
import { repoFolderName } from "../../../src/io/hub/cache-layout.js";
import { parseHubModelId } from "../../../src/io/hub/model-id.js";
import { downloadModel, type HubFetchOptions } from "../../../src/io/hub/snapshot.js";
import { loadModel, type LanguageModel } from "../../../src/language-model.js";
import { FakeHub, hubEtag, sha256 } from "../../helpers/fake-hub.js";
import { buildHubRepos, GATED, GATED_TOKEN, GGUF_REPO, PICKLES_ONLY, serveRepos, SHARDED, SHARDED_NEEDED, SHARDED_UNNEEDED, type HubRepos } from "../../helpers/hub-repos.js";

let hub: FakeHub;
let repos: HubRepos;
let cacheDir: string;

before(async () => {
  repos = await buildHubRepos();
  hub = await FakeHub.start();
  serveRepos(hub, repos);
});
after(async () => {
  await hub.close();
  await repos.dispose();
});
beforeEach(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), "lmscope-hub-cache-"));
  hub.log.length = 0;
});

/** Options for a hub at the fake endpoint, a fresh cache, no token from the environment, quick retries. */
function options(extra: HubFetchOptions = {}): HubFetchOptions {
  return { endpoint: hub.endpoint, cacheDir, token: false, progress: false, retry: { delayMs: 10 }, ...extra };
}

const id = (spec: string) => parseHubModelId(spec)!;
const IDS = [[1, 20, 40, 60, 80, 100, 120, 140, 7]];

async function logits(model: LanguageModel): Promise<number[]> {
  return [...(await model.forward(IDS)).data];
}

/** A writable that says it is a terminal and keeps what is written. */
function fakeTerminal(): PassThrough & { isTTY: true; columns: number; text: () => string } {
  const stream = new PassThrough() as PassThrough & { isTTY: true; columns: number; text: () => string };
  let written = "";
  stream.on("data", (chunk: Buffer) => (written += chunk.toString()));
  stream.isTTY = true;
  stream.columns = 120;
  stream.text = () => written;
  return stream;
}

function hubErrorWith(reason: HubError["reason"], pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof HubError, `expected a HubError, got ${String(error)}`);
    assert.equal(error.reason, reason);
    assert.match(error.message, pattern);
    return true;
  };
}

describe("hub download: a sharded safetensors model", () => {
  it("downloads what a load needs with progress bars, then loads from the cache with no download", async () => {
    const terminal = fakeTerminal();
    const model = await loadModel(SHARDED, { backend: "js", hub: options({ progress: terminal }) });
    assert.equal(model.hasTokenizer, true);
    assert.deepEqual(await logits(model), await logits(await loadModel(repos.localFolder, { backend: "js" })));

    // Fetched: the listing, then per missing file a HEAD, then the body (LFS bodies from the CDN).
    const fetched = hub.requests("hub").filter((r) => r.method === "HEAD").map((r) => r.path.split("/resolve/")[1]!.split("/").slice(1).join("/"));
    assert.deepEqual(fetched.sort(), [...SHARDED_NEEDED].sort());
    for (const unneeded of SHARDED_UNNEEDED) assert.ok(!hub.log.some((r) => r.path.endsWith(unneeded)), `${unneeded} was requested`);
    assert.equal(hub.requests("cdn").length, 2, "the two shards, from the CDN");
    assert.ok(hub.requests("cdn").every((r) => r.authorization === undefined));

    // The progress output names the files and the total.
    const shown = terminal.text();
    for (const file of ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "total"]) assert.ok(shown.includes(file), `progress lacks ${file}`);
    assert.match(shown, /100%/);

    // Second load: one listing request, nothing downloaded.
    hub.log.length = 0;
    const again = await loadModel(SHARDED, { backend: "js", hub: options() });
    assert.deepEqual(hub.requests().map((r) => `${r.method} ${r.path}`), [`GET /api/models/${SHARDED}/revision/main`]);
    assert.deepEqual(await logits(again), await logits(model));
  });

  it("is quiet when the progress stream is not a terminal", async () => {
    const pipe = new PassThrough();
    let written = "";
    pipe.on("data", (chunk: Buffer) => (written += chunk.toString()));
    await downloadModel(id(SHARDED), options({ progress: pipe }));
    assert.equal(written, "");
  });

  it("offline: loads from the cache with no request; names what the cache lacks", async () => {
    await downloadModel(id(SHARDED), options());
    hub.log.length = 0;
    const model = await loadModel(SHARDED, { backend: "js", hub: options({ offline: true }) });
    assert.equal(hub.log.length, 0);
    assert.deepEqual(await logits(model), await logits(await loadModel(repos.localFolder, { backend: "js" })));

    const storage = join(cacheDir, repoFolderName(SHARDED));
    const shard = hub.repos.get(SHARDED)!.files.get("model-00002-of-00002.safetensors")!;
    await rm(join(storage, "snapshots", hub.repos.get(SHARDED)!.commit, "model-00002-of-00002.safetensors"));
    await rm(join(storage, "blobs", sha256(shard)));
    await assert.rejects(downloadModel(id(SHARDED), options({ offline: true })), hubErrorWith("offline", /HF_HUB_OFFLINE is set, and the cache lacks model-00002-of-00002\.safetensors/));
    await assert.rejects(downloadModel(id(`hf:${GGUF_REPO}:Q8_0`), options({ offline: true })), hubErrorWith("offline", /has no copy of revision main/));
    assert.equal(hub.log.length, 0);

    // The network is back: only the missing shard is fetched.
    await downloadModel(id(SHARDED), options());
    assert.deepEqual(hub.requests("cdn").map((r) => r.path), [`/lfs/${sha256(shard)}`]);
  });

  it("falls back to the cache when the hub cannot be reached", async () => {
    await downloadModel(id(SHARDED), options());
    const unreachable = options({ endpoint: "http://127.0.0.1:9" });
    const result = await downloadModel(id(SHARDED), unreachable);
    assert.equal(result.commit, hub.repos.get(SHARDED)!.commit);
    await assert.rejects(downloadModel(id(GGUF_REPO), unreachable), hubErrorWith("network", /cannot reach http:\/\/127\.0\.0\.1:9 .*HF_HUB_OFFLINE/));
  });

  it("resumes a download whose connection dropped, asking only for the missing bytes", async () => {
    const shard = hub.repos.get(SHARDED)!.files.get("model-00001-of-00002.safetensors")!;
    hub.dropOnceAfter.set(sha256(shard), 5000);
    await downloadModel(id(SHARDED), options());
    const requests = hub.requests("cdn").filter((r) => r.path === `/lfs/${sha256(shard)}`);
    assert.deepEqual(requests.map((r) => r.range), [undefined, "bytes=5000-"]);
    const blob = join(cacheDir, repoFolderName(SHARDED), "blobs", sha256(shard));
    assert.deepEqual(new Uint8Array(await readFile(blob)), shard);
  });

  it("resumes from an .incomplete file left by an earlier process", async () => {
    const shard = hub.repos.get(SHARDED)!.files.get("model-00002-of-00002.safetensors")!;
    const blobs = join(cacheDir, repoFolderName(SHARDED), "blobs");
    await import("node:fs/promises").then(({ mkdir }) => mkdir(blobs, { recursive: true }));
    await writeFile(join(blobs, `${sha256(shard)}.incomplete`), shard.subarray(0, 1234));
    await downloadModel(id(SHARDED), options());
    assert.deepEqual(hub.requests("cdn").filter((r) => r.path === `/lfs/${sha256(shard)}`).map((r) => r.range), ["bytes=1234-"]);
    assert.deepEqual(new Uint8Array(await readFile(join(blobs, sha256(shard)))), shard);
    assert.ok(!(await readdir(blobs)).some((f) => f.endsWith(".incomplete")));
  });

  it("rejects bytes whose sha256 is not the announced one, and keeps nothing of them", async () => {
    const shard = hub.repos.get(SHARDED)!.files.get("model-00001-of-00002.safetensors")!;
    const blobs = join(cacheDir, repoFolderName(SHARDED), "blobs");
    await import("node:fs/promises").then(({ mkdir }) => mkdir(blobs, { recursive: true }));
    const corrupt = shard.slice(0, 4000);
    corrupt[100] ^= 0xff;
    await writeFile(join(blobs, `${sha256(shard)}.incomplete`), corrupt);
    await assert.rejects(downloadModel(id(SHARDED), options()), hubErrorWith("integrity", /model-00001-of-00002\.safetensors: the downloaded bytes have sha256 [0-9a-f]{64}, not the/));
    assert.ok(!(await readdir(blobs)).includes(`${sha256(shard)}.incomplete`));
    await downloadModel(id(SHARDED), options());
  });

  it("follows a renamed repo's relative redirect", async () => {
    hub.renamed.set("old-name/tiny-llama", SHARDED);
    hub.repos.set("old-name/tiny-llama", hub.repos.get(SHARDED)!);
    try {
      await downloadModel(id("old-name/tiny-llama"), options());
      assert.ok(hub.requests("hub").some((r) => r.method === "HEAD" && r.path.startsWith(`/${SHARDED}/resolve/`)));
    } finally {
      hub.renamed.delete("old-name/tiny-llama");
      hub.repos.delete("old-name/tiny-llama");
    }
  });
});

describe("hub download: GGUF repos", () => {
  it("picks the file by its quant label and loads it", async () => {
    const model = await loadModel(`hf:${GGUF_REPO}:Q8_0`, { backend: "js", hub: options() });
    assert.equal(model.source.format, "gguf");
    assert.match(model.source.path, /snapshots\/[0-9a-f]{40}\/tiny-llama-Q8_0\.gguf$/);
    assert.deepEqual(await logits(model), await logits(await loadModel(repos.localGguf.get("Q8_0")!, { backend: "js" })));
    const bodies = hub.requests("cdn").map((r) => r.path);
    assert.deepEqual(bodies, [`/lfs/${sha256(hub.repos.get(GGUF_REPO)!.files.get("tiny-llama-Q8_0.gguf")!)}`], "only the chosen file");
  });

  it("takes a file named in the repo, case-insensitive labels, and says what a repo offers", async () => {
    const byName = await downloadModel(id(`hf:${GGUF_REPO}/tiny-llama-F16.gguf`), options());
    assert.match(byName.path, /tiny-llama-F16\.gguf$/);
    assert.match((await downloadModel(id(`hf:${GGUF_REPO}:q4_0`), options())).path, /tiny-llama-Q4_0\.gguf$/);
    await assert.rejects(downloadModel(id(`hf:${GGUF_REPO}:Q4_K_M`), options()), hubErrorWith("not-found", /no GGUF file with quant Q4_K_M: it offers F32, F16, Q8_0, Q4_0/));
    await assert.rejects(downloadModel(id(GGUF_REPO), options()), hubErrorWith("not-found", /several GGUF files and no Q4_K_M/));
  });
});

describe("hub errors", () => {
  it("a gated repo: 401 names HF_TOKEN; with the token it downloads", async () => {
    await assert.rejects(loadModel(GATED, { backend: "js", hub: options() }), hubErrorWith("unauthorized", /gated-llama is a gated repo \(HTTP 401\).*set HF_TOKEN/));
    const model = await loadModel(GATED, { backend: "js", hub: options({ token: GATED_TOKEN }) });
    assert.equal(model.config.numLayers, 2);
    assert.ok(hub.requests("hub").filter((r) => r.authorization !== undefined).every((r) => r.authorization === `Bearer ${GATED_TOKEN}`));
    assert.ok(hub.requests("cdn").every((r) => r.authorization === undefined), "the token never goes to the CDN");
  });

  it("the token comes from HF_TOKEN or the token file when not given in code", async () => {
    const home = await mkdtemp(join(tmpdir(), "lmscope-hf-home-"));
    await writeFile(join(home, "token"), `${GATED_TOKEN}\n`);
    const saved = { HF_HOME: process.env["HF_HOME"], HF_TOKEN: process.env["HF_TOKEN"] };
    try {
      process.env["HF_HOME"] = home;
      delete process.env["HF_TOKEN"];
      const { token: _none, ...fromEnvironment } = options();
      await downloadModel(id(GATED), fromEnvironment);
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it("404s name the repo, the revision or the file", async () => {
    await assert.rejects(downloadModel(id("lmscope-test/no-such-model"), options()), hubErrorWith("not-found", /repository lmscope-test\/no-such-model was not found \(HTTP 404\)/));
    await assert.rejects(downloadModel(id(`hf:${SHARDED}@v9`), options()), hubErrorWith("not-found", /revision "v9" was not found/));
    await assert.rejects(downloadModel(id(`hf:${GGUF_REPO}/missing.gguf`), options()), hubErrorWith("not-found", /: missing\.gguf: the file is not in/));
    hub.hidden.add("tokenizer.json");
    try {
      await assert.rejects(downloadModel(id(SHARDED), options()), hubErrorWith("not-found", /tiny-llama: tokenizer\.json: the file was not found in .* \(HTTP 404\)/));
    } finally {
      hub.hidden.delete("tokenizer.json");
    }
  });

  it("a cache folder that cannot be written is a HubError naming the path", async () => {
    const notAFolder = join(cacheDir, "file");
    await writeFile(notAFolder, "");
    await assert.rejects(downloadModel(id(SHARDED), options({ cacheDir: notAFolder })), hubErrorWith("cache", /the hub cache cannot be used: (ENOTDIR|EEXIST) on .*file.*HF_HUB_CACHE/));
  });

  it("a repo with only pickled weights is refused without downloading them", async () => {
    await assert.rejects(downloadModel(id(PICKLES_ONLY), options()), hubErrorWith("unsupported", /only pickled PyTorch weights \(pytorch_model\.bin\).*never pickles/));
    assert.ok(!hub.log.some((r) => r.path.endsWith(".bin")));
  });

  it("a local folder of the same name wins over the hub", async () => {
    const cwd = process.cwd();
    const work = await mkdtemp(join(tmpdir(), "lmscope-local-wins-"));
    await import("node:fs/promises").then(({ cp }) => cp(repos.localFolder, join(work, SHARDED), { recursive: true }));
    try {
      process.chdir(work);
      const model = await loadModel(SHARDED, { backend: "js", hub: options() });
      assert.equal(model.source.path, SHARDED);
      assert.equal(hub.log.length, 0);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe("hub cache layout", () => {
  it("blobs named by ETag, relative snapshot symlinks, refs/main holding the commit", async () => {
    const result = await downloadModel(id(SHARDED), options());
    const repo = hub.repos.get(SHARDED)!;
    const storage = join(cacheDir, repoFolderName(SHARDED));
    assert.equal(await readFile(join(storage, "refs", "main"), "utf8"), repo.commit);
    assert.equal(result.snapshot, join(storage, "snapshots", repo.commit));
    for (const file of SHARDED_NEEDED) {
      const pointer = join(result.snapshot, file);
      assert.ok((await lstat(pointer)).isSymbolicLink(), file);
      const etag = hubEtag(file, repo.files.get(file)!);
      assert.equal(await readlink(pointer), `../../blobs/${etag}`);
      assert.deepEqual(new Uint8Array(await readFile(join(storage, "blobs", etag))), repo.files.get(file));
    }
    assert.deepEqual((await readdir(join(storage, "blobs"))).sort(), SHARDED_NEEDED.map((f) => hubEtag(f, repo.files.get(f)!)).sort());
  });
});
