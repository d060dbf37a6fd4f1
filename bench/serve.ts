// `npm run bench -- serve`: `lmscope serve` under load, and what continuous batching buys.
//
// 1. Load. A random-weight model of the stories15M shape (scripts/make-random-model, a
//    synthetic tokenizer, a plain chat template) is served by a child process
//    (--parallel 8, --queue 64). --clients (64) streaming clients send requests back to
//    back for --duration seconds (10 by default, a smoke run; 60 for the full run),
//    half chat and half completions, stream_options.include_usage on; every fifth client
//    drops its connection after a few events. Counted: answers by status (5xx must be
//    0), completed streams checked for OpenAI's shape (one id, the role first for chat,
//    one finish_reason per choice, the usage chunk, [DONE]; "length" answers carry
//    exactly max_tokens), disconnects; afterwards every slot must be idle and the queue
//    empty (no slot leak); the server's RSS before and after is printed.
// 2. Continuous batching. For each --shapes model (stories42M, stories110M; f32), a
//    server with --parallel 16: 1, 4 and 16 concurrent greedy streams of --tokens new
//    tokens after distinct 32-token prompts. Aggregate tokens/s = all streams' tokens /
//    wall time (prompts included); beside it the one-stream figure and the speed-up over
//    it, the mean batch of the decode steps (/slots), and one stream without the server
//    (model.generate in this process, measured the same way) for reference.
// Figures are wall-clock on a shared machine: nothing asserts a time.

import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { loadModel, type LanguageModel } from "../src/language-model.js";
import { benchmarkPrompt } from "./prompt.js";
import { syntheticTokenizerJson } from "./synthetic-tokenizer.js";

const REPO = join(dirname(fileURLToPath(import.meta.url)), "../..");
const BIN = join(REPO, "dist/src/cli/bin.js");
const TEMPLATE = "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}";
const MODEL = "bench";

interface Server {
  readonly url: string;
  readonly child: ChildProcessWithoutNullStreams;
  stop(): Promise<number | null>;
}

async function startServer(args: readonly string[]): Promise<Server> {
  const child = spawn(process.execPath, [BIN, "serve", "--port", "0", "--alias", MODEL, ...args]);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  let ended = false;
  void exited.then(() => (ended = true));
  for (let waited = 0; !/ready: /.test(stdout); waited += 20) {
    if (ended || waited > 600_000) throw new Error(`lmscope serve did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const url = /listening on (http:\/\/\S+)/.exec(stdout)![1]!;
  return {
    url,
    child,
    stop: () => {
      child.kill("SIGTERM");
      return exited;
    },
  };
}

interface SlotState {
  slots: { state: string }[];
  queue: { waiting: number };
  decode: { steps: number; tokens: number };
  rss_bytes: number;
}

async function slotState(url: string): Promise<SlotState> {
  return (await (await fetch(`${url}/slots`)).json()) as SlotState;
}

/** A random-weight HF folder of a TinyStories shape with the synthetic tokenizer. */
function randomModel(shape: string, root: string): string {
  const dir = join(root, shape);
  execFileSync(process.execPath, [join(REPO, "dist/scripts/make-random-model.js"), "--shape", shape, "--seed", "1", "--out", dir]);
  return dir;
}

type Outcome =
  | { kind: "completed"; tokens: number; problem: string | null }
  | { kind: "disconnected" }
  | { kind: "refused"; status: number; retryAfter: number }
  | { kind: "failed"; status: number; message: string };

/** Reads the events of an SSE body; stops after `abortAfter` events when given. */
async function readEvents(response: Response, abortAfter: number | undefined, controller: AbortController): Promise<string[] | null> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: string[] = [];
  let buffered = "";
  for (;;) {
    let end;
    while ((end = buffered.indexOf("\n\n")) !== -1) {
      events.push(buffered.slice(0, end));
      buffered = buffered.slice(end + 2);
      if (abortAfter !== undefined && events.length >= abortAfter && events.at(-1) !== "data: [DONE]") {
        controller.abort();
        return null;
      }
    }
    const { done, value } = await reader.read();
    if (done) return buffered === "" ? events : [...events, `unterminated: ${buffered}`];
    buffered += decoder.decode(value, { stream: true });
  }
}

/** What is wrong with a completed stream, or null when it is as OpenAI writes them. */
function checkStream(events: readonly string[], chat: boolean, maxTokens: number): { problem: string | null; tokens: number } {
  if (events.at(-1) !== "data: [DONE]") return { problem: "no [DONE] at the end", tokens: 0 };
  const chunks: Record<string, unknown>[] = [];
  for (const event of events.slice(0, -1)) {
    if (!event.startsWith("data: ")) return { problem: `not a data event: ${event.slice(0, 80)}`, tokens: 0 };
    try {
      chunks.push(JSON.parse(event.slice(6)) as Record<string, unknown>);
    } catch {
      return { problem: `not JSON: ${event.slice(0, 80)}`, tokens: 0 };
    }
  }
  if (chunks.some((c) => "error" in c)) return { problem: `an error event: ${JSON.stringify(chunks.find((c) => "error" in c))}`, tokens: 0 };
  const object = chat ? "chat.completion.chunk" : "text_completion";
  if (!chunks.every((c) => c["id"] === chunks[0]!["id"] && c["object"] === object && c["model"] === MODEL)) return { problem: "ids, objects or models differ", tokens: 0 };
  const usageChunk = chunks.at(-1)!;
  const usage = usageChunk["usage"] as { completion_tokens: number } | undefined;
  if (!Array.isArray(usageChunk["choices"]) || (usageChunk["choices"] as unknown[]).length !== 0 || usage === undefined) return { problem: "no usage chunk last", tokens: 0 };
  const choices = chunks.slice(0, -1).map((c) => (c["choices"] as { index: number; finish_reason: string | null; delta?: { role?: string } }[])[0]!);
  if (chat && choices[0]?.delta?.role !== "assistant") return { problem: "the first chat chunk has no role", tokens: 0 };
  const finishes = choices.filter((c) => c.finish_reason !== null);
  if (finishes.length !== 1 || choices.at(-1)!.finish_reason === null) return { problem: `${finishes.length} finish reasons, or not last`, tokens: 0 };
  const reason = finishes[0]!.finish_reason;
  if (reason !== "stop" && reason !== "length") return { problem: `finish_reason ${reason}`, tokens: 0 };
  if (usage.completion_tokens > maxTokens || (reason === "length" && usage.completion_tokens !== maxTokens)) {
    return { problem: `${usage.completion_tokens} tokens for max_tokens ${maxTokens} (${reason})`, tokens: 0 };
  }
  return { problem: null, tokens: usage.completion_tokens };
}

async function request(url: string, chat: boolean, body: object, maxTokens: number, abortAfter?: number): Promise<Outcome> {
  const controller = new AbortController();
  const path = chat ? "/v1/chat/completions" : "/v1/completions";
  let response: Response;
  try {
    response = await fetch(`${url}${path}`, { method: "POST", body: JSON.stringify({ model: MODEL, stream: true, stream_options: { include_usage: true }, max_tokens: maxTokens, ...body }), headers: { "Content-Type": "application/json" }, signal: controller.signal });
  } catch (error) {
    return { kind: "failed", status: 0, message: (error as Error).message };
  }
  if (response.status !== 200) {
    const text = await response.text();
    if (response.status === 429) return { kind: "refused", status: 429, retryAfter: Number(response.headers.get("retry-after") ?? 1) };
    return { kind: "failed", status: response.status, message: text.slice(0, 200) };
  }
  try {
    const events = await readEvents(response, abortAfter, controller);
    if (events === null) return { kind: "disconnected" };
    return { kind: "completed", ...checkStream(events, chat, maxTokens) };
  } catch (error) {
    return { kind: "failed", status: 0, message: `while reading: ${(error as Error).message}` };
  }
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(header), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join("\n");
}

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MB`;

async function loadTest(root: string, options: { shape: string; clients: number; seconds: number; parallel: number }): Promise<void> {
  const dir = randomModel(options.shape, root);
  await writeFile(join(dir, "tokenizer.json"), JSON.stringify(syntheticTokenizerJson(32000)));
  await writeFile(join(root, "template.jinja"), TEMPLATE);
  const server = await startServer(["--model", dir, "--chat-template", join(root, "template.jinja"), "--parallel", String(options.parallel), "--queue", String(options.clients)]);
  const counts = { requests: 0, completed: 0, malformed: 0, disconnected: 0, refused429: 0, other4xx: 0, server5xx: 0, network: 0, tokens: 0 };
  const problems: string[] = [];
  try {
    // Warm-up: every slot once, so that RSS before and after compare the same allocations (a slot's KV cache is made on first use).
    await Promise.all(Array.from({ length: options.parallel }, (_, i) => request(server.url, false, { prompt: `warm up ${i}` }, 4)));
    const rssBefore = (await slotState(server.url)).rss_bytes;
    const started = performance.now();
    const end = started + options.seconds * 1000;
    let seed = 1;
    const random = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const client = async (index: number): Promise<void> => {
      const leaves = index % 5 === 0;
      while (performance.now() < end) {
        const chat = random() < 0.5;
        const maxTokens = leaves ? 64 + Math.floor(random() * 64) : 8 + Math.floor(random() * 56);
        const words = Array.from({ length: 2 + Math.floor(random() * 7) }, () => `w${259 + Math.floor(random() * 31000)}`).join(" "); // ≤ 60 tokens: prompt + reply fit stories15M's 256
        const body = chat ? { messages: [{ role: "user", content: words }], temperature: 0.8, seed: index } : { prompt: words, temperature: 0.8, seed: index };
        counts.requests++;
        const outcome = await request(server.url, chat, body, maxTokens, leaves ? 2 + Math.floor(random() * 5) : undefined);
        if (outcome.kind === "completed") {
          counts.completed++;
          counts.tokens += outcome.tokens;
          if (outcome.problem !== null) {
            counts.malformed++;
            if (problems.length < 5) problems.push(outcome.problem);
          }
        } else if (outcome.kind === "disconnected") counts.disconnected++;
        else if (outcome.kind === "refused") {
          counts.refused429++;
          await new Promise((resolve) => setTimeout(resolve, outcome.retryAfter * 1000));
        } else if (outcome.status >= 500) counts.server5xx++;
        else if (outcome.status >= 400) counts.other4xx++;
        else counts.network++;
        if (outcome.kind === "failed" && problems.length < 5) problems.push(`${outcome.status}: ${outcome.message}`);
      }
    };
    await Promise.all(Array.from({ length: options.clients }, (_, i) => client(i)));
    const elapsed = (performance.now() - started) / 1000;
    let state = await slotState(server.url);
    for (let waited = 0; (state.slots.some((s) => s.state !== "idle") || state.queue.waiting > 0) && waited < 10_000; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      state = await slotState(server.url);
    }
    const busy = state.slots.filter((s) => s.state !== "idle").length;
    process.stdout.write(`\n### Load: ${options.clients} streaming clients for ${elapsed.toFixed(1)} s (${options.shape} shape, random weights, --parallel ${options.parallel})\n\n`);
    process.stdout.write(
      `${table(
        ["requests", "completed", "well-formed", "disconnected", "429", "other 4xx", "5xx", "network errors", "tokens", "tokens/s", "slots busy after", "RSS before", "RSS after"],
        [[counts.requests, counts.completed, counts.completed - counts.malformed, counts.disconnected, counts.refused429, counts.other4xx, counts.server5xx, counts.network, counts.tokens, (counts.tokens / elapsed).toFixed(1), `${busy} (queue ${state.queue.waiting})`, mb(rssBefore), mb(state.rss_bytes)].map(String)],
      )}\n`,
    );
    for (const problem of problems) process.stdout.write(`  problem: ${problem}\n`);
    if (counts.server5xx > 0 || counts.malformed > 0 || busy > 0) process.exitCode = 1;
  } finally {
    const code = await server.stop();
    if (code !== 0) {
      process.stdout.write(`  the server exited with ${code}\n`);
      process.exitCode = 1;
    }
  }
}

/** One stream without the server (model.generate in this process), measured as the server's streams are: new tokens over the whole time, prompt included. */
async function generateRate(model: LanguageModel, prompt: number[], tokens: number): Promise<number> {
  const started = performance.now();
  let count = 0;
  for await (const piece of model.generate({ ids: prompt }, { maxTokens: tokens, temperature: 0, stopOnEos: false })) if (piece.tokenId !== null) count++;
  return (count * 1000) / (performance.now() - started);
}

async function batchingTable(root: string, options: { shapes: string[]; streams: number[]; tokens: number }): Promise<void> {
  const rows: string[][] = [];
  const promptLength = 32;
  for (const shape of options.shapes) {
    process.stderr.write(`writing random ${shape} …\n`);
    const dir = randomModel(shape, root);
    await writeFile(join(dir, "tokenizer.json"), JSON.stringify(syntheticTokenizerJson(32000)));
    const most = Math.max(...options.streams);
    const server = await startServer(["--model", dir, "--parallel", String(most), "--queue", String(most)]);
    const results: { streams: number; rate: number; meanBatch: number }[] = [];
    let seed = 0;
    try {
      // Warm-up: every slot once (its KV cache is allocated on first use, which is not what is measured).
      await Promise.all(Array.from({ length: most }, (_, i) => request(server.url, false, { prompt: benchmarkPrompt(32000, 8 + i).slice(i), temperature: 0 }, 4)));
      for (const streams of options.streams) {
        process.stderr.write(`${shape}: ${streams} streams …\n`);
        const before = await slotState(server.url);
        const started = performance.now();
        const outcomes = await Promise.all(
          Array.from({ length: streams }, () => {
            const prompt = benchmarkPrompt(32000, promptLength + ++seed).slice(seed); // distinct prompts: nothing comes from a cache
            return request(server.url, false, { prompt, temperature: 0, ignore_eos: true }, options.tokens);
          }),
        );
        const seconds = (performance.now() - started) / 1000;
        const after = await slotState(server.url);
        let tokens = 0;
        for (const outcome of outcomes) {
          if (outcome.kind !== "completed" || outcome.problem !== null) throw new Error(`${shape}, ${streams} streams: ${JSON.stringify(outcome)}`);
          tokens += outcome.tokens;
        }
        results.push({ streams, rate: tokens / seconds, meanBatch: (after.decode.tokens - before.decode.tokens) / (after.decode.steps - before.decode.steps) });
      }
    } finally {
      await server.stop();
    }
    const model = await loadModel(dir);
    await generateRate(model, benchmarkPrompt(32000, 8), 4);
    const alone = await generateRate(model, benchmarkPrompt(32000, promptLength), options.tokens);
    const single = results.find((r) => r.streams === 1)?.rate ?? results[0]!.rate;
    for (const r of results) {
      rows.push([shape, String(r.streams), r.rate.toFixed(1), (r.rate / r.streams).toFixed(1), single.toFixed(1), `${(r.rate / single).toFixed(2)}×`, r.meanBatch.toFixed(2), alone.toFixed(1)]);
    }
  }
  process.stdout.write(`\n### Continuous batching: aggregate tokens/s of concurrent greedy streams (${options.tokens} new tokens after ${promptLength}-token prompts, f32, random weights)\n\n`);
  process.stdout.write(
    `${table(["model", "streams", "aggregate tok/s", "per stream tok/s", "one stream tok/s", "× one stream", "mean decode batch", "generate, one stream, no server tok/s"], rows)}\n`,
  );
}

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      duration: { type: "string", default: "10" },
      clients: { type: "string", default: "64" },
      parallel: { type: "string", default: "8" },
      "load-shape": { type: "string", default: "stories15M" },
      shapes: { type: "string", default: "stories42M,stories110M" },
      streams: { type: "string", default: "1,4,16" },
      tokens: { type: "string", default: "64" },
      "skip-load": { type: "boolean", default: false },
      "skip-batching": { type: "boolean", default: false },
    },
    strict: true,
  });
  const positive = (name: string, value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected a positive integer, got ${value}`);
    return n;
  };
  const root = join(tmpdir(), `lmscope-bench-serve-${process.pid}`);
  await mkdir(root, { recursive: true });
  try {
    if (values["skip-load"] !== true) {
      await loadTest(root, { shape: values["load-shape"], clients: positive("clients", values.clients), seconds: positive("duration", values.duration), parallel: positive("parallel", values.parallel) });
    }
    if (values["skip-batching"] !== true) {
      await batchingTable(root, { shapes: values.shapes.split(","), streams: values.streams.split(",").map((s) => positive("streams", s)), tokens: positive("tokens", values.tokens) });
    }
    process.stdout.write(`\n${new Date().toISOString().slice(0, 10)}; node ${process.version}\n`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
