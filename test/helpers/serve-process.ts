// A real `lmscope serve` child process on 127.0.0.1 with a free port (read from the
// "listening on" line it prints), and raw HTTP to it: any request, a stream read event
// by event that the caller may abandon, /slots.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { request } from "node:http";
import { join } from "node:path";
import { REPO_ROOT } from "./paths.js";

export interface ServeProcess {
  readonly url: string;
  readonly child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Waits until stderr matches (stdout and stderr are separate pipes: a line on one says nothing about the other). */
  stderrMatching(pattern: RegExp): Promise<string>;
  /** Resolves with the exit code once the process has ended and its output has been read to the end. */
  readonly exited: Promise<number | null>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `lmscope serve --port 0 <args>` and waits for its address and, unless told not to, for "ready". */
export async function startServe(args: readonly string[], options: { waitReady?: boolean } = {}): Promise<ServeProcess> {
  const env = { ...process.env };
  delete env["LMSCOPE_API_KEY"];
  const child = spawn(process.execPath, [join(REPO_ROOT, "dist/src/cli/bin.js"), "serve", "--port", "0", "--backend", "js", ...args], { env });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  let ended = false;
  void exited.then(() => (ended = true));
  const until = async (pattern: RegExp, stream: () => string): Promise<RegExpExecArray> => {
    for (let waited = 0; ; waited += 10) {
      const match = pattern.exec(stream());
      if (match !== null) return match;
      if (ended || waited > 60_000) throw new Error(`lmscope serve did not print ${pattern}; stdout ${JSON.stringify(stdout)}, stderr ${JSON.stringify(stderr)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const url = (await until(/listening on (http:\/\/\S+)/, () => stdout))[1]!;
  if (options.waitReady !== false) await until(/ready: /, () => stdout);
  return {
    url,
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    stderrMatching: async (pattern) => (await until(pattern, () => stderr))[0],
    exited,
    stop: async () => {
      child.kill("SIGTERM");
      return exited;
    },
  };
}

export interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
}

/** A raw HTTP request (any body, any headers) to the server. */
export function raw(url: string, method: string, path: string, options: { body?: string | Buffer; headers?: Record<string, string> } = {}): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let answered = false;
    const sent = request({ host: hostname, port, method, path, headers: options.headers ?? {} }, (response) => {
      answered = true;
      const chunks: Buffer[] = [];
      response.on("data", (c: Buffer) => chunks.push(c));
      response.on("end", () => resolve({ status: response.statusCode!, headers: response.headers, text: Buffer.concat(chunks).toString("utf8") }));
      response.on("error", reject);
    });
    // A server that answers before reading the whole body (413) closes the connection under the rest of it.
    sent.on("error", (error) => {
      if (!answered) reject(error);
    });
    sent.end(options.body);
  });
}

/** A streamed answer read event by event ("data: …" payloads), which the caller may abandon. */
export interface EventReader {
  readonly status: number;
  /** The next event's data, or null at the end of the stream. */
  next(): Promise<string | null>;
  /** Drops the connection (a client going away mid-stream). */
  abort(): void;
}

export async function openStream(url: string, path: string, body: object, headers: Record<string, string> = {}): Promise<EventReader> {
  const controller = new AbortController();
  const response = await fetch(`${url}${path}`, { method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json", ...headers }, signal: controller.signal });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  return {
    status: response.status,
    async next() {
      for (;;) {
        const end = buffered.indexOf("\n\n");
        if (end !== -1) {
          const event = buffered.slice(0, end);
          buffered = buffered.slice(end + 2);
          if (!event.startsWith("data: ")) throw new Error(`not an event: ${JSON.stringify(event)}`);
          return event.slice("data: ".length);
        }
        const { done, value } = await reader.read();
        if (done) {
          if (buffered !== "") throw new Error(`the stream ended inside an event: ${JSON.stringify(buffered)}`);
          return null;
        }
        buffered += decoder.decode(value, { stream: true });
      }
    },
    abort: () => controller.abort(),
  };
}

/** GET /slots. */
export async function slots(url: string, headers: Record<string, string> = {}): Promise<{
  slots: { id: number; state: string; cached_tokens: number }[];
  queue: { waiting: number; limit: number };
  decode: { steps: number; tokens: number; multi_sequence_steps: number; largest_batch: number };
  prefill: { tokens: number; reused_tokens: number };
  rss_bytes: number;
}> {
  const answer = await raw(url, "GET", "/slots", { headers });
  if (answer.status !== 200) throw new Error(`/slots: ${answer.status} ${answer.text}`);
  return JSON.parse(answer.text);
}
