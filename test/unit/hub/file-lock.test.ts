// The lock file of hub downloads: one holder at a time, a lock whose owner
// process is gone or whose time went stale is taken over, a live one is not.
import assert from "node:assert/strict";
import { mkdtemp, readdir, utimes, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { acquireLock } from "../../../src/io/hub/file-lock.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("acquireLock", () => {
  it("lets one holder in at a time and removes the file on release", async () => {
    const dir = await mkdtemp(join(tmpdir(), "lmscope-lock-"));
    const path = join(dir, "sub", "x.lock");
    const events: string[] = [];
    const first = await acquireLock(path, { pollMs: 5 });
    let waited = false;
    const second = acquireLock(path, { pollMs: 5, onWait: () => (waited = true) }).then((release) => {
      events.push("second acquired");
      return release;
    });
    await sleep(50);
    events.push("first releases");
    await first();
    await (await second)();
    assert.deepEqual(events, ["first releases", "second acquired"]);
    assert.ok(waited);
    assert.deepEqual(await readdir(join(dir, "sub")), []);
  });

  it("takes over a lock whose owner process is gone", async () => {
    const dir = await mkdtemp(join(tmpdir(), "lmscope-lock-"));
    const path = join(dir, "x.lock");
    // A pid far above any pid_max is not a live process.
    await writeFile(path, JSON.stringify({ host: hostname(), pid: 2 ** 30 }));
    const started = Date.now();
    const release = await acquireLock(path, { pollMs: 5, staleMs: 60_000 });
    assert.ok(Date.now() - started < 1000);
    await release();
  });

  it("takes over a stale lock of unknown owner, and waits for a fresh one", async () => {
    const dir = await mkdtemp(join(tmpdir(), "lmscope-lock-"));
    const path = join(dir, "x.lock");
    await writeFile(path, "");
    const old = new Date(Date.now() - 10_000);
    await utimes(path, old, old);
    await (await acquireLock(path, { pollMs: 5, staleMs: 1000 }))();

    await writeFile(path, JSON.stringify({ host: "another-host", pid: 1 }));
    let acquired = false;
    const pending = acquireLock(path, { pollMs: 5, staleMs: 300 }).then((release) => {
      acquired = true;
      return release;
    });
    await sleep(100);
    assert.equal(acquired, false, "a fresh lock of another host is respected");
    await (await pending)();
    assert.equal(acquired, true, "until it goes stale");
  });

  it("keeps a held lock fresh (its time is refreshed)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "lmscope-lock-"));
    const path = join(dir, "x.lock");
    const release = await acquireLock(path, { staleMs: 200 });
    await sleep(500);
    let acquired = false;
    const other = acquireLock(path, { pollMs: 5, staleMs: 200 }).then((r) => {
      acquired = true;
      return r;
    });
    await sleep(300);
    assert.equal(acquired, false);
    await release();
    await (await other)();
  });
});
