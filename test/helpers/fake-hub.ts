// A local stand-in for the Hugging Face hub on 127.0.0.1, answering as the hub
// does (huggingface_hub's file_download.py and hf_api.py are what it must
// satisfy):
//   GET  /api/models/{repo}/revision/{rev}   {"id", "sha", "siblings": [{"rfilename"}]}
//   HEAD|GET /{repo}/resolve/{rev}/{path}   small files: 200 with ETag = git blob sha1;
//        LFS files (.safetensors, .gguf, .bin): 302 to a second server (the "CDN") with
//        X-Linked-Etag = sha256, X-Linked-Size; X-Repo-Commit on every answer
//   GET  {cdn}/lfs/{sha256}                  the bytes, with Range support (the CDN is
//        addressed as "localhost": another host name than the hub's 127.0.0.1)
// Errors carry X-Error-Code (RepoNotFound, RevisionNotFound, EntryNotFound,
// GatedRepo) as the hub sends them, and answers carry CORS headers (for browsers). Tests can make the CDN drop a connection after
// some bytes, slow it down, hide a listed file, rename a repo (relative redirect),
// and read the log of every request.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeRepo {
  /** 40-hex commit of "main". */
  readonly commit: string;
  readonly files: ReadonlyMap<string, Uint8Array>;
  /** Requests need `Authorization: Bearer <token>`. */
  readonly gatedToken?: string;
}

export interface LoggedRequest {
  readonly server: "hub" | "cdn";
  readonly method: string;
  readonly path: string;
  readonly range: string | undefined;
  readonly authorization: string | undefined;
}

export const isLfsPath = (path: string): boolean => /\.(safetensors|gguf|bin)$/.test(path);

export function gitBlobSha1(bytes: Uint8Array): string {
  return createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The ETag the hub gives a file: sha256 for LFS files, the git blob sha1 otherwise. */
export function hubEtag(path: string, bytes: Uint8Array): string {
  return isLfsPath(path) ? sha256(bytes) : gitBlobSha1(bytes);
}

/** CORS headers as the hub sends them (browsers fetch from other origins); true when a preflight was answered. */
function allowCors(req: IncomingMessage, res: ServerResponse): boolean {
  res.setHeader("access-control-allow-origin", "*");
  res.setHeader("access-control-expose-headers", "x-repo-commit, x-linked-etag, x-linked-size, x-error-code, x-error-message, etag, content-range, content-length");
  if (req.method !== "OPTIONS") return false;
  res.writeHead(204, { "access-control-allow-headers": "authorization, range, accept-encoding", "access-control-allow-methods": "GET, HEAD" });
  res.end();
  return true;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

export class FakeHub {
  readonly repos = new Map<string, FakeRepo>();
  readonly log: LoggedRequest[] = [];
  /** sha256 → bytes after which the CDN drops the connection, once per entry. */
  readonly dropOnceAfter = new Map<string, number>();
  /** Files listed but answered 404 EntryNotFound by resolve. */
  readonly hidden = new Set<string>();
  /** Old repo name → new name: resolve answers 307 with a relative Location. */
  readonly renamed = new Map<string, string>();
  /** CDN pacing: bytes per write and pause between writes (0: all at once). */
  pace = { bytes: 0, ms: 0 };
  /** When set, the CDN holds back the last bytes of a paced body until this is true (at most 30 s). */
  holdLastBytesUntil: (() => boolean) | undefined;
  endpoint = "";
  cdn = "";
  private readonly blobs = new Map<string, Uint8Array>();
  private readonly hubServer = createServer((req, res) => void this.answerHub(req, res));
  private readonly cdnServer = createServer((req, res) => void this.answerCdn(req, res));

  static async start(): Promise<FakeHub> {
    const hub = new FakeHub();
    hub.endpoint = await listen(hub.hubServer);
    // The CDN is another host, as for the real hub: "localhost" (the same loopback socket on
    // 127.0.0.1), so that clients treat the redirect as leaving the hub.
    hub.cdn = (await listen(hub.cdnServer)).replace("127.0.0.1", "localhost");
    return hub;
  }

  addRepo(name: string, repo: FakeRepo): void {
    this.repos.set(name, repo);
    for (const [path, bytes] of repo.files) if (isLfsPath(path)) this.blobs.set(sha256(bytes), bytes);
  }

  requests(server?: "hub" | "cdn"): LoggedRequest[] {
    return server === undefined ? [...this.log] : this.log.filter((r) => r.server === server);
  }

  async close(): Promise<void> {
    this.hubServer.closeAllConnections();
    this.cdnServer.closeAllConnections();
    await Promise.all([new Promise((r) => this.hubServer.close(r)), new Promise((r) => this.cdnServer.close(r))]);
  }

  private record(server: "hub" | "cdn", req: IncomingMessage): void {
    this.log.push({ server, method: req.method ?? "", path: decodeURIComponent((req.url ?? "").split("?")[0]!), range: req.headers.range, authorization: req.headers.authorization });
  }

  private fail(res: ServerResponse, status: number, code: string, message: string, commit?: string): void {
    res.writeHead(status, { "content-type": "application/json", "x-error-code": code, "x-error-message": message, ...(commit === undefined ? {} : { "x-repo-commit": commit }) });
    res.end(JSON.stringify({ error: message }));
  }

  /** The repo and commit a request names, or undefined after answering an error. */
  private access(req: IncomingMessage, res: ServerResponse, name: string, revision: string): { repo: FakeRepo; commit: string } | undefined {
    const repo = this.repos.get(name);
    if (repo === undefined) {
      this.fail(res, 404, "RepoNotFound", "Repository Not Found");
      return undefined;
    }
    if (repo.gatedToken !== undefined && req.headers.authorization !== `Bearer ${repo.gatedToken}`) {
      this.fail(res, 401, "GatedRepo", `Access to model ${name} is restricted. You must have access to it and be authenticated to access it. Please log in.`);
      return undefined;
    }
    if (revision !== "main" && revision !== repo.commit) {
      this.fail(res, 404, "RevisionNotFound", `Invalid rev id: ${revision}`);
      return undefined;
    }
    return { repo, commit: repo.commit };
  }

  private async answerHub(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.record("hub", req);
    if (allowCors(req, res)) return;
    const path = (req.url ?? "").split("?")[0]!;
    const listing = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/([^/]+)$/.exec(path);
    if (listing !== null && req.method === "GET") {
      const found = this.access(req, res, listing[1]!, decodeURIComponent(listing[2]!));
      if (found === undefined) return;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ id: listing[1], sha: found.commit, siblings: [...found.repo.files.keys()].map((rfilename) => ({ rfilename })) }));
      return;
    }
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (resolve === null || (req.method !== "GET" && req.method !== "HEAD")) {
      this.fail(res, 404, "NotFound", "Not Found");
      return;
    }
    const name = resolve[1]!;
    const renamedTo = this.renamed.get(name);
    if (renamedTo !== undefined) {
      res.writeHead(307, { location: path.replace(`/${name}/`, `/${renamedTo}/`) });
      res.end();
      return;
    }
    const found = this.access(req, res, name, decodeURIComponent(resolve[2]!));
    if (found === undefined) return;
    const file = decodeURIComponent(resolve[3]!);
    const bytes = found.repo.files.get(file);
    if (bytes === undefined || this.hidden.has(file)) {
      this.fail(res, 404, "EntryNotFound", `${file} does not exist on "main"`, found.commit);
      return;
    }
    if (isLfsPath(file)) {
      const pointer = `version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(bytes)}\nsize ${bytes.length}\n`;
      res.writeHead(302, {
        location: `${this.cdn}/lfs/${sha256(bytes)}?signature=fake`,
        "x-repo-commit": found.commit,
        "x-linked-etag": `"${sha256(bytes)}"`,
        "x-linked-size": String(bytes.length),
        etag: `"${gitBlobSha1(new TextEncoder().encode(pointer))}"`,
      });
      res.end();
      return;
    }
    res.writeHead(200, { "content-length": String(bytes.length), etag: `"${gitBlobSha1(bytes)}"`, "x-repo-commit": found.commit, "content-type": "application/octet-stream" });
    res.end(req.method === "HEAD" ? undefined : bytes);
  }

  private async answerCdn(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.record("cdn", req);
    if (allowCors(req, res)) return;
    const match = /^\/lfs\/([0-9a-f]{64})$/.exec((req.url ?? "").split("?")[0]!);
    const bytes = match === null ? undefined : this.blobs.get(match[1]!);
    if (match === null || bytes === undefined) {
      res.writeHead(404);
      res.end();
      return;
    }
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    if (range !== null) {
      start = Number(range[1]);
      if (start >= bytes.length) {
        res.writeHead(416, { "content-range": `bytes */${bytes.length}` });
        res.end();
        return;
      }
      res.writeHead(206, { "content-length": String(bytes.length - start), "content-range": `bytes ${start}-${bytes.length - 1}/${bytes.length}`, "accept-ranges": "bytes" });
    } else {
      res.writeHead(200, { "content-length": String(bytes.length), "accept-ranges": "bytes" });
    }
    const body = bytes.subarray(start);
    const dropAfter = this.dropOnceAfter.get(match[1]!);
    if (dropAfter !== undefined) {
      this.dropOnceAfter.delete(match[1]!);
      res.write(body.subarray(0, dropAfter), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    if (this.pace.bytes <= 0) {
      res.end(body);
      return;
    }
    for (let at = 0; at < body.length; at += this.pace.bytes) {
      if (res.destroyed) return;
      const hold = this.holdLastBytesUntil;
      if (hold !== undefined && at + this.pace.bytes >= body.length) {
        for (const deadline = Date.now() + 30_000; !hold() && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 10));
      }
      res.write(body.subarray(at, at + this.pace.bytes));
      await new Promise((r) => setTimeout(r, this.pace.ms));
    }
    res.end();
  }
}
