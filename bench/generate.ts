// `npm run bench -- generate`: prefill and decode speed, in one process.
//
// With --model <path> (repeatable): lmscope on each model, per backend and thread count.
// Without: random-weight models of the TinyStories shapes (stories15M/42M/110M, written by
// scripts/make-random-model), each in f32, Q8_0, Q4_K_M and Q6_K (GGUF files lmscope
// writes; --types picks others), measured with
// lmscope's js backend, its wasm backend, and llama.cpp through node-llama-cpp on the same
// GGUF (when installed: npm install --no-save node-llama-cpp@3.22.1), at 1 and 2 threads.
// Prompt: a fixed seeded list of token ids; decoding is greedy and ignores EOS.
// Runs are interleaved across engines; each figure is the median of --runs runs. A
// bandwidth probe (bench/bandwidth.ts), run just before each measurement, gives the
// decode bound (GB/s ÷ weight bytes read per token) and the fraction of it each decode
// figure reaches. The wasm rows say "relaxed" when the backend loaded the relaxed-SIMD
// build (Node ≥ 21, or `node --experimental-wasm-relaxed-simd dist/bench/main.js generate`
// on Node 20). Nothing here asserts a time.

import { execFileSync } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createBackend, disposeBackend, type WasmBackend } from "../src/backend/select.js";
import type { Backend } from "../src/backend/backend.js";
import { loadModel, type LanguageModel } from "../src/language-model.js";
import { GGUF_OUTPUT_TYPES, modelToGguf } from "../src/io/gguf-convert.js";
import { writeGguf } from "../src/io/gguf.js";
import { BLOCK_FORMATS, isBlockQuantType } from "../src/tensor/block-formats.js";
import { BandwidthProbe } from "./bandwidth.js";
import { loadNodeLlamaCpp, measureNodeLlamaCpp, type NodeLlamaCpp } from "./peers/node-llama-cpp.js";
import { benchmarkPrompt } from "./prompt.js";
import { syntheticTokenizerJson } from "./synthetic-tokenizer.js";

interface Measurement {
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
  /** The probe's GB/s at this engine's thread count, measured just before this run. */
  probeGBPerSecond?: number;
}

interface Engine {
  label: string;
  model: string;
  type: string;
  threads: number;
  /** Bytes of weights one decode step reads. */
  weightBytes: number;
  measure(): Promise<Measurement>;
  results: Measurement[];
  rss: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

async function measureLmscope(model: LanguageModel, prompt: number[], decodeTokens: number): Promise<Measurement> {
  const start = performance.now();
  let firstTokenAt = 0;
  let count = 0;
  for await (const piece of model.generate({ ids: prompt }, { maxTokens: decodeTokens + 1, temperature: 0, stopOnEos: false })) {
    if (piece.tokenId === null) continue;
    if (count++ === 0) firstTokenAt = performance.now();
  }
  const end = performance.now();
  return {
    prefillTokensPerSecond: (prompt.length * 1000) / (firstTokenAt - start),
    decodeTokensPerSecond: ((count - 1) * 1000) / (end - firstTokenAt),
  };
}

/**
 * Bytes of every Linear weight (the LM head included) as the GGUF file stores them: what one
 * decode step streams from memory (the WASM backend's panels of some formats are larger:
 * src/backend/wasm/quant-panels.ts).
 */
function linearWeightBytes(model: LanguageModel): number {
  let bytes = 0;
  for (const linear of model.network.linears()) {
    const w = linear.weight;
    const n = w.rows * w.cols;
    if (isBlockQuantType(w.type)) bytes += (n / BLOCK_FORMATS[w.type].blockSize) * BLOCK_FORMATS[w.type].blockBytes;
    else bytes += w.type === "q8_0" ? (n / 32) * 34 : w.type === "q4_0" ? (n / 32) * 18 : w.type === "f16" || w.type === "bf16" ? n * 2 : n * 4;
  }
  return bytes;
}

const REPO = join(dirname(fileURLToPath(import.meta.url)), "../..");

/** A random-weight HF folder of a TinyStories shape with a synthetic tokenizer, and its GGUF files (f32 and the requested types). */
async function randomModel(shape: string, root: string, types: readonly string[]): Promise<{ dir: string; gguf: Record<string, string> }> {
  const dir = join(root, shape);
  execFileSync(process.execPath, [join(REPO, "dist/scripts/make-random-model.js"), "--shape", shape, "--seed", "1", "--out", dir]);
  await writeFile(join(dir, "tokenizer.json"), JSON.stringify(syntheticTokenizerJson(32000)));
  const gguf: Record<string, string> = {};
  for (const type of GGUF_OUTPUT_TYPES.filter((t) => t === "f32" || types.includes(t))) {
    gguf[type] = join(root, `${shape}-${type}.gguf`);
    await writeGguf(gguf[type], await modelToGguf(dir, type));
  }
  return { dir, gguf };
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(header), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join("\n");
}

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: "string", multiple: true },
      shapes: { type: "string", default: "stories15M,stories42M,stories110M" },
      types: { type: "string", default: "f32,q8_0,q4_k_m,q6_k" },
      backends: { type: "string", default: "js,wasm" },
      threads: { type: "string", default: "1,2" },
      peers: { type: "boolean", default: true },
      "prompt-tokens": { type: "string", default: "128" },
      "decode-tokens": { type: "string", default: "128" },
      runs: { type: "string", default: "3" },
    },
    strict: true,
    allowNegative: true,
  });
  const promptTokens = Number(values["prompt-tokens"]);
  const decodeTokens = Number(values["decode-tokens"]);
  const runs = Number(values.runs);
  const threadCounts = values.threads.split(",").map(Number);
  const backendNames = values.backends.split(",") as ("js" | "wasm")[];
  const types = values.types.split(",");
  const unknown = types.filter((t) => !(GGUF_OUTPUT_TYPES as readonly string[]).includes(t));
  if (unknown.length > 0) throw new Error(`--types: unknown weight type ${unknown.join(", ")} (expected ${GGUF_OUTPUT_TYPES.join(", ")})`);
  const root = join(tmpdir(), `lmscope-bench-${process.pid}`);
  await mkdir(root, { recursive: true });

  // Models: the ones given, or random TinyStories shapes in each type.
  const targets: { name: string; path: string; type: string; gguf?: string }[] = [];
  if (values.model !== undefined) {
    for (const path of values.model) targets.push({ name: path, path, type: "as stored" });
  } else {
    for (const shape of values.shapes.split(",")) {
      process.stderr.write(`writing random ${shape} …\n`);
      const { dir, gguf } = await randomModel(shape, root, types);
      for (const type of types) targets.push({ name: shape, path: type === "f32" ? dir : gguf[type]!, type, gguf: gguf[type]! });
    }
  }

  const backends = new Map<string, Backend>();
  for (const name of backendNames) {
    for (const threads of name === "js" ? [1] : threadCounts) backends.set(`${name}@${threads}`, await createBackend({ backend: name, threads }));
  }
  const nodeLlamaCpp: NodeLlamaCpp | null = values.peers === true && values.model === undefined ? await loadNodeLlamaCpp() : null;
  if (values.peers === true && values.model === undefined && nodeLlamaCpp === null) {
    process.stderr.write("node-llama-cpp is not installed: no llama.cpp rows (npm install --no-save node-llama-cpp@3.22.1)\n");
  }

  const engines: Engine[] = [];
  for (const target of targets) {
    for (const [key, backend] of backends) {
      const before = process.memoryUsage().rss;
      const model = await loadModel(target.path, { backend });
      const { contextLength, vocabSize } = model.config;
      const decodeLength = Math.min(decodeTokens, Math.floor(contextLength / 2) - 1);
      const prompt = benchmarkPrompt(vocabSize, Math.min(promptTokens, contextLength - decodeLength - 1));
      await measureLmscope(model, prompt.slice(0, 8), 4); // warm-up
      engines.push({
        label: `lmscope ${backend.name}${(backend as Partial<WasmBackend>).relaxedSimd === true ? " relaxed" : ""}`,
        model: target.name,
        type: target.type,
        threads: Number(key.split("@")[1]),
        weightBytes: linearWeightBytes(model),
        measure: () => measureLmscope(model, prompt, decodeLength),
        results: [],
        rss: process.memoryUsage().rss - before,
      });
    }
    if (nodeLlamaCpp !== null && target.gguf !== undefined) {
      const reference = engines[engines.length - 1]!;
      for (const threads of threadCounts) {
        engines.push({
          label: "llama.cpp (node-llama-cpp)",
          model: target.name,
          type: target.type,
          threads,
          weightBytes: reference.weightBytes,
          measure: () => measureNodeLlamaCpp(nodeLlamaCpp, target.gguf!, { threads, promptTokens, decodeTokens }),
          results: [],
          rss: 0,
        });
      }
    }
  }

  // The probe runs right before every measurement, at that engine's thread count:
  // the memory bus's rate drifts, so each decode figure is set against its own bound.
  const probes = new Map<number, BandwidthProbe>();
  for (const threads of new Set(engines.map((e) => e.threads))) probes.set(threads, await BandwidthProbe.start(threads));
  for (let run = 0; run < runs; run++) {
    for (const engine of engines) {
      process.stderr.write(`run ${run + 1}/${runs}: ${engine.label} ${engine.model} ${engine.type} ×${engine.threads}\r`);
      const probeGBPerSecond = await probes.get(engine.threads)!.measure();
      engine.results.push({ ...(await engine.measure()), probeGBPerSecond });
    }
  }
  for (const probe of probes.values()) await probe.stop();
  process.stderr.write("\n");
  for (const backend of backends.values()) disposeBackend(backend);
  await rm(root, { recursive: true, force: true });

  const rows = engines.map((e) => {
    const decode = median(e.results.map((m) => m.decodeTokensPerSecond));
    const gbPerSecond = median(e.results.map((m) => m.probeGBPerSecond!));
    const reached = median(e.results.map((m) => (m.decodeTokensPerSecond * e.weightBytes) / (m.probeGBPerSecond! * 1e9)));
    return [
      e.model,
      e.type,
      e.label,
      String(e.threads),
      median(e.results.map((m) => m.prefillTokensPerSecond)).toFixed(1),
      decode.toFixed(1),
      gbPerSecond.toFixed(1),
      `${((gbPerSecond * 1e9) / e.weightBytes).toFixed(1)} (${(reached * 100).toFixed(0)}%)`,
      e.rss > 0 ? `${(e.rss / 2 ** 20).toFixed(0)} MB` : "—",
    ];
  });
  console.log(
    table(
      ["model", "weights", "engine", "threads", "prefill tok/s", "decode tok/s", "probe GB/s", "decode bound tok/s (reached)", "RSS of model"],
      rows,
    ),
  );
  console.log(
    `\nmedians of ${runs} interleaved runs; prompt ${promptTokens} tokens, ${decodeTokens} decoded; the read-bandwidth probe runs ` +
      `before every measurement at its thread count, and "reached" is the median over runs of decode ÷ (probe GB/s ÷ weight bytes); ` +
      `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB; ${new Date().toISOString().slice(0, 10)}; node ${process.version}`,
  );
}
