// Downloads one file of the hub into the cache's blobs/ folder, as
// huggingface_hub's http_get does: into blobs/<etag>.incomplete, resuming with a
// Range request from the bytes already there (after a dropped connection, or a
// process that died half-way), then checked — the size the hub announced and,
// for LFS files (whose ETag is the sha256 of the content), the sha256 — and
// renamed atomically to blobs/<etag>. Bytes are written at their own offsets
// (never appended), so two writers of the same blob write the same bytes to the
// same places. Callers hold the blob's lock (file-lock.ts) around this.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { constants, open, rename, rm, stat, type FileHandle } from "node:fs/promises";
import { HubError } from "../../errors.js";
import type { FileProgress } from "./download-progress.js";

export interface RetryPolicy {
  /** Attempts in a row that bring no new byte before giving up (huggingface_hub: 5). */
  readonly attempts: number;
  /** Pause before a new attempt (huggingface_hub: 1 s). */
  readonly delayMs: number;
  /** A body that sends nothing for this long counts as dropped. */
  readonly idleTimeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, delayMs: 1000, idleTimeoutMs: 60_000 };

export interface BlobRequest {
  readonly repo: string;
  /** The file's path in the repo (for messages). */
  readonly file: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly blobPath: string;
  readonly incompletePath: string;
  readonly expectedSize: number | undefined;
  /** The sha256 the bytes must have (LFS files), if known. */
  readonly sha256: string | undefined;
  readonly progress: FileProgress;
  readonly retry: RetryPolicy;
  readonly fetch?: typeof fetch;
}

/** An LFS file's ETag is the sha256 of its content. */
export function lfsSha256(etag: string): string | undefined {
  return /^[0-9a-f]{64}$/.test(etag) ? etag : undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** The start offset of a 206 answer's Content-Range ("bytes 100-199/200"), or undefined. */
function rangeStart(response: Response): number | undefined {
  const match = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(response.headers.get("content-range") ?? "");
  return match === null ? undefined : Number(match[1]);
}

/** Streams the body into `handle` from `offset`; returns the new offset. Throws when the body breaks off. */
async function writeBody(request: BlobRequest, response: Response, handle: FileHandle, offset: number, abort: AbortController): Promise<number> {
  const reader = response.body!.getReader();
  let idle = setTimeout(() => abort.abort(), request.retry.idleTimeoutMs);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return offset;
      clearTimeout(idle);
      idle = setTimeout(() => abort.abort(), request.retry.idleTimeoutMs);
      if (request.expectedSize !== undefined && offset + value.byteLength > request.expectedSize) {
        throw new HubError(request.repo, "integrity", `the server sent more than the ${request.expectedSize} bytes the hub announced`, request.file);
      }
      for (let written = 0; written < value.byteLength; ) {
        const { bytesWritten } = await handle.write(value, written, value.byteLength - written, offset + written);
        written += bytesWritten;
      }
      offset += value.byteLength;
      request.progress.advance(value.byteLength);
    }
  } finally {
    clearTimeout(idle);
  }
}

/** Fetches the bytes not yet in the .incomplete file, retrying with Range after each drop. */
async function fetchRemainingBytes(request: BlobRequest, handle: FileHandle): Promise<number> {
  let offset = (await handle.stat()).size;
  if (request.expectedSize !== undefined && offset > request.expectedSize) {
    await handle.truncate(0);
    offset = 0;
  }
  let failures = 0;
  let lastError: unknown;
  while (request.expectedSize === undefined || offset < request.expectedSize) {
    if (failures >= request.retry.attempts) {
      const reason = lastError instanceof Error ? `: ${(lastError as Error & { cause?: Error }).cause?.message ?? lastError.message}` : "";
      throw new HubError(request.repo, "network", `the download broke off ${failures} times in a row at byte ${offset}${reason}; run again to resume it`, request.file);
    }
    // The bytes on disk say where to go on, also after a body that broke off half-way.
    offset = (await handle.stat()).size;
    const abort = new AbortController();
    const headers: Record<string, string> = { ...request.headers, "accept-encoding": "identity" };
    if (offset > 0) headers["range"] = `bytes=${offset}-`;
    const before = offset;
    try {
      const response = await (request.fetch ?? fetch)(request.url, { headers, signal: abort.signal });
      if (response.status === 416 && offset > 0) {
        await response.body?.cancel();
        await handle.truncate(0);
        request.progress.restart();
        offset = 0;
        continue;
      }
      if (!response.ok || response.body === null) {
        await response.body?.cancel();
        throw new HubError(request.repo, response.status === 401 || response.status === 403 ? "unauthorized" : "network", `downloading from ${new URL(request.url).origin} failed: HTTP ${response.status}`, request.file);
      }
      if (offset > 0 && (response.status !== 206 || rangeStart(response) !== offset)) {
        // The server ignored the Range: start again from the first byte.
        await handle.truncate(0);
        request.progress.restart();
        offset = 0;
      }
      offset = await writeBody(request, response, handle, offset, abort);
      if (request.expectedSize === undefined) return offset;
      if (offset < request.expectedSize) throw new Error(`the body ended at byte ${offset} of ${request.expectedSize}`);
    } catch (error) {
      if (error instanceof HubError) throw error;
      lastError = error;
      offset = (await handle.stat()).size;
      failures = offset > before ? 1 : failures + 1;
      await sleep(request.retry.delayMs);
    }
  }
  return offset;
}

/** Downloads the blob (resuming its .incomplete file), verifies it, and moves it into place. */
export async function downloadBlob(request: BlobRequest): Promise<void> {
  const handle = await open(request.incompletePath, constants.O_RDWR | constants.O_CREAT, 0o644);
  let size: number;
  try {
    size = await fetchRemainingBytes(request, handle);
    await handle.sync();
  } finally {
    await handle.close();
  }
  if (request.expectedSize !== undefined && size !== request.expectedSize) {
    await rm(request.incompletePath, { force: true });
    throw new HubError(request.repo, "integrity", `downloaded ${size} bytes but the hub announced ${request.expectedSize}`, request.file);
  }
  if (request.sha256 !== undefined) {
    const actual = await sha256OfFile(request.incompletePath);
    if (actual !== request.sha256) {
      await rm(request.incompletePath, { force: true });
      throw new HubError(request.repo, "integrity", `the downloaded bytes have sha256 ${actual}, not the ${request.sha256} the hub announced; run again to download it anew`, request.file);
    }
  }
  await rename(request.incompletePath, request.blobPath);
  request.progress.finish();
}

/** True when blobs/<etag> exists with the expected size. */
export async function blobIsComplete(path: string, expectedSize: number | undefined): Promise<boolean> {
  return stat(path).then(
    (info) => info.isFile() && (expectedSize === undefined || info.size === expectedSize),
    () => false,
  );
}
