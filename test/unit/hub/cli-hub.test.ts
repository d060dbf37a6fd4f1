// Hub ids on the command line: `lmscope download` (default files, --include,
// --revision), and --model org/name in generate, tokenize (tokenizer files only)
// and info, against the fake hub through HF_ENDPOINT / HF_HUB_CACHE / HF_HUB_OFFLINE.
import assert from "node:assert/strict";
import { mkdtemp, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, describe, it } from "node:test";
import { main } from "../../../src/cli/main.js";
import { captureIo } from "../../helpers/capture.js";
import { FakeHub } from "../../helpers/fake-hub.js";
import { buildHubRepos, GATED, GGUF_REPO, serveRepos, SHARDED, type HubRepos } from "../../helpers/hub-repos.js";

describe("hub ids on the command line", () => {
  let hub: FakeHub;
  let repos: HubRepos;
  const saved: Record<string, string | undefined> = {};
  const variables = ["HF_ENDPOINT", "HF_HUB_CACHE", "HF_HUB_OFFLINE", "HF_TOKEN", "HF_HOME"];
  before(async () => {
    repos = await buildHubRepos();
    hub = await FakeHub.start();
    serveRepos(hub, repos);
    for (const v of variables) saved[v] = process.env[v];
  });
  after(async () => {
    for (const v of variables) if (saved[v] === undefined) delete process.env[v];
    else process.env[v] = saved[v];
    await hub.close();
    await repos.dispose();
  });
  beforeEach(async () => {
    process.env["HF_ENDPOINT"] = hub.endpoint;
    process.env["HF_HUB_CACHE"] = await mkdtemp(join(tmpdir(), "lmscope-cli-hub-"));
    process.env["HF_HOME"] = await mkdtemp(join(tmpdir(), "lmscope-cli-hf-home-"));
    delete process.env["HF_HUB_OFFLINE"];
    delete process.env["HF_TOKEN"];
    hub.log.length = 0;
  });

  it("download prints the snapshot path; a second run downloads nothing", async () => {
    const io = captureIo();
    assert.equal(await main(["download", SHARDED], io), 0, io.stderr.text);
    const path = io.stdout.text.trim();
    assert.match(path, /models--lmscope-test--tiny-llama\/snapshots\/[0-9a-f]{40}$/);
    assert.deepEqual((await readdir(path)).sort(), ["config.json", "generation_config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json", "tokenizer.json", "tokenizer_config.json"]);
    assert.match(io.stderr.text, /hf:lmscope-test\/tiny-llama \(commit [0-9a-f]{40}\): 7 files, downloaded \d+/);
    const again = captureIo();
    assert.equal(await main(["download", `hf:${SHARDED}`], again), 0);
    assert.match(again.stderr.text, /all in the cache already/);
  });

  it("download --include takes globs and never fetches pickles; --revision conflicts are errors", async () => {
    const io = captureIo();
    assert.equal(await main(["download", SHARDED, "--include", "*.json", "--include", "*.bin"], io), 0, io.stderr.text);
    assert.deepEqual((await readdir(io.stdout.text.trim())).sort(), ["config.json", "generation_config.json", "model.safetensors.index.json", "tokenizer.json", "tokenizer_config.json"]);
    assert.match(io.stderr.text, /skipped pickled weights: pytorch_model\.bin/);
    assert.ok(!hub.log.some((r) => r.path.endsWith(".bin")));
    const conflict = captureIo();
    assert.equal(await main(["download", `hf:${SHARDED}@v1`, "--revision", "v2"], conflict), 1);
    assert.match(conflict.stderr.text, /option "--revision": conflicts with the revision/);
    const gated = captureIo();
    assert.equal(await main(["download", GATED], gated), 1);
    assert.match(gated.stderr.text, /lmscope download: lmscope-test\/gated-llama: .*set HF_TOKEN/);
  });

  it("generate, tokenize and info take hub ids; offline they use the cache", async () => {
    const tokenize = captureIo();
    assert.equal(await main(["tokenize", "--model", SHARDED, "--ids", "the cat"], tokenize), 0, tokenize.stderr.text);
    assert.match(tokenize.stdout.text, /^1( \d+)+\n$/);
    assert.ok(!hub.log.some((r) => r.path.endsWith(".safetensors")), "tokenize fetches no weights");

    const generate = captureIo();
    assert.equal(await main(["generate", "--model", `${GGUF_REPO}:Q8_0`, "--prompt", "the", "--max-tokens", "3", "--temperature", "0", "--backend", "js"], generate), 0, generate.stderr.text);
    assert.match(generate.stdout.text, /^the/);

    process.env["HF_HUB_OFFLINE"] = "1";
    hub.log.length = 0;
    const info = captureIo();
    assert.equal(await main(["info", `${GGUF_REPO}:Q8_0`], info), 0, info.stderr.text);
    assert.match(info.stdout.text, /architecture\s+llama/);
    const missing = captureIo();
    assert.equal(await main(["info", SHARDED], missing), 1);
    assert.match(missing.stderr.text, /HF_HUB_OFFLINE is set, and the cache lacks the weights of lmscope-test\/tiny-llama@main: neither model\.safetensors nor model\.safetensors\.index\.json is in/);
    assert.equal(hub.log.length, 0);
  });
});
