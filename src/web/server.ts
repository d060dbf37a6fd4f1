// The inspector server: Node's http on 127.0.0.1 only (never another
// interface), serving the page, its modules and the API of api.ts. Every answer
// that is not a file is JSON; a bad request gets a 4xx naming what was wrong,
// an unexpected failure a 500 without internals, and the server keeps serving.
// Requests whose Host is not this loopback address are refused (DNS rebinding),
// paths that would leave the package are refused, bodies are capped at 1 MiB.

import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname } from "node:path";
import type { LanguageModel } from "../language-model.js";
import { answerGenerate, answerInspect, modelDescription, RequestError, type ApiAnswer } from "./api.js";
import { browserDependencies, fileInside, MODULE_TYPES, PACKAGE_SOURCE, pageHtml } from "./assets.js";

export const HOST = "127.0.0.1";
const MAX_BODY_BYTES = 1 << 20;

export interface InspectorServerOptions {
  /** Port on 127.0.0.1 (default 8080; 0 picks a free one). */
  readonly port?: number;
  /** The model's name on the page (default: the path it was loaded from). */
  readonly name?: string;
}

export interface InspectorServer {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

export async function startInspectorServer(model: LanguageModel, options: InspectorServerOptions = {}): Promise<InspectorServer> {
  const name = options.name ?? (model.source.path || model.config.modelType);
  const html = pageHtml({ api: "api" });
  const importMap = /<script type="importmap">(.*?)<\/script>/s.exec(html)![1]!;
  const policy = [
    "default-src 'self'",
    `script-src 'self' 'sha256-${createHash("sha256").update(importMap).digest("base64")}'`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
  let port = 0;
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!(error instanceof RequestError)) process.stderr.write(`lmscope inspector: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      const status = error instanceof RequestError ? error.status : 500;
      const type = error instanceof RequestError ? error.type : "InternalError";
      const message = error instanceof RequestError ? error.message : "the server failed on this request (see its console)";
      if (!response.headersSent) sendJson(response, status, { error: { type, message } });
      else response.destroy();
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const host = request.headers.host ?? "";
    if (host !== `${HOST}:${port}` && host !== `localhost:${port}`) throw new RequestError(403, `this server answers requests for ${HOST}:${port} only`, "Forbidden");
    const url = new URL(request.url ?? "/", `http://${HOST}:${port}`);
    const path = url.pathname;
    if (path === "/api/inspect" || path === "/api/generate") {
      allow(request, ["POST"]);
      const body = await readJson(request);
      const answer: ApiAnswer = path === "/api/inspect" ? answerInspect(model, body) : await answerGenerate(model, body);
      send(response, 200, answer.type, answer.body);
      return;
    }
    allow(request, ["GET", "HEAD"]);
    if (path === "/" || path === "/index.html") {
      send(response, 200, "text/html; charset=utf-8", html, { "Content-Security-Policy": policy });
    } else if (path === "/api/model") {
      sendJson(response, 200, modelDescription(model, name));
    } else if (path === "/favicon.ico") {
      send(response, 204, "text/plain", "");
    } else if (path.startsWith("/app/")) {
      const file = fileInside(PACKAGE_SOURCE, decodePath(path.slice("/app/".length)));
      const type = file === undefined ? undefined : MODULE_TYPES[extname(file)];
      if (file === undefined || type === undefined) throw notFound(path);
      send(response, 200, type, await readFile(file).catch(() => Promise.reject(notFound(path))));
    } else if (path.startsWith("/vendor/")) {
      const dependency = browserDependencies().find((d) => `/${d.url}` === path);
      if (dependency === undefined) throw notFound(path);
      send(response, 200, MODULE_TYPES[".js"]!, await readFile(dependency.file));
    } else {
      throw notFound(path);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8080, HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${HOST}:${port}/`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function allow(request: IncomingMessage, methods: readonly string[]): void {
  if (!methods.includes(request.method ?? "")) {
    throw new RequestError(405, `${request.method} is not allowed here (allowed: ${methods.join(", ")})`, "MethodNotAllowed");
  }
}

function notFound(path: string): RequestError {
  return new RequestError(404, `nothing is served at ${JSON.stringify(path)}`, "NotFound");
}

/** A URL path percent-decoded; a malformed escape is a 400. */
function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    throw new RequestError(400, "the path has a malformed percent escape");
  }
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const declared = Number(request.headers["content-length"] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new RequestError(413, `the body is larger than ${MAX_BODY_BYTES} bytes`, "PayloadTooLarge");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new RequestError(413, `the body is larger than ${MAX_BODY_BYTES} bytes`, "PayloadTooLarge");
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") throw new RequestError(400, "the body is empty: send a JSON object such as {\"prompt\": \"Once upon a time\"}");
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new RequestError(400, `the body is not JSON: ${(error as Error).message}`);
  }
}

function send(response: ServerResponse, status: number, type: string, body: string | Uint8Array, headers: Record<string, string> = {}): void {
  response.writeHead(status, { "Content-Type": type, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store", ...headers });
  response.end(response.req.method === "HEAD" ? undefined : body);
}

function sendJson(response: ServerResponse, status: number, value: unknown): void {
  send(response, status, "application/json; charset=utf-8", JSON.stringify(value));
}
