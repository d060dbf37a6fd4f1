// Reading requests and writing answers over Node's http: a JSON body read under a
// size limit (a body announced or found larger is refused with 413 as soon as the
// limit is passed, without reading the rest), JSON answers and errors, and
// server-sent events as OpenAI streams them ("data: <json>\n\n" … "data: [DONE]\n\n").

import type { IncomingMessage, ServerResponse } from "node:http";
import { ApiError, invalidRequest, type ApiErrorBody } from "./api-error.js";

/** The default request body limit: 1 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 1 << 20;
/** How long the rest of a refused body is drained before the connection is dropped. */
const LINGER_MS = 2000;

function tooLarge(limit: number): ApiError {
  return new ApiError(413, `the request body is larger than ${limit} bytes (--max-body)`, "invalid_request_error", null, "request_too_large");
}

/** The request's body parsed as JSON; 413 past `limit` bytes (the rest left unread), 400 when empty or not JSON. */
export async function readJsonBody(request: IncomingMessage, limit: number): Promise<unknown> {
  const declared = request.headers["content-length"];
  if (declared !== undefined && Number(declared) > limit) throw tooLarge(limit);
  const bytes = await new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (): void => {
      request.off("data", onData);
      request.off("end", onEnd);
      request.off("error", onError);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= limit) {
        chunks.push(chunk);
        return;
      }
      settle();
      request.pause(); // nothing more is read; the answer closes the connection
      reject(tooLarge(limit));
    };
    const onEnd = (): void => {
      settle();
      resolve(Buffer.concat(chunks));
    };
    const onError = (error: Error): void => {
      settle();
      reject(error);
    };
    request.on("data", onData);
    request.on("end", onEnd);
    request.on("error", onError);
  });
  const text = bytes.toString("utf8");
  if (text.trim() === "") throw invalidRequest("the request body is empty: send a JSON object");
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw invalidRequest(`the request body is not valid JSON: ${(error as Error).message}`, null, "invalid_json");
  }
}

const COMMON_HEADERS = { "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store" };

export function sendJson(response: ServerResponse, status: number, value: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const body = JSON.stringify(value);
  response.writeHead(status, { ...COMMON_HEADERS, "Content-Type": "application/json; charset=utf-8", "Content-Length": String(Buffer.byteLength(body)), ...headers });
  response.end(body);
}

/**
 * Answers with the error. A 413 also ends the connection: after the answer the server
 * half-closes it and drains (without keeping) what the client is still sending, so
 * that the client is not reset before it has read the answer; a client that keeps
 * sending is dropped after a moment.
 */
export function sendError(response: ServerResponse, error: ApiError): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const body: ApiErrorBody = error.body;
  sendJson(response, error.status, body, error.headers);
  const socket = response.socket;
  if (error.status === 413 && socket !== null) {
    response.on("finish", () => {
      response.req.resume();
      socket.end();
      setTimeout(() => socket.destroy(), LINGER_MS).unref();
    });
  }
}

/** A stream of server-sent events on a response, as OpenAI's API writes them. */
export class EventStream {
  constructor(private readonly response: ServerResponse) {
    response.writeHead(200, { ...COMMON_HEADERS, "Content-Type": "text/event-stream; charset=utf-8", Connection: "keep-alive", "X-Accel-Buffering": "no" });
    response.flushHeaders();
  }

  /** The client is gone or the stream has ended. */
  get closed(): boolean {
    return this.response.destroyed || this.response.writableEnded;
  }

  send(value: unknown): void {
    if (!this.closed) this.response.write(`data: ${JSON.stringify(value)}\n\n`);
  }

  /** The end of the stream: an error event when there is one (as vLLM writes it, which the clients raise), then [DONE]. */
  end(error?: ApiError): void {
    if (this.closed) return;
    if (error !== undefined) this.send(error.body);
    this.response.end("data: [DONE]\n\n");
  }
}
