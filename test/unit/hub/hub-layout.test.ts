// lmscope's hub cache is the one huggingface_hub makes, entry by entry:
// test/fixtures/hub-cache-layout.json is what huggingface_hub's hf_hub_download
// (1.33.0 and 2.0.0 give the same) left in a cache after fetching, from this same
// fake hub, the files an lmscope load fetches (scripts/refs/hub-cache-layout.py).
// Both ways: lmscope's downloads give that layout, and a cache laid out that way
// (as transformers leaves it) loads in lmscope with no network.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseHubModelId } from "../../../src/io/hub/model-id.js";
import { downloadModel } from "../../../src/io/hub/snapshot.js";
import { loadModel } from "../../../src/language-model.js";
import { FakeHub, hubEtag } from "../../helpers/fake-hub.js";
import { buildHubRepos, GGUF_REPO, serveRepos, SHARDED, type HubRepos } from "../../helpers/hub-repos.js";
import { TEST_FIXTURES } from "../../helpers/paths.js";

interface Entry {
  path: string;
  kind: "dir" | "file" | "symlink";
  target?: string;
  content?: string;
  holds?: string;
  first_line?: string;
}

const reference = JSON.parse(await readFile(join(TEST_FIXTURES, "hub-cache-layout.json"), "utf8")) as { entries: Entry[] };

describe("hub cache layout, as huggingface_hub makes it", () => {
  let hub: FakeHub;
  let repos: HubRepos;
  /** Symbolic name ({etag:…} / {commit:…}) of each ETag and commit, and the reverse. */
  const names = new Map<string, string>();
  const values = new Map<string, string>();
  before(async () => {
    repos = await buildHubRepos();
    hub = await FakeHub.start();
    serveRepos(hub, repos);
    for (const [repo, { commit, files }] of repos.repos) {
      names.set(commit, `{commit:${repo}}`);
      for (const [path, bytes] of files) if (!names.has(hubEtag(path, bytes))) names.set(hubEtag(path, bytes), `{etag:${repo}/${path}}`);
    }
    for (const [value, name] of names) values.set(name, value);
  });
  after(async () => {
    await hub.close();
    await repos.dispose();
  });

  const symbolic = (path: string) => path.split("/").map((part) => names.get(part) ?? part).join("/");
  const concrete = (path: string) => path.replace(/\{(?:etag|commit):[^}]+\}/g, (name) => values.get(name) ?? name);

  /** The served file whose bytes a blob holds. */
  function fileHeld(bytes: Uint8Array): string {
    const digest = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
    for (const [repo, { files }] of repos.repos) for (const [path, served] of files) if (digest(served) === digest(bytes)) return `${repo}/${path}`;
    return "(no served file)";
  }

  async function layout(root: string, folder = ""): Promise<Entry[]> {
    const out: Entry[] = [];
    for (const name of (await readdir(join(root, folder))).sort()) {
      const rel = folder === "" ? name : `${folder}/${name}`;
      if (rel.split("/")[0] === ".locks") continue;
      const full = join(root, rel);
      const info = await lstat(full);
      if (info.isSymbolicLink()) out.push({ path: symbolic(rel), kind: "symlink", target: symbolic(await readlink(full)) });
      else if (info.isDirectory()) out.push({ path: symbolic(rel), kind: "dir" }, ...(await layout(root, rel)));
      else if (`/${rel}`.includes("/refs/")) out.push({ path: symbolic(rel), kind: "file", content: symbolic(await readFile(full, "utf8")) });
      else if (`/${rel}`.includes("/blobs/")) out.push({ path: symbolic(rel), kind: "file", holds: fileHeld(new Uint8Array(await readFile(full))) });
      else out.push({ path: symbolic(rel), kind: "file", first_line: (await readFile(full, "utf8")).split("\n")[0]! });
    }
    return out;
  }

  it("lmscope's downloads leave exactly huggingface_hub's entries", async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), "lmscope-layout-"));
    const options = { endpoint: hub.endpoint, cacheDir, token: false as const, progress: false as const };
    await downloadModel(parseHubModelId(SHARDED)!, options);
    await downloadModel(parseHubModelId(`hf:${GGUF_REPO}:Q8_0`)!, options);
    const ours = (await layout(cacheDir)).sort((a, b) => (a.path < b.path ? -1 : 1));
    assert.deepEqual(ours, reference.entries);
  });

  it("a cache laid out by huggingface_hub loads in lmscope offline", async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), "lmscope-layout-python-"));
    for (const entry of reference.entries) {
      const path = join(cacheDir, concrete(entry.path));
      if (entry.kind === "dir") await mkdir(path, { recursive: true });
      else if (entry.kind === "symlink") await symlink(concrete(entry.target!), path);
      else if (entry.content !== undefined) await writeFile(path, concrete(entry.content));
      else if (entry.holds !== undefined) {
        const [org, name, ...file] = entry.holds.split("/");
        await writeFile(path, repos.repos.get(`${org}/${name}`)!.files.get(file.join("/"))!);
      } else await writeFile(path, `${entry.first_line}\n`);
    }
    hub.log.length = 0;
    const options = { hub: { cacheDir, offline: true, progress: false as const }, backend: "js" as const };
    const sharded = await loadModel(SHARDED, options);
    const local = await loadModel(repos.localFolder, { backend: "js" });
    const ids = [[1, 5, 9, 200]];
    assert.deepEqual((await sharded.forward(ids)).data, (await local.forward(ids)).data);
    assert.equal(sharded.hasTokenizer, true);
    const gguf = await loadModel(`hf:${GGUF_REPO}:Q8_0`, options);
    assert.equal(gguf.source.format, "gguf");
    assert.equal(hub.log.length, 0);
  });
});
