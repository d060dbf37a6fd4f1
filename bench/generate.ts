// `npm run bench -- generate --model <path> [--model <path> …]`: prefill and decode
// speed of lmscope on each model, with peak RSS. The prompt is a fixed seeded list of
// token ids (so models without a tokenizer work); decoding is greedy and ignores EOS.
// Each figure is the median of --runs runs; nothing here asserts a time.

import { parseArgs } from "node:util";
import { loadModel } from "../src/index.js";
import type { LanguageModel } from "../src/language-model.js";

interface Measurement {
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

function promptIds(vocab: number, length: number): number[] {
  let state = 12345;
  return Array.from({ length }, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return 3 + (state % (vocab - 3));
  });
}

async function measure(model: LanguageModel, prompt: number[], decodeTokens: number): Promise<Measurement> {
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

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      model: { type: "string", multiple: true },
      "prompt-tokens": { type: "string", default: "128" },
      "decode-tokens": { type: "string", default: "128" },
      runs: { type: "string", default: "3" },
    },
    strict: true,
  });
  const models = values.model ?? [];
  if (models.length === 0) throw new Error("give at least one --model <path>");
  const promptTokens = Number(values["prompt-tokens"]);
  const decodeTokens = Number(values["decode-tokens"]);
  const runs = Number(values.runs);
  const rows: string[][] = [];
  for (const path of models) {
    const model = await loadModel(path);
    const { contextLength, vocabSize } = model.config;
    // Small contexts get a shorter run: both phases must fit in the window.
    const decodeLength = Math.min(decodeTokens, Math.floor(contextLength / 2) - 1);
    const promptLength = Math.min(promptTokens, contextLength - decodeLength - 1);
    const prompt = promptIds(vocabSize, promptLength);
    await measure(model, prompt.slice(0, 8), 4); // warm-up: compile the kernels
    const results: Measurement[] = [];
    for (let r = 0; r < runs; r++) results.push(await measure(model, prompt, decodeLength));
    const info = model.info();
    rows.push([
      path,
      `${(info.parameters / 1e6).toFixed(2)}M`,
      "js",
      String(promptLength),
      median(results.map((m) => m.prefillTokensPerSecond)).toFixed(1),
      String(decodeLength),
      median(results.map((m) => m.decodeTokensPerSecond)).toFixed(2),
      `${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
    ]);
  }
  const header = ["model", "params", "backend", "prompt", "prefill tok/s", "decode", "decode tok/s", "peak RSS"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  console.log(line(header));
  console.log(`| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`);
  for (const row of rows) console.log(line(row));
  console.log(`\nmedian of ${runs} runs; ${new Date().toISOString().slice(0, 10)}; node ${process.version}; peak RSS is the process maximum so far`);
}
