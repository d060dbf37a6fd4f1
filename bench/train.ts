// `npm run bench -- train [--iters N] [--threads 1,2] [--backend js,wasm] [--data file] [--full]`:
// speed of training steps of nanoGPT's CPU baseline (the `shakespeare-char` preset:
// character-level tinyshakespeare, 4 layers, 4 heads, 128 wide, block 64, batch 12,
// AdamW) on lmscope's js backend (one thread) and its wasm backend (each thread
// count, with the plain SIMD128 kernels and with the relaxed-SIMD build — in a child
// process started with --experimental-wasm-relaxed-simd where the engine needs the
// flag), side by side with a PyTorch GPT of the same configuration
// (bench/peers/torch_gpt.py) at the same thread counts, when a python with torch is
// found: $LMSCOPE_TORCH_PYTHON, else python3. Each figure is the median (and mean)
// ms per iteration — one forward, backward, clipping and AdamW step of 768 tokens —
// after one warm-up iteration; "× PyTorch" divides by PyTorch's median at the same
// thread count, and the last column is the wall time 2,000 iterations take at that
// speed (with --full: measured, by running all 2,000). Nothing here asserts a time.

import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createBackend, disposeBackend, relaxedSimdSupported, wasmSimdSupported, type BackendName } from "../src/backend/select.js";
import { createWasmBackend } from "../src/backend/wasm/index.js";
import { createModel } from "../src/language-model.js";
import { characterDataset, readTextFile } from "../src/training/datasets/index.js";
import { PRESETS, runConfigFromJson } from "../src/training/train-config.js";
import { Trainer } from "../src/training/trainer.js";

/** ../shared/data beside the repository (this file runs from dist/bench/). */
const DEFAULT_DATA = fileURLToPath(new URL("../../../shared/data/tinyshakespeare.txt", import.meta.url));
const PEER = fileURLToPath(new URL("../../bench/peers/torch_gpt.py", import.meta.url));
const MAIN = fileURLToPath(new URL("./main.js", import.meta.url));
const FULL_ITERATIONS = 2000;

interface Measurement {
  engine: string;
  threads: number;
  /** ms per iteration after the warm-up */
  ms: number[];
  first: number;
  last: number;
  parameters: number;
  /** wall time of the timed iterations */
  wallSeconds: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Trains the preset on one backend for `iters` iterations after a warm-up, in this process. */
async function measure(name: BackendName, threads: number, relaxed: boolean, iters: number, data: string): Promise<Measurement> {
  const config = runConfigFromJson(PRESETS["shakespeare-char"]!, "preset shakespeare-char");
  const dataset = characterDataset(await readTextFile(data), { trainFraction: config.data.trainFraction });
  const backend = name === "wasm" ? await createWasmBackend({ threads, relaxedSimd: relaxed }) : await createBackend({ backend: name, threads });
  try {
    const model = await createModel({ ...config.model, vocab_size: dataset.vocabSize }, { seed: config.training.seed, tokenizer: dataset.tokenizer, backend });
    const trainer = new Trainer(model, dataset, { ...config.training, maxIters: iters + 1 });
    const first = await trainer.step(); // warm-up: JIT, the arenas' first sizing
    const ms: number[] = [];
    let last = first;
    const started = performance.now();
    for (let i = 0; i < iters; i++) {
      const t0 = performance.now();
      last = await trainer.step();
      ms.push(performance.now() - t0);
    }
    const wallSeconds = (performance.now() - started) / 1000;
    const parameters = model.parameters().reduce((n, p) => n + p.size, 0);
    const engine = name === "wasm" ? `lmscope wasm${relaxed ? " relaxed" : ""}` : `lmscope ${name}`;
    return { engine, threads, ms, first: first.loss, last: last.loss, parameters, wallSeconds };
  } finally {
    disposeBackend(backend);
  }
}

/** The relaxed-SIMD measurement in a child process with the engine flag (Node 20). */
function measureRelaxedInChild(threads: number, iters: number, data: string): Measurement | string {
  const child = spawnSync(
    process.execPath,
    ["--experimental-wasm-relaxed-simd", MAIN, "train", "--measure", "--threads", String(threads), "--iters", String(iters), "--data", data],
    { encoding: "utf8", maxBuffer: 1 << 24 },
  );
  if (child.status !== 0) return `relaxed SIMD child failed: ${child.stderr.trim().split("\n").pop() ?? child.status}`;
  return JSON.parse(child.stdout.trim().split("\n").pop()!) as Measurement;
}

function findTorch(): { python: string } | { skipped: string } {
  const python = process.env["LMSCOPE_TORCH_PYTHON"] ?? "python3";
  const probe = spawnSync(python, ["-c", "import torch"], { encoding: "utf8" });
  if (probe.error !== undefined || probe.status !== 0) {
    return { skipped: `${python} cannot import torch (set LMSCOPE_TORCH_PYTHON to a python that has it)` };
  }
  return { python };
}

function measureTorch(python: string, threads: number, iters: number, data: string, full: boolean): Measurement | string {
  const args = [PEER, "--data", data, "--threads", String(threads), "--iters", String(iters), ...(full ? ["--full"] : [])];
  const child = spawnSync(python, args, { encoding: "utf8", maxBuffer: 1 << 24 });
  if (child.status !== 0) return `the PyTorch peer failed: ${child.stderr.trim().split("\n").pop() ?? child.status}`;
  const result = JSON.parse(child.stdout.trim().split("\n").pop()!) as Measurement & { torch: string };
  return { ...result, engine: `PyTorch ${result.torch}` };
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
      measure: { type: "boolean", default: false },
    },
    strict: true,
  });
  const full = values.full;
  const iters = full ? FULL_ITERATIONS : Number(values.iters);
  if (!(Number.isInteger(iters) && iters >= 1)) throw new Error(`--iters: expected a positive integer, got ${values.iters}`);
  const threadCounts = values.threads.split(",").map(Number);
  if (!threadCounts.every((t) => Number.isInteger(t) && t >= 1)) throw new Error(`--threads: expected thread counts like 1,2, got ${values.threads}`);
  const data = values.data;
  if (values.measure) {
    // The child of measureRelaxedInChild: one relaxed wasm measurement, as JSON.
    process.stdout.write(`${JSON.stringify(await measure("wasm", threadCounts[0]!, true, iters, data))}\n`);
    return;
  }
  const backends = (values.backend ?? (wasmSimdSupported() ? "js,wasm" : "js")).split(",");
  for (const b of backends) if (b !== "js" && b !== "wasm") throw new Error(`--backend: expected js and/or wasm, got ${b}`);

  process.stdout.write(
    `nanoGPT CPU baseline (shakespeare-char): 4 layers, 4 heads, 128 wide, block 64, batch 12, character vocabulary; ` +
      `${full ? `the full ${FULL_ITERATIONS}` : iters} iterations after 1 warm-up; ${new Date().toISOString()}, node ${process.version}\n\n`,
  );
  const results: Measurement[] = [];
  const notes: string[] = [];
  const add = (result: Measurement | string): void => {
    if (typeof result === "string") notes.push(result);
    else results.push(result);
  };
  if (backends.includes("js")) add(await measure("js", 1, false, full ? iters : Math.min(iters, 5), data));
  if (backends.includes("wasm")) {
    for (const threads of threadCounts) add(await measure("wasm", threads, false, iters, data));
    for (const threads of threadCounts) add(relaxedSimdSupported() ? await measure("wasm", threads, true, iters, data) : measureRelaxedInChild(threads, iters, data));
  }
  const torch = findTorch();
  if ("skipped" in torch) notes.push(`PyTorch peer skipped: ${torch.skipped}`);
  else for (const threads of threadCounts) add(measureTorch(torch.python, threads, iters, data, full));

  const torchMs = new Map(results.filter((r) => r.engine.startsWith("PyTorch")).map((r) => [r.threads, median(r.ms)]));
  const tokens = 12 * 64;
  const rows: string[][] = [["engine", "threads", "ms/iter (median)", "ms/iter (mean)", "tokens/s", "× PyTorch", "loss first → last", `${FULL_ITERATIONS} iterations`]];
  for (const r of results) {
    const med = median(r.ms);
    const mean = r.ms.reduce((a, b) => a + b, 0) / r.ms.length;
    const peer = torchMs.get(r.threads);
    const baseline = full ? r.wallSeconds : (FULL_ITERATIONS * med) / 1000;
    rows.push([
      r.engine, String(r.threads), med.toFixed(1), mean.toFixed(1), ((tokens * 1000) / med).toFixed(0),
      peer === undefined ? "—" : (med / peer).toFixed(2), `${r.first.toFixed(3)} → ${r.last.toFixed(3)}`,
      `${full ? "" : "≈ "}${baseline < 120 ? `${baseline.toFixed(0)} s` : `${(baseline / 60).toFixed(1)} min`}`,
    ]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  for (const row of rows) process.stdout.write(`${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ")}\n`);
  const counts = [...new Set(results.map((r) => r.parameters))];
  process.stdout.write(`\nparameters: ${counts.join(" / ")}${counts.length > 1 ? " (the engines' models differ!)" : ""}\n`);
  for (const note of notes) process.stdout.write(`${note}\n`);
}
