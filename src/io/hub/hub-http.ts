// Talking to the hub over HTTP, as huggingface_hub does (file_download.py
// hf_hub_url / get_hf_file_metadata, hf_api.py repo_info, utils/_http.py
// hf_raise_for_status): the URLs, the headers, the repo listing, a file's
// metadata from a HEAD request, and errors turned into HubErrors that say what
// to do. Uses only `fetch`, so browsers share it.
import { HubError } from "../../errors.js";
import type { HubModelId } from "./model-id.js";

export interface HubConnection {
  readonly endpoint: string;
  readonly token: string | undefined;
  /** How a user gives a token, for messages (default: the HF_TOKEN variable or the token file). */
  readonly tokenHint?: string;
  /** The fetch to use (default: the global one). */
  readonly fetch?: typeof fetch;
}

/** What /api/models/{repo}/revision/{revision} says about a repo. */
export interface RepoListing {
  /** The commit the revision points at. */
  readonly commit: string;
  /** Every file of the repo at that commit (paths with "/"). */
  readonly files: readonly string[];
}

/** What a HEAD request on a file's resolve URL says about it. */
export interface FileMetadata {
  readonly commit: string;
  /** X-Linked-Etag (LFS: the sha256 of the content) or ETag, without quotes or W/. */
  readonly etag: string;
  /** X-Linked-Size, or Content-Length when the answer is not a redirect. */
  readonly size: number | undefined;
  /** Where the bytes are: a CDN URL for LFS files, the resolve URL otherwise. */
  readonly location: string;
}

const MAX_HUB_REDIRECTS = 10;
/** How long a listing or HEAD request may take (huggingface_hub HF_HUB_ETAG_TIMEOUT: 10 s). */
const METADATA_TIMEOUT_MS = 10_000;
/** The largest listing accepted (the hub's biggest repos list a few MB of file names). */
const MAX_LISTING_BYTES = 64 * 1024 * 1024;

function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

/** {endpoint}/{repo}/resolve/{revision}/{file} (huggingface_hub hf_hub_url). */
export function resolveUrl(endpoint: string, repo: string, revision: string, file: string): string {
  return `${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${encodePath(file)}`;
}

/** {endpoint}/api/models/{repo}/revision/{revision} (huggingface_hub HfApi.model_info). */
export function listingUrl(endpoint: string, repo: string, revision: string): string {
  return `${endpoint}/api/models/${repo}/revision/${encodeURIComponent(revision)}`;
}

export function authHeaders(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}

const TOKEN_HINT = "set HF_TOKEN to an access token that may read it (or run `hf auth login`, which writes $HF_HOME/token)";

/** The HubError for a failed answer, phrased from the hub's X-Error-Code as hf_raise_for_status does. */
export function hubErrorFromResponse(response: Response, id: HubModelId, file?: string, tokenHint = TOKEN_HINT): HubError {
  const code = response.headers.get("x-error-code");
  const status = `HTTP ${response.status}`;
  const where = `${id.repo}@${id.revision}`;
  if (code === "GatedRepo" || ((response.status === 401 || response.status === 403) && code !== "RepoNotFound" && code !== "EntryNotFound")) {
    const gated = code === "GatedRepo" ? `${id.repo} is a gated repo` : `access to ${id.repo} was refused`;
    return new HubError(
      id.repo,
      "unauthorized",
      `${gated} (${status}): accept its terms on the model's page if it has any, then ${tokenHint}`,
      file,
    );
  }
  if (code === "RevisionNotFound") return new HubError(id.repo, "not-found", `revision ${JSON.stringify(id.revision)} was not found (${status})`, file);
  if (code === "EntryNotFound" || (file !== undefined && response.status === 404 && code !== "RepoNotFound")) {
    return new HubError(id.repo, "not-found", `the file was not found in ${where} (${status})`, file);
  }
  if (code === "RepoNotFound" || response.status === 404 || response.status === 401) {
    return new HubError(id.repo, "not-found", `repository ${id.repo} was not found (${status}); if it is private, ${tokenHint}`, file);
  }
  return new HubError(id.repo, response.status >= 500 ? "network" : "protocol", `the hub answered ${status} ${response.statusText}`.trim(), file);
}

function networkError(error: unknown, id: HubModelId, url: string, file?: string): HubError {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const reason = cause?.code ?? cause?.message ?? (error as Error).message;
  return new HubError(id.repo, "network", `cannot reach ${new URL(url).origin} (${reason}); set HF_HUB_OFFLINE=1 to use the cache only`, file);
}

/** fetch that turns a failure to connect into a HubError. */
export async function hubFetch(connection: HubConnection, url: string, init: RequestInit, id: HubModelId, file?: string): Promise<Response> {
  try {
    return await (connection.fetch ?? fetch)(url, init);
  } catch (error) {
    throw networkError(error, id, url, file);
  }
}

/** The commit a revision points at and the repo's files. */
export async function fetchRepoListing(connection: HubConnection, id: HubModelId): Promise<RepoListing> {
  const url = listingUrl(connection.endpoint, id.repo, id.revision);
  const response = await hubFetch(connection, url, { headers: authHeaders(connection.token), signal: AbortSignal.timeout(METADATA_TIMEOUT_MS) }, id);
  if (!response.ok) throw hubErrorFromResponse(response, id, undefined, connection.tokenHint);
  const length = Number(response.headers.get("content-length") ?? "0");
  if (length > MAX_LISTING_BYTES) throw new HubError(id.repo, "protocol", `the repo listing is ${length} bytes, more than the ${MAX_LISTING_BYTES} accepted`);
  let body: unknown;
  try {
    body = JSON.parse(await response.text());
  } catch {
    throw new HubError(id.repo, "protocol", `${url} did not answer with JSON`);
  }
  const { sha, siblings } = (typeof body === "object" && body !== null ? body : {}) as { sha?: unknown; siblings?: unknown };
  if (typeof sha !== "string" || !/^[0-9a-f]{40}$/.test(sha) || !Array.isArray(siblings)) {
    throw new HubError(id.repo, "protocol", `${url} answered without a commit "sha" and a "siblings" list`);
  }
  const files = siblings.map((s: unknown) => (s as { rfilename?: unknown }).rfilename);
  if (!files.every((f): f is string => typeof f === "string")) throw new HubError(id.repo, "protocol", `${url} lists a sibling without an "rfilename"`);
  return { commit: sha, files };
}

function normalizeEtag(etag: string | null): string | undefined {
  return etag === null ? undefined : etag.replace(/^W\//, "").replace(/^"|"$/g, "");
}

function sizeHeader(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value);
}

/**
 * HEAD on the file's resolve URL. Redirects on the hub's own origin (a renamed
 * repo) are followed; a redirect elsewhere (the CDN holding LFS files) is not:
 * its headers carry the metadata, and the token must not leave the hub.
 */
export async function fetchFileMetadata(connection: HubConnection, id: HubModelId, commit: string, file: string): Promise<FileMetadata> {
  let url = resolveUrl(connection.endpoint, id.repo, commit, file);
  const origin = new URL(url).origin;
  for (let hop = 0; hop <= MAX_HUB_REDIRECTS; hop++) {
    const response = await hubFetch(
      connection,
      url,
      { method: "HEAD", redirect: "manual", headers: { ...authHeaders(connection.token), "accept-encoding": "identity" }, signal: AbortSignal.timeout(METADATA_TIMEOUT_MS) },
      id,
      file,
    );
    const location = response.headers.get("location");
    const redirect = response.status >= 300 && response.status < 400 && location !== null;
    if (!redirect && !response.ok) throw hubErrorFromResponse(response, id, file, connection.tokenHint);
    const target = redirect ? new URL(location, url).href : url;
    if (redirect && new URL(target).origin === origin) {
      url = target;
      continue;
    }
    const fileCommit = response.headers.get("x-repo-commit");
    const etag = normalizeEtag(response.headers.get("x-linked-etag") ?? response.headers.get("etag"));
    if (fileCommit === null) throw new HubError(id.repo, "protocol", `${url} answered without an X-Repo-Commit header: is HF_ENDPOINT a Hugging Face hub?`, file);
    if (etag === undefined || etag === "") throw new HubError(id.repo, "protocol", `${url} answered without an ETag`, file);
    const size = sizeHeader(response.headers.get("x-linked-size")) ?? (redirect ? undefined : sizeHeader(response.headers.get("content-length")));
    return { commit: fileCommit, etag, size, location: target };
  }
  throw new HubError(id.repo, "protocol", `more than ${MAX_HUB_REDIRECTS} redirects resolving the file`, file);
}
