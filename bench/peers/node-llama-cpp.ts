// Peer measurement: llama.cpp (through node-llama-cpp's prebuilt CPU binary) on a GGUF
// file, measured the way bench/generate.ts measures lmscope: a fixed seeded prompt of
// token ids, greedy decoding that ignores EOS; prefill = prompt tokens / time to the first
// generated token, decode = the following tokens / their time. The KV cache is F32 and
// flash attention off, so llama.cpp computes what lmscope computes (its default F16 cache
// adds about 1e-2 of logit noise on stories260K).
//
// node-llama-cpp is not a dependency (it pulls ~700 MB of optional GPU builds into every
// install): the benchmark loads it when present — `npm install --no-save node-llama-cpp@3.22.1`
// installs it from the npm registry with its prebuilt CPU binary (`@node-llama-cpp/linux-x64`);
// `build: "never"` makes sure it never tries to compile. The few calls used are typed here.

import { benchmarkPrompt } from "../prompt.js";

interface Sequence {
  evaluate(tokens: number[], options: { temperature: number }): AsyncIterable<unknown>;
}
interface Context {
  getSequence(): Sequence;
  dispose(): Promise<void>;
}
interface Model {
  readonly trainContextSize: number;
  tokenize(text: string, specialTokens: boolean): readonly number[];
  readonly fileInfo: { metadata: { tokenizer?: { ggml?: { tokens?: readonly unknown[] } } } };
  createContext(options: object): Promise<Context>;
  dispose(): Promise<void>;
}
export interface Llama {
  loadModel(options: { modelPath: string; gpuLayers: number }): Promise<Model>;
}
export interface NodeLlamaCpp {
  getLlama(options: object): Promise<Llama>;
}

const MODULE = "node-llama-cpp";

/** The node-llama-cpp module, or null when it is not installed. */
export async function loadNodeLlamaCpp(): Promise<NodeLlamaCpp | null> {
  try {
    return (await import(MODULE)) as NodeLlamaCpp;
  } catch {
    return null;
  }
}

export interface PeerMeasurement {
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
}

/** One llama.cpp instance for the process; each context sets its own thread count. */
let llamaInstance: Promise<Llama> | undefined;

export async function measureNodeLlamaCpp(
  nodeLlamaCpp: NodeLlamaCpp,
  ggufPath: string,
  opts: { threads: number; promptTokens: number; decodeTokens: number },
): Promise<PeerMeasurement> {
  // No maxThreads: it caps every later context, so the first measurement's thread count
  // (1) would hold the 2-thread rows to one thread.
  llamaInstance ??= nodeLlamaCpp.getLlama({ gpu: false, build: "never", logLevel: "error" });
  const llama = await llamaInstance;
  const model = await llama.loadModel({ modelPath: ggufPath, gpuLayers: 0 });
  try {
    const context = await model.createContext({
      contextSize: Math.min(model.trainContextSize, opts.promptTokens + opts.decodeTokens + 8),
      threads: { ideal: opts.threads, min: opts.threads },
      flashAttention: false,
      experimentalKvCacheKeyType: "F32",
      experimentalKvCacheValueType: "F32",
    });
    try {
      const sequence = context.getSequence();
      const vocab = model.fileInfo.metadata.tokenizer?.ggml?.tokens?.length;
      if (vocab === undefined) throw new Error(`${ggufPath}: no tokenizer.ggml.tokens, cannot size the prompt`);
      const prompt = benchmarkPrompt(vocab, opts.promptTokens);
      const start = performance.now();
      let firstTokenAt = 0;
      let count = 0;
      for await (const _token of sequence.evaluate(prompt, { temperature: 0 })) {
        if (count++ === 0) firstTokenAt = performance.now();
        if (count > opts.decodeTokens) break;
      }
      const end = performance.now();
      return {
        prefillTokensPerSecond: (prompt.length * 1000) / (firstTokenAt - start),
        decodeTokensPerSecond: ((count - 1) * 1000) / (end - firstTokenAt),
      };
    } finally {
      await context.dispose();
    }
  } finally {
    await model.dispose();
  }
}
