// A hub model as a local path: the repo's listing says which commit a revision
// is at and which files it has; the files a load needs (needed-files.ts) that
// the cache lacks are downloaded (HEAD for their ETag and size, then the blob,
// under a lock) and linked into snapshots/<commit>/; the path returned is that
// snapshot folder, or the GGUF file in it. With HF_HUB_OFFLINE — or when the
// hub cannot be reached or refuses access — the cache alone answers, as in
// huggingface_hub, and a missing file is a HubError that names it.
import { mkdir, readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { HubError } from "../../errors.js";
import { RepoCache } from "./cache-layout.js";
import { blobIsComplete, DEFAULT_RETRY, downloadBlob, lfsSha256, type RetryPolicy } from "./download-blob.js";
import { quietProgress, terminalProgress, type DownloadProgress } from "./download-progress.js";
import { acquireLock, type LockOptions } from "./file-lock.js";
import { filterByGlobs } from "./glob.js";
import { authHeaders, fetchFileMetadata, fetchRepoListing, type FileMetadata, type HubConnection } from "./hub-http.js";
import { hubSettings, type HubOptions, type HubSettings } from "./hub-settings.js";
import type { HubModelId } from "./model-id.js";
import { CONFIG_FILES, isPickle, planLoad, SAFETENSORS_FILE, SAFETENSORS_INDEX, shardsOfIndex, TOKENIZER_FILES, type LoadPlan } from "./needed-files.js";

export interface HubFetchOptions extends HubOptions {
  /** Where progress bars go: a stream (drawn only when it is a terminal), a reporter, or false for none. Default: stderr. */
  progress?: NodeJS.WritableStream | DownloadProgress | false;
  /** What the caller needs: the whole model (default) or only its tokenizer and config. */
  need?: "model" | "tokenizer";
  retry?: Partial<RetryPolicy>;
  lock?: LockOptions;
  /** Called when another process holds the download of `file` and this one waits for it. */
  onLockWait?: (file: string) => void;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
}

export interface DownloadResult {
  /** The snapshot folder (snapshots/<commit>/). */
  readonly snapshot: string;
  /** What a loader should open: the snapshot folder, or the GGUF file in it. */
  readonly path: string;
  readonly commit: string;
  readonly files: readonly string[];
  /** Bytes downloaded by this call (0 when everything was cached). */
  readonly downloadedBytes: number;
}

interface Session {
  readonly id: HubModelId;
  readonly settings: HubSettings;
  readonly cache: RepoCache;
  readonly connection: HubConnection;
  readonly options: HubFetchOptions;
}

async function progressFor(option: HubFetchOptions["progress"]): Promise<DownloadProgress> {
  if (option === false) return quietProgress;
  if (option === undefined) return terminalProgress(process.stderr);
  return "file" in option && "total" in option ? option : terminalProgress(option as NodeJS.WritableStream);
}

/** Downloads into the cache whichever of `files` (at `commit`) it lacks; returns the bytes fetched. */
async function ensureFiles(session: Session, commit: string, files: readonly string[], progress: DownloadProgress): Promise<number> {
  const { id, cache, connection, settings } = session;
  const missing: string[] = [];
  for (const file of files) {
    cache.checkPath(file);
    if (!(await cache.hasFile(commit, file))) missing.push(file);
  }
  const fetched: { file: string; meta: FileMetadata }[] = [];
  for (const file of missing) {
    const meta = await fetchFileMetadata(connection, id, commit, file);
    cache.checkEtag(meta.etag, file);
    if (meta.commit !== commit) throw new HubError(id.repo, "protocol", `the hub answered for commit ${meta.commit}, not ${commit}`, file);
    if (await blobIsComplete(cache.blobPath(meta.etag), meta.size)) await cache.linkSnapshot(commit, file, meta.etag);
    else fetched.push({ file, meta });
  }
  if (fetched.length === 0) return 0;
  await cache.tagCacheDir();
  await mkdir(cache.blobsDir, { recursive: true });
  progress.total(fetched.reduce((sum, f) => sum + (f.meta.size ?? 0), 0));
  const retry = { ...DEFAULT_RETRY, ...session.options.retry };
  const endpointOrigin = new URL(settings.endpoint).origin;
  let downloaded = 0;
  for (const { file, meta } of fetched) {
    const blobPath = cache.blobPath(meta.etag);
    const onLockWait = session.options.onLockWait;
    const release = await acquireLock(cache.lockPath(meta.etag), { ...session.options.lock, ...(onLockWait === undefined ? {} : { onWait: () => onLockWait(file) }) });
    try {
      if (!(await blobIsComplete(blobPath, meta.size))) {
        const incompletePath = cache.incompletePath(meta.etag);
        const done = await stat(incompletePath).then(
          (info) => info.size,
          () => 0,
        );
        const fileProgress = progress.file(file, meta.size, Math.min(done, meta.size ?? done));
        await downloadBlob({
          repo: id.repo,
          file,
          url: meta.location,
          // The token goes to the hub only, never to the CDN an LFS file redirects to.
          headers: new URL(meta.location).origin === endpointOrigin ? authHeaders(settings.token) : {},
          blobPath,
          incompletePath,
          expectedSize: meta.size,
          sha256: lfsSha256(meta.etag),
          progress: fileProgress,
          retry,
          ...(session.options.fetch === undefined ? {} : { fetch: session.options.fetch }),
        });
        downloaded += (meta.size ?? 0) - Math.min(done, meta.size ?? done);
      }
      await cache.linkSnapshot(commit, file, meta.etag);
    } finally {
      await release();
    }
  }
  return downloaded;
}

/** Every file under a snapshot folder, as repo paths. */
async function snapshotFiles(dir: string, prefix = ""): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const entry of entries) {
    const path = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await snapshotFiles(join(dir, entry.name), path)));
    else out.push(path);
  }
  return out;
}

function planFor(session: Session, files: readonly string[]): LoadPlan {
  if (session.options.need !== "tokenizer") return planLoad(session.id, files);
  const wanted = [...CONFIG_FILES, ...TOKENIZER_FILES].filter((f) => files.includes(f));
  if (wanted.length === 0) return planLoad(session.id, files);
  return { kind: "folder", files: wanted, index: undefined };
}

function result(session: Session, commit: string, plan: LoadPlan, files: readonly string[], downloadedBytes: number): DownloadResult {
  const snapshot = session.cache.snapshotDir(commit);
  const path = plan.kind === "gguf" ? session.cache.pointerPath(commit, plan.file) : snapshot;
  return { snapshot, path, commit, files, downloadedBytes };
}

/** The model from the cache alone; `why` says why the network is not used. */
async function fromCache(session: Session, why: string, original?: HubError): Promise<DownloadResult> {
  const { id, cache } = session;
  const fail = (detail: string, file?: string): never => {
    throw original ?? new HubError(id.repo, "offline", `${why}, and ${detail}`, file);
  };
  const commit = await cache.readRef(id.revision);
  if (commit === undefined) return fail(`the cache (${cache.storage}) has no copy of revision ${id.revision}: download it once with the network on`);
  const snapshot = cache.snapshotDir(commit);
  const present = await snapshotFiles(snapshot);
  let plan: LoadPlan;
  try {
    plan = planFor(session, present);
  } catch (error) {
    if (!(error instanceof HubError)) throw error;
    if (present.includes("config.json") && id.quant === undefined && id.file === undefined) {
      return fail(`the cache lacks the weights of ${id.repo}@${id.revision}: neither ${SAFETENSORS_FILE} nor ${SAFETENSORS_INDEX} is in ${snapshot}`);
    }
    return fail(`the cached snapshot ${snapshot} does not hold what a load needs (${error.detail})`);
  }
  const needed = plan.kind === "gguf" ? [plan.file] : [...plan.files];
  if (plan.kind === "folder" && plan.index !== undefined && (await cache.hasFile(commit, plan.index))) {
    needed.push(...shardsOfIndex(id.repo, await readFile(cache.pointerPath(commit, plan.index), "utf8"), undefined));
  }
  for (const file of needed) {
    if (!(await cache.hasFile(commit, file))) fail(`the cache lacks ${file} of ${id.repo}@${id.revision} (looked in ${snapshot})`, file);
  }
  return result(session, commit, plan, needed, 0);
}

async function openSession(id: HubModelId, options: HubFetchOptions): Promise<Session> {
  const settings = await hubSettings(options);
  const connection: HubConnection = { endpoint: settings.endpoint, token: settings.token, ...(options.fetch === undefined ? {} : { fetch: options.fetch }) };
  return { id, settings, cache: new RepoCache(settings.cacheDir, id.repo), connection, options };
}

/** The listing, or the cache's answer when the hub is offline, unreachable or refuses access. */
async function listOrFallBack(session: Session): Promise<{ commit: string; files: readonly string[] } | DownloadResult> {
  if (session.settings.offline) return fromCache(session, "HF_HUB_OFFLINE is set");
  try {
    return await fetchRepoListing(session.connection, session.id);
  } catch (error) {
    if (error instanceof HubError && (error.reason === "network" || error.reason === "unauthorized")) return fromCache(session, error.message, error);
    throw error;
  }
}

/** File-system failures in the cache (a read-only or full disk …) as HubErrors naming the path. */
async function inCache<T>(id: HubModelId, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const { code, path } = error as NodeJS.ErrnoException;
    if (error instanceof HubError || code === undefined || path === undefined) throw error;
    throw new HubError(id.repo, "cache", `the hub cache cannot be used: ${code} on ${path} (set HF_HUB_CACHE to a writable folder)`);
  }
}

/** Makes the files a load of `id` needs available in the hub cache and returns where they are. */
export async function downloadModel(id: HubModelId, options: HubFetchOptions = {}): Promise<DownloadResult> {
  return inCache(id, () => downloadPlanned(id, options));
}

async function downloadPlanned(id: HubModelId, options: HubFetchOptions): Promise<DownloadResult> {
  const session = await openSession(id, options);
  const listing = await listOrFallBack(session);
  if ("path" in listing) return listing;
  const { commit, files } = listing;
  session.cache.checkCommit(commit);
  await session.cache.writeRef(id.revision, commit);
  const plan = planFor(session, files);
  const progress = await progressFor(options.progress);
  try {
    let downloaded = 0;
    if (plan.kind === "gguf") {
      downloaded = await ensureFiles(session, commit, [plan.file], progress);
      return result(session, commit, plan, [plan.file], downloaded);
    }
    let needed = [...plan.files];
    if (plan.index !== undefined) {
      downloaded += await ensureFiles(session, commit, [plan.index], quietProgress);
      needed = [...needed, ...shardsOfIndex(id.repo, await readFile(session.cache.pointerPath(commit, plan.index), "utf8"), files)];
    }
    downloaded += await ensureFiles(session, commit, needed, progress);
    return result(session, commit, plan, needed, downloaded);
  } finally {
    progress.stop();
  }
}

/** Downloads the repo files matching `patterns` (never pickles); returns the snapshot and the files. */
export async function downloadMatching(id: HubModelId, patterns: readonly string[], options: HubFetchOptions = {}): Promise<DownloadResult & { skippedPickles: readonly string[] }> {
  return inCache(id, () => downloadMatchingFiles(id, patterns, options));
}

async function downloadMatchingFiles(id: HubModelId, patterns: readonly string[], options: HubFetchOptions): Promise<DownloadResult & { skippedPickles: readonly string[] }> {
  const session = await openSession(id, options);
  if (session.settings.offline) throw new HubError(id.repo, "offline", "HF_HUB_OFFLINE is set: nothing can be downloaded");
  const { commit, files } = await fetchRepoListing(session.connection, id);
  session.cache.checkCommit(commit);
  await session.cache.writeRef(id.revision, commit);
  const matching = filterByGlobs(files, patterns);
  const skippedPickles = matching.filter(isPickle);
  const wanted = matching.filter((f) => !isPickle(f));
  if (wanted.length === 0) {
    throw new HubError(id.repo, "not-found", `no file of ${id.repo}@${id.revision} matches ${patterns.join(", ")}${skippedPickles.length > 0 ? " except pickled weights, which lmscope never downloads" : ""}`);
  }
  const progress = await progressFor(options.progress);
  try {
    const downloaded = await ensureFiles(session, commit, wanted, progress);
    const snapshot = session.cache.snapshotDir(commit);
    return { snapshot, path: snapshot, commit, files: wanted, downloadedBytes: downloaded, skippedPickles };
  } finally {
    progress.stop();
  }
}
