// A GGUF file from the hub in a browser: the repo listing gives the commit and
// the files, the file is chosen by its quant label (gguf-choice.ts), fetched from
// its commit-pinned resolve URL (the browser follows the redirect to the CDN and
// drops the token there) and kept in the Cache API under that URL, which never
// changes meaning. The listing is cached too, so a page that has loaded a model
// once loads it again offline. Only `fetch` and the Cache API are used: no Node
// module is reached from here.
import { HubError } from "../../errors.js";
import { chooseGgufFile } from "./gguf-choice.js";
import { authHeaders, fetchRepoListing, hubErrorFromResponse, hubFetch, listingUrl, resolveUrl, type HubConnection, type RepoListing } from "./hub-http.js";
import type { HubModelId } from "./model-id.js";

export const DEFAULT_BROWSER_ENDPOINT = "https://huggingface.co";
export const DEFAULT_CACHE_NAME = "lmscope-hub";

/** The part of the Cache API this module uses (window.caches.open(name) gives one). */
export interface ResponseCache {
  match(url: string): Promise<Response | undefined>;
  put(url: string, response: Response): Promise<void>;
}

export interface BrowserHubOptions {
  /** The hub (default https://huggingface.co). */
  endpoint?: string;
  /** An access token for gated or private repos. */
  token?: string;
  /** Where files are kept: a cache, or false for none (default: caches.open("lmscope-hub") where the Cache API exists). */
  cache?: ResponseCache | false;
  /** Bytes received so far and the total when known. */
  onProgress?: (loaded: number, total: number | undefined) => void;
  fetch?: typeof fetch;
}

async function openCache(option: BrowserHubOptions["cache"]): Promise<ResponseCache | undefined> {
  if (option === false) return undefined;
  if (option !== undefined) return option;
  const storage = (globalThis as { caches?: { open(name: string): Promise<ResponseCache> } }).caches;
  return storage === undefined ? undefined : storage.open(DEFAULT_CACHE_NAME);
}

/** The listing from the network (and saved), or the saved one when the network fails. */
async function listing(connection: HubConnection, id: HubModelId, cache: ResponseCache | undefined): Promise<RepoListing> {
  const url = listingUrl(connection.endpoint, id.repo, id.revision);
  try {
    const fresh = await fetchRepoListing(connection, id);
    await cache?.put(url, new Response(JSON.stringify({ sha: fresh.commit, siblings: fresh.files.map((rfilename) => ({ rfilename })) }), { headers: { "content-type": "application/json" } }));
    return fresh;
  } catch (error) {
    const saved = error instanceof HubError && error.reason === "network" ? await cache?.match(url) : undefined;
    if (saved === undefined) throw error;
    return fetchRepoListing({ ...connection, fetch: async () => saved }, id);
  }
}

async function readBody(response: Response, onProgress: BrowserHubOptions["onProgress"]): Promise<Uint8Array> {
  const header = response.headers.get("content-length");
  const total = header === null ? undefined : Number(header);
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const reader = response.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.byteLength;
    onProgress?.(loaded, total);
  }
  if (total !== undefined && loaded !== total) throw new Error(`the body ended after ${loaded} of ${total} bytes`);
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

/** The bytes of the GGUF file `id` names (chosen by its quant label), from the Cache API or the hub. */
export async function fetchHubGguf(id: HubModelId, options: BrowserHubOptions = {}): Promise<{ bytes: Uint8Array; name: string }> {
  const connection: HubConnection = {
    endpoint: (options.endpoint ?? DEFAULT_BROWSER_ENDPOINT).replace(/\/+$/, ""),
    token: options.token,
    tokenHint: "pass an access token that may read it as the hub.token option",
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  };
  const cache = await openCache(options.cache);
  const { commit, files } = await listing(connection, id, cache);
  let file: string;
  if (id.file !== undefined) {
    if (!files.includes(id.file)) throw new HubError(id.repo, "not-found", `the file is not in ${id.repo}@${id.revision}`, id.file);
    file = id.file;
  } else if (files.some((f) => /\.gguf$/i.test(f))) {
    file = chooseGgufFile(id.repo, files, id.quant);
  } else {
    throw new HubError(id.repo, "unsupported", "holds no GGUF file: in browsers lmscope loads GGUF files (weights and tokenizer in one file)");
  }
  const url = resolveUrl(connection.endpoint, id.repo, commit, file);
  const name = `${id.repo}/${file}`;
  const cached = await cache?.match(url);
  if (cached !== undefined) return { bytes: new Uint8Array(await cached.arrayBuffer()), name };
  const response = await hubFetch(connection, url, { headers: authHeaders(connection.token) }, id, file);
  if (!response.ok || response.body === null) throw hubErrorFromResponse(response, id, file, connection.tokenHint);
  let bytes: Uint8Array;
  try {
    bytes = await readBody(response, options.onProgress);
  } catch (error) {
    throw new HubError(id.repo, "network", `the download broke off (${(error as Error).message}); load it again to retry`, file);
  }
  await cache?.put(url, new Response(bytes.buffer as ArrayBuffer, { headers: { "content-type": "application/octet-stream", "content-length": String(bytes.byteLength) } }));
  return { bytes, name };
}
