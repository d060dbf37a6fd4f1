// A lock file shared by processes on one machine (or one network file system):
// created with O_EXCL, holding the owner's host and pid, its modification time
// refreshed while held. A waiter takes over a lock whose owner process is gone
// (same host) or whose time went stale (another host, or a frozen owner).
// Node has no flock(2), so this cannot share Python's filelock; it uses its own
// file name beside Python's, and the download it guards stays safe without it
// (positional writes of the same bytes, verification, atomic rename).
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm, stat, utimes } from "node:fs/promises";
import { hostname } from "node:os";
import { dirname } from "node:path";

export interface LockOptions {
  /** A lock not refreshed for this long is taken over (default 60 s). */
  staleMs?: number;
  /** How often a waiter looks again (default 100 ms). */
  pollMs?: number;
  /** Called once when the lock is held by someone else and this process starts waiting. */
  onWait?: () => void;
}

interface Owner {
  host: string;
  pid: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function isStale(path: string, staleMs: number): Promise<boolean> {
  try {
    const [text, info] = await Promise.all([readFile(path, "utf8"), stat(path)]);
    let owner: Partial<Owner> = {};
    try {
      owner = JSON.parse(text) as Partial<Owner>;
    } catch {
      // Being written right now, or not ours: judge by its age alone.
    }
    if (owner.host === hostname() && typeof owner.pid === "number" && owner.pid !== process.pid && !processIsAlive(owner.pid)) return true;
    return Date.now() - info.mtimeMs > staleMs;
  } catch {
    return false; // gone already: the next attempt will tell
  }
}

/** Waits for the lock at `path` and holds it; the returned function releases it. */
export async function acquireLock(path: string, options: LockOptions = {}): Promise<() => Promise<void>> {
  const staleMs = options.staleMs ?? 60_000;
  const pollMs = options.pollMs ?? 100;
  await mkdir(dirname(path), { recursive: true });
  let waiting = false;
  for (;;) {
    try {
      const handle = await open(path, "wx");
      await handle.writeFile(JSON.stringify({ host: hostname(), pid: process.pid } satisfies Owner));
      await handle.close();
      const heartbeat = setInterval(() => {
        const now = new Date();
        utimes(path, now, now).catch(() => undefined);
      }, Math.max(staleMs / 4, 10));
      heartbeat.unref();
      return async () => {
        clearInterval(heartbeat);
        await rm(path, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    if (await isStale(path, staleMs)) {
      // Moved aside under a unique name, then removed. Two waiters taking over the same dead
      // lock at once can still both go on; the download does not depend on the lock for
      // correctness, only for not fetching the same bytes twice.
      const aside = `${path}.${randomBytes(4).toString("hex")}.stale`;
      await rename(path, aside).then(() => rm(aside, { force: true }), () => undefined);
      continue;
    }
    if (!waiting) {
      waiting = true;
      options.onWait?.();
    }
    await sleep(pollMs);
  }
}
