// `npm run bench -- train [--iters N] [--threads 1,2] [--backend js,wasm] [--data file] [--full]`:
// speed of training steps of nanoGPT's CPU baseline (the `shakespeare-char` preset:
// character-level tinyshakespeare, 4 layers, 4 heads, 128 wide, block 64, batch 12,
// AdamW) on lmscope's js backend (one thread) and its wasm backend (each thread
// count, with the plain SIMD128 kernels and with the relaxed-SIMD build — in a child
// process started with --experimental-wasm-relaxed-simd where the engine needs the
// flag), side by side with a PyTorch GPT of the same configuration
// (bench/peers/torch_gpt.py) at the same thread counts, when a python with torch is
// found: $LMSCOPE_TORCH_PYTHON, else python3.
//
// Every engine is set up and warmed up (one iteration) first; then they take turns,
// a few iterations each per round, so that a machine whose load drifts (one shared
// with other jobs) slows them alike. Each figure is the median (and mean) ms per
// iteration — one forward, backward, clipping and AdamW step of 768 tokens; "×
// PyTorch" divides by PyTorch's median at the same thread count; the last column is
// the wall time 2,000 iterations take at that speed (with --full: the sum of the
// 2,000 iterations' times, measured). Nothing here asserts a time.

import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface, type Interface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createBackend, disposeBackend, relaxedSimdSupported, wasmSimdSupported, type BackendName } from "../src/backend/select.js";
import { createWasmBackend } from "../src/backend/wasm/index.js";
import type { Backend } from "../src/backend/backend.js";
import { createModel } from "../src/language-model.js";
import { characterDataset, readTextFile } from "../src/training/datasets/index.js";
import { PRESETS, runConfigFromJson } from "../src/training/train-config.js";
import { Trainer } from "../src/training/trainer.js";

/** ../shared/data beside the repository (this file runs from dist/bench/). */
const DEFAULT_DATA = fileURLToPath(new URL("../../../shared/data/tinyshakespeare.txt", import.meta.url));
const PEER = fileURLToPath(new URL("../../bench/peers/torch_gpt.py", import.meta.url));
const MAIN = fileURLToPath(new URL("./main.js", import.meta.url));
const FULL_ITERATIONS = 2000;
const ROUNDS = 4;

/** What an engine reports when it is ready (after its warm-up) and after each batch of iterations. */
interface Ready {
  first: number;
  parameters: number;
  torch?: string;
}
interface Batch {
  ms: number[];
  losses: number[];
}

/** An engine that runs iterations on request. */
interface Engine {
  readonly name: string;
  readonly threads: number;
  readonly ready: Ready;
  run(iterations: number): Promise<Batch>;
  close(): void;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** lmscope training the preset in this process, warmed up. */
async function lmscopeEngine(name: BackendName, threads: number, relaxed: boolean, data: string): Promise<Engine> {
  const config = runConfigFromJson(PRESETS["shakespeare-char"]!, "preset shakespeare-char");
  const dataset = characterDataset(await readTextFile(data), { trainFraction: config.data.trainFraction });
  const backend: Backend = name === "wasm" ? await createWasmBackend({ threads, relaxedSimd: relaxed }) : await createBackend({ backend: name, threads });
  const model = await createModel({ ...config.model, vocab_size: dataset.vocabSize }, { seed: config.training.seed, tokenizer: dataset.tokenizer, backend });
  const trainer = new Trainer(model, dataset, { ...config.training, maxIters: FULL_ITERATIONS + 1 });
  const first = (await trainer.step()).loss; // warm-up: JIT, the arenas' first sizing
  return {
    name: name === "wasm" ? `lmscope wasm${relaxed ? " relaxed" : ""}` : `lmscope ${name}`,
    threads,
    ready: { first, parameters: model.parameters().reduce((n, p) => n + p.size, 0) },
    async run(iterations) {
      const ms: number[] = [];
      const losses: number[] = [];
      for (let i = 0; i < iterations; i++) {
        const t0 = performance.now();
        losses.push((await trainer.step()).loss);
        ms.push(performance.now() - t0);
      }
      return { ms, losses };
    },
    close: () => disposeBackend(backend),
  };
}

/** An engine in a child process speaking the line protocol of bench/peers/torch_gpt.py. */
async function childEngine(name: string, threads: number, command: string, args: string[]): Promise<Engine> {
  const child: ChildProcessWithoutNullStreams = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const lines: Interface = createInterface({ input: child.stdout });
  const pending: ((line: string) => void)[] = [];
  const failed = new Promise<never>((_, reject) =>
    child.on("close", (code) => reject(new Error(`${name} exited with ${code}: ${stderr.trim().split("\n").pop() ?? ""}`))),
  );
  failed.catch(() => undefined);
  lines.on("line", (line) => pending.shift()?.(line));
  const next = (): Promise<string> => Promise.race([new Promise<string>((resolve) => pending.push(resolve)), failed]);
  const ready = JSON.parse(await next()) as Ready;
  return {
    name: ready.torch === undefined ? name : `${name} ${ready.torch}`,
    threads,
    ready,
    async run(iterations) {
      child.stdin.write(`${iterations}\n`);
      return JSON.parse(await next()) as Batch;
    },
    close() {
      child.stdin.end("\n");
    },
  };
}

/** Serves lmscopeEngine over stdin/stdout (the child of the relaxed-SIMD measurement). */
async function serve(threads: number, data: string): Promise<void> {
  const engine = await lmscopeEngine("wasm", threads, true, data);
  process.stdout.write(`${JSON.stringify(engine.ready)}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === "") break;
    process.stdout.write(`${JSON.stringify(await engine.run(Number(line)))}\n`);
  }
  engine.close();
}

function torchPython(): { python: string } | { skipped: string } {
  const python = process.env["LMSCOPE_TORCH_PYTHON"] ?? "python3";
  const probe = spawnSync(python, ["-c", "import torch"], { encoding: "utf8" });
  if (probe.error !== undefined || probe.status !== 0) {
    return { skipped: `${python} cannot import torch (set LMSCOPE_TORCH_PYTHON to a python that has it)` };
  }
  return { python };
}

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      iters: { type: "string", default: "20" },
      backend: { type: "string" },
      threads: { type: "string", default: "1,2" },
      data: { type: "string", default: DEFAULT_DATA },
      full: { type: "boolean", default: false },
      serve: { type: "boolean", default: false },
    },
    strict: true,
  });
  const full = values.full;
  const iters = full ? FULL_ITERATIONS : Number(values.iters);
  if (!(Number.isInteger(iters) && iters >= 1)) throw new Error(`--iters: expected a positive integer, got ${values.iters}`);
  const threadCounts = values.threads.split(",").map(Number);
  if (!threadCounts.every((t) => Number.isInteger(t) && t >= 1)) throw new Error(`--threads: expected thread counts like 1,2, got ${values.threads}`);
  const data = values.data;
  if (values.serve) return serve(threadCounts[0]!, data);
  // The js backend takes ~3.5 s an iteration: by default only in the short run.
  const backends = (values.backend ?? (!wasmSimdSupported() ? "js" : full ? "wasm" : "js,wasm")).split(",");
  for (const b of backends) if (b !== "js" && b !== "wasm") throw new Error(`--backend: expected js and/or wasm, got ${b}`);

  process.stdout.write(
    `nanoGPT CPU baseline (shakespeare-char): 4 layers, 4 heads, 128 wide, block 64, batch 12, character vocabulary; ` +
      `${iters} iterations after 1 warm-up${backends.includes("js") && !full ? " (js: " + Math.min(iters, ROUNDS) + ")" : ""}, ` +
      `in ${ROUNDS} interleaved rounds; ${new Date().toISOString()}, node ${process.version}\n\n`,
  );
  const notes: string[] = [];
  const engines: Engine[] = [];
  try {
    if (backends.includes("js")) engines.push(await lmscopeEngine("js", 1, false, data));
    if (backends.includes("wasm")) {
      for (const threads of threadCounts) engines.push(await lmscopeEngine("wasm", threads, false, data));
      for (const threads of threadCounts) {
        if (relaxedSimdSupported()) engines.push(await lmscopeEngine("wasm", threads, true, data));
        else {
          const flags = ["--experimental-wasm-relaxed-simd", MAIN, "train", "--serve", "--threads", String(threads), "--data", data];
          engines.push(await childEngine("lmscope wasm relaxed", threads, process.execPath, flags));
        }
      }
    }
    const torch = torchPython();
    if ("skipped" in torch) notes.push(`PyTorch peer skipped: ${torch.skipped}`);
    else for (const threads of threadCounts) engines.push(await childEngine("PyTorch", threads, torch.python, [PEER, "--data", data, "--threads", String(threads)]));

    const batches = new Map<Engine, Batch>(engines.map((e) => [e, { ms: [], losses: [] }]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const engine of engines) {
        const total = engine.name === "lmscope js" && !full ? Math.min(iters, ROUNDS) : iters;
        const count = Math.floor((total * (round + 1)) / ROUNDS) - Math.floor((total * round) / ROUNDS);
        if (count === 0) continue;
        const batch = await engine.run(count);
        batches.get(engine)!.ms.push(...batch.ms);
        batches.get(engine)!.losses.push(...batch.losses);
      }
    }

    const torchMs = new Map(engines.filter((e) => e.name.startsWith("PyTorch")).map((e) => [e.threads, median(batches.get(e)!.ms)]));
    const tokens = 12 * 64;
    const rows: string[][] = [["engine", "threads", "ms/iter (median)", "ms/iter (mean)", "tokens/s", "× PyTorch", "loss first → last", `${FULL_ITERATIONS} iterations`]];
    for (const engine of engines) {
      const { ms, losses } = batches.get(engine)!;
      const med = median(ms);
      const sum = ms.reduce((a, b) => a + b, 0);
      const peer = torchMs.get(engine.threads);
      const baseline = (full ? sum : FULL_ITERATIONS * med) / 1000;
      rows.push([
        engine.name, String(engine.threads), med.toFixed(1), (sum / ms.length).toFixed(1), ((tokens * 1000) / med).toFixed(0),
        peer === undefined ? "—" : (med / peer).toFixed(2), `${engine.ready.first.toFixed(3)} → ${losses[losses.length - 1]!.toFixed(3)}`,
        `${full ? "" : "≈ "}${baseline < 120 ? `${baseline.toFixed(0)} s` : `${(baseline / 60).toFixed(1)} min`}`,
      ]);
    }
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
    for (const row of rows) process.stdout.write(`${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ")}\n`);
    const counts = [...new Set(engines.map((e) => e.ready.parameters))];
    process.stdout.write(`\nparameters: ${counts.join(" / ")}${counts.length > 1 ? " (the engines' models differ!)" : ""}\n`);
  } finally {
    for (const engine of engines) engine.close();
  }
  for (const note of notes) process.stdout.write(`${note}\n`);
}
