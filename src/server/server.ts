// The OpenAI-compatible HTTP server of `lmscope serve`, on Node's own http module.
//
//   GET  /health                503 while the model loads, then 200 {"status": "ok"}
//   GET  /v1/models, /v1/models/{id}
//   POST /v1/chat/completions, /v1/completions, /v1/embeddings
//   POST /tokenize, /detokenize  (llama.cpp's server shapes)
//   GET  /slots                  the scheduler's slots, queue and batching counters
//
// Safety, in the manner of ollama and llama.cpp's server: it listens where it is
// told (the command's default is 127.0.0.1); with an API key every route but
// /health needs `Authorization: Bearer <key>` (compared in constant time); CORS is
// off unless an origin is given, and then a browser request from any other origin
// is refused (403), as ollama refuses origins it was not told about; bodies are
// capped (413); every field is checked (400 naming it). An unexpected failure is a
// 500 without internals (logged), and the server keeps serving.
//
// Listening starts before the model is loaded, so that /health can say "loading";
// `ready()` hands over the model. `close()` stops accepting connections, ends
// waiting and running requests with a 503 (a stream gets an error event, then
// [DONE]) and closes every connection.

import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { ApiError, asApiError, invalidRequest, notFound, unavailable } from "./api-error.js";
import { answerChatCompletion } from "./chat-completions.js";
import { answerEmbeddings } from "./embeddings.js";
import { DEFAULT_MAX_BODY_BYTES, readJsonBody, sendError, sendJson } from "./http-io.js";
import type { ServedModel } from "./served-model.js";
import { answerTextCompletion } from "./text-completions.js";
import { answerDetokenize, answerTokenize } from "./tokenize.js";

export interface ApiServerOptions {
  /** Interface to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** Port (default 8080; 0 picks a free one). */
  readonly port?: number;
  /** Required as a Bearer token on every route but /health. */
  readonly apiKey?: string;
  /** The one origin browsers may call from ("*" for any); CORS is off without it. */
  readonly cors?: string;
  /** Request body limit in bytes (default 1 MiB). */
  readonly maxBodyBytes?: number;
}

type Handler = (served: ServedModel, body: unknown, response: ServerResponse) => Promise<void> | void;

const POST_ROUTES: Readonly<Record<string, Handler>> = {
  "/v1/chat/completions": answerChatCompletion,
  "/v1/completions": answerTextCompletion,
  "/v1/embeddings": answerEmbeddings,
  "/tokenize": answerTokenize,
  "/detokenize": answerDetokenize,
};
const GET_ROUTES = new Set(["/health", "/v1/models", "/slots"]);

/** How long close() waits for answers in flight before dropping their connections. */
const CLOSE_GRACE_MS = 5000;

const digest = (text: string): Buffer => createHash("sha256").update(text).digest();

function modelObject(served: ServedModel): object {
  return { id: served.name, object: "model", created: served.created, owned_by: "lmscope" };
}

function slotsObject(served: ServedModel): object {
  const memory = { rss_bytes: process.memoryUsage().rss };
  if (served.kind !== "decoder") return { slots: [], ...memory };
  const stats = served.scheduler.stats();
  return {
    slots: stats.slots.map((s) => ({ id: s.id, state: s.busy ? "processing" : "idle", cached_tokens: s.cachedTokens })),
    queue: { waiting: stats.waiting, limit: stats.queueLimit },
    decode: { steps: stats.decodeSteps, tokens: stats.decodedTokens, multi_sequence_steps: stats.multiSequenceSteps, largest_batch: stats.largestBatch },
    prefill: { tokens: stats.prefillTokens, reused_tokens: stats.reusedTokens },
    context_length: served.contextLength,
    ...memory,
  };
}

/** A percent-encoded path segment decoded; a malformed escape is a 400. */
function decodedPath(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw invalidRequest("the path has a malformed percent escape", null, "invalid_path");
  }
}

export class ApiServer {
  private served: ServedModel | null = null;
  private closing = false;
  private readonly apiKeyDigest: Buffer | null;
  private readonly maxBodyBytes: number;
  private readonly inFlight = new Set<Promise<void>>();

  private constructor(
    readonly server: Server,
    private readonly options: ApiServerOptions,
  ) {
    this.apiKeyDigest = options.apiKey === undefined ? null : digest(options.apiKey);
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  }

  /** Starts listening (the model comes later, through ready()). */
  static async listen(options: ApiServerOptions = {}): Promise<ApiServer> {
    const server = createServer();
    const api = new ApiServer(server, options);
    server.on("request", (request: IncomingMessage, response: ServerResponse) => api.track(api.handle(request, response), response));
    server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
      if (!socket.writable) return;
      const [status, reason] = error.code === "HPE_HEADER_OVERFLOW" ? [431, "Request Header Fields Too Large"] : [400, "Bad Request"];
      const body = JSON.stringify(new ApiError(status, `the request is not valid HTTP (${reason.toLowerCase()})`, "invalid_request_error", null, "invalid_http").body);
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    });
    server.requestTimeout = 60_000; // a body that trickles in for a minute is dropped
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 8080, options.host ?? "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    return api;
  }

  /** The address clients reach the server at. */
  get url(): string {
    const { address, port, family } = this.server.address() as AddressInfo;
    return `http://${family === "IPv6" ? `[${address}]` : address}:${port}`;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The model is loaded: requests are answered from now on. */
  ready(served: ServedModel): void {
    this.served = served;
  }

  /**
   * Stops accepting, ends waiting and running requests with a 503 (a stream gets its
   * error event and [DONE]), lets the answers be delivered, then closes every
   * connection (one still sending its body after CLOSE_GRACE_MS is dropped).
   */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (this.served?.kind === "decoder") this.served.scheduler.close(unavailable("the server is shutting down", "shutting_down"));
    this.server.closeIdleConnections();
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((resolve) => (grace = setTimeout(resolve, CLOSE_GRACE_MS)))]);
    clearTimeout(grace);
    this.server.closeAllConnections();
    await closed;
  }

  /** Keeps a request in flight until its handler is done and its answer delivered (or its connection gone). */
  private track(work: Promise<void>, response: ServerResponse): void {
    const delivered = new Promise<void>((resolve) => response.once("close", resolve));
    const both = Promise.all([work, delivered]).then(() => {});
    this.inFlight.add(both);
    void both.finally(() => this.inFlight.delete(both));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      await this.route(request, response);
    } catch (error) {
      const answer = asApiError(error);
      if (answer.status === 500) process.stderr.write(`lmscope serve: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      sendError(response, answer);
    }
  }

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? "/", "http://server").pathname;
    const method = request.method ?? "GET";
    if (this.closing) response.setHeader("Connection", "close");
    if (!this.allowOrigin(request, response)) return;
    if (method === "OPTIONS" && this.options.cors !== undefined) {
      response.writeHead(204, {
        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": request.headers["access-control-request-headers"] ?? "Authorization, Content-Type",
        "Access-Control-Max-Age": "600",
      });
      response.end();
      return;
    }
    if (path === "/health" && method === "GET") {
      if (this.closing) throw unavailable("the server is shutting down", "shutting_down");
      if (this.served === null) throw unavailable("the model is loading", "loading");
      sendJson(response, 200, { status: "ok" });
      return;
    }
    this.authorize(request);
    const post = POST_ROUTES[path];
    const isGet = GET_ROUTES.has(path) || path.startsWith("/v1/models/");
    if (post === undefined && !isGet) throw notFound(`there is no route ${method} ${path} (routes: /v1/models, /v1/chat/completions, /v1/completions, /v1/embeddings, /tokenize, /detokenize, /slots, /health)`);
    const allowed = post !== undefined ? "POST" : "GET";
    if (method !== allowed) throw new ApiError(405, `${method} is not allowed on ${path}; use ${allowed}`, "invalid_request_error", null, "method_not_allowed", { Allow: allowed });
    if (this.closing) throw unavailable("the server is shutting down", "shutting_down");
    const served = this.served;
    if (served === null) throw unavailable("the model is loading", "loading");
    if (post !== undefined) {
      await post(served, await readJsonBody(request, this.maxBodyBytes), response);
    } else if (path === "/v1/models") {
      sendJson(response, 200, { object: "list", data: [modelObject(served)] });
    } else if (path === "/slots") {
      sendJson(response, 200, slotsObject(served));
    } else {
      const id = decodedPath(path.slice("/v1/models/".length));
      if (id !== served.name) throw notFound(`the model "${id}" does not exist here; this server serves "${served.name}"`, "model", "model_not_found");
      sendJson(response, 200, modelObject(served));
    }
  }

  /**
   * CORS: without --cors a browser's cross-origin request (one with an Origin header) is
   * refused; with it, the allowed origin gets the CORS headers and others are refused.
   */
  private allowOrigin(request: IncomingMessage, response: ServerResponse): boolean {
    const origin = request.headers.origin;
    if (origin === undefined) return true;
    const allowed = this.options.cors;
    if (allowed === undefined || (allowed !== "*" && allowed !== origin)) {
      sendError(response, new ApiError(403, `requests from the web origin ${origin} are not allowed${allowed === undefined ? " (start the server with --cors ORIGIN to allow one)" : ""}`, "permission_error", null, "origin_not_allowed"));
      return false;
    }
    response.setHeader("Access-Control-Allow-Origin", allowed === "*" ? "*" : origin);
    response.setHeader("Vary", "Origin");
    return true;
  }

  private authorize(request: IncomingMessage): void {
    if (this.apiKeyDigest === null) return;
    const header = request.headers.authorization ?? "";
    const match = /^Bearer\s+(.+)$/i.exec(header);
    if (match === null || !timingSafeEqual(digest(match[1]!.trim()), this.apiKeyDigest)) {
      throw new ApiError(
        401,
        match === null ? "this server needs an API key: send it as \"Authorization: Bearer <key>\"" : "the API key is not the server's",
        "authentication_error",
        null,
        "invalid_api_key",
        { "WWW-Authenticate": "Bearer" },
      );
    }
  }
}
