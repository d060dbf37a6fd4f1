// `npm run bench -- train [--iters N] [--backend js,wasm] [--threads N] [--data file]`:
// speed of training steps of nanoGPT's CPU baseline (the `shakespeare-char`
// preset: character-level tinyshakespeare, 4 layers, 4 heads, 128 wide, block
// 64, batch 12, AdamW) on each backend: ms per iteration (one forward, backward
// and AdamW step of 768 tokens) and tokens/s. The first iteration is a warm-up
// and not counted; figures are the median and mean of the rest. Nothing here
// asserts a time. For reference, PyTorch nanoGPT on CPU: 46 ms/iteration
// (README), reaching val loss 1.886 at 2000 iterations. (The wasm backend does
// not yet reclaim tape buffers between steps: keep --iters well under ~40 there.)

import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { createBackend, disposeBackend, wasmSimdSupported, type BackendName } from "../src/backend/select.js";
import { createModel } from "../src/language-model.js";
import { characterDataset, readTextFile } from "../src/training/datasets/index.js";
import { PRESETS, runConfigFromJson } from "../src/training/train-config.js";
import { Trainer } from "../src/training/trainer.js";

/** ../shared/data beside the repository (this file runs from dist/bench/). */
const DEFAULT_DATA = fileURLToPath(new URL("../../../shared/data/tinyshakespeare.txt", import.meta.url));

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

export async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      iters: { type: "string", default: "20" },
      backend: { type: "string" },
      threads: { type: "string" },
      data: { type: "string", default: DEFAULT_DATA },
    },
    strict: true,
  });
  const iters = Number(values.iters);
  if (!(Number.isInteger(iters) && iters >= 1)) throw new Error(`--iters: expected a positive integer, got ${values.iters}`);
  const backends = (values.backend ?? (wasmSimdSupported() ? "js,wasm" : "js")).split(",") as BackendName[];
  const threads = values.threads === undefined ? undefined : Number(values.threads);

  const config = runConfigFromJson(PRESETS["shakespeare-char"]!, "preset shakespeare-char");
  const dataset = characterDataset(await readTextFile(values.data), { trainFraction: config.data.trainFraction });
  const tokensPerIteration = config.training.batchSize * config.training.blockSize * config.training.gradientAccumulationSteps;
  process.stdout.write(
    `nanoGPT CPU baseline (shakespeare-char): ${config.model["n_layer"]} layers, ${config.model["n_head"]} heads, ` +
      `${config.model["n_embd"]} wide, block ${config.training.blockSize}, batch ${config.training.batchSize}, vocab ${dataset.vocabSize}; ` +
      `${iters} iterations after 1 warm-up\n\n`,
  );
  const rows: string[][] = [["backend", "threads", "ms/iter (median)", "ms/iter (mean)", "tokens/s", "loss first → last"]];
  for (const name of backends) {
    const backend = await createBackend(threads === undefined ? { backend: name } : { backend: name, threads });
    try {
      const model = await createModel({ ...config.model, vocab_size: dataset.vocabSize }, { seed: config.training.seed, tokenizer: dataset.tokenizer, backend });
      const trainer = new Trainer(model, dataset, { ...config.training, maxIters: iters + 1 });
      const first = await trainer.step(); // warm-up: JIT, buffer allocation
      const times: number[] = [];
      let last = first;
      for (let i = 0; i < iters; i++) {
        const started = performance.now();
        last = await trainer.step();
        times.push(performance.now() - started);
      }
      const mean = times.reduce((a, b) => a + b, 0) / times.length;
      const med = median(times);
      const usedThreads = (backend as Partial<{ threads: number }>).threads ?? 1;
      rows.push([name, String(usedThreads), med.toFixed(1), mean.toFixed(1), ((tokensPerIteration * 1000) / med).toFixed(0), `${first.loss.toFixed(3)} → ${last.loss.toFixed(3)}`]);
    } finally {
      disposeBackend(backend);
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const row of rows) process.stdout.write(`${row.map((cell, c) => cell.padStart(widths[c]!)).join("  ")}\n`);
}
