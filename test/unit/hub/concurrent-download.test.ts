// Two processes downloading the same file into one cache at once: the second
// waits for the first's lock, then finds the blob and links it; the file is
// fetched once and nothing is corrupted or left behind.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { repoFolderName } from "../../../src/io/hub/cache-layout.js";
import { FakeHub, sha256 } from "../../helpers/fake-hub.js";
import { buildHubRepos, GGUF_REPO, serveRepos, type HubRepos } from "../../helpers/hub-repos.js";
import { REPO_ROOT } from "../../helpers/paths.js";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function lmscope(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, "dist/src/cli/bin.js"), ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("concurrent downloads", () => {
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

  it("two processes downloading one file: fetched once, waited for, intact", async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), "lmscope-hub-concurrent-"));
    const file = hub.repos.get(GGUF_REPO)!.files.get("tiny-llama-F32.gguf")!;
    // The body comes slowly, and its last bytes only once the second process has asked for
    // the file's metadata too: the second one then reaches the lock while the first holds it.
    hub.pace = { bytes: Math.ceil(file.length / 50), ms: 10 };
    hub.holdLastBytesUntil = () => hub.requests("hub").filter((r) => r.method === "HEAD" && r.path.endsWith("/tiny-llama-F32.gguf")).length >= 2;
    const env: NodeJS.ProcessEnv = { PATH: process.env["PATH"], HOME: process.env["HOME"], HF_ENDPOINT: hub.endpoint, HF_HUB_CACHE: cacheDir };
    const runs = await Promise.all([lmscope(["download", `${GGUF_REPO}:F32`], env), lmscope(["download", `${GGUF_REPO}:F32`], env)]);
    hub.pace = { bytes: 0, ms: 0 };
    hub.holdLastBytesUntil = undefined;
    for (const run of runs) assert.equal(run.code, 0, run.stderr);
    assert.equal(runs[0]!.stdout, runs[1]!.stdout);
    assert.match(runs[0]!.stdout.trim(), /models--lmscope-test--tiny-llama-GGUF\/snapshots\/[0-9a-f]{40}\/tiny-llama-F32\.gguf$/);
    assert.ok(runs.some((r) => r.stderr.includes("waiting: another process is downloading tiny-llama-F32.gguf")), "one process waited for the other");
    assert.equal(hub.requests("cdn").filter((r) => r.path === `/lfs/${sha256(file)}`).length, 1, "the file was fetched once");
    assert.deepEqual(new Uint8Array(await readFile(runs[0]!.stdout.trim())), file);
    const storage = join(cacheDir, repoFolderName(GGUF_REPO));
    assert.deepEqual(await readdir(join(storage, "blobs")), [sha256(file)]);
    assert.deepEqual(await readdir(join(cacheDir, ".locks", repoFolderName(GGUF_REPO))), [], "no lock left behind");
  });
});
