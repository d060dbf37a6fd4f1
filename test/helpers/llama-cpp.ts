// llama.cpp (through node-llama-cpp's prebuilt CPU binary, when it is installed:
// `npm install --no-save node-llama-cpp@3.22.1`) as a reference for GGUF files: its raw
// logits at every position of a sequence and its greedy continuation, computed with an
// F32 KV cache and without flash attention. The greedy loop picks the highest logit at
// each step itself, so an end-of-generation token does not stop it. The few calls used
// are typed here (node-llama-cpp is not a dependency).
import { loadNodeLlamaCpp } from "../../bench/peers/node-llama-cpp.js";

type Item = number | [number, { generateNext: { logits: true } }];
interface Sequence {
  controlledEvaluate(input: Item[]): Promise<({ next: { logits?: Map<number, number> } } | undefined)[]>;
}
interface Context {
  getSequence(): Sequence;
  dispose(): Promise<void>;
}
interface Model {
  tokenize(text: string, specialTokens: boolean): readonly number[];
  createContext(options: object): Promise<Context>;
  dispose(): Promise<void>;
}
interface Llama {
  loadModel(options: { modelPath: string; gpuLayers: number }): Promise<Model>;
}

export interface LlamaCppModel {
  /** Token ids of `text` without special tokens. */
  tokenize(text: string): number[];
  /** Logits [ids.length × vocab] after each id of `ids`, from position 0. */
  logits(ids: readonly number[], vocab: number): Promise<Float32Array>;
  /** `count` greedy ids after `prompt`. */
  greedy(prompt: readonly number[], count: number): Promise<number[]>;
  dispose(): Promise<void>;
}

let llama: Promise<Llama> | undefined;

/** The file loaded by llama.cpp, or null when node-llama-cpp is not installed. */
export async function loadLlamaCpp(path: string): Promise<LlamaCppModel | null> {
  const module = await loadNodeLlamaCpp();
  if (module === null) return null;
  llama ??= module.getLlama({ gpu: false, build: "never", logLevel: "error" }) as unknown as Promise<Llama>;
  const model = await (await llama).loadModel({ modelPath: path, gpuLayers: 0 });
  const context = async (): Promise<Context> =>
    model.createContext({ contextSize: 256, threads: 1, flashAttention: false, experimentalKvCacheKeyType: "F32", experimentalKvCacheValueType: "F32" });
  const withLogits = (id: number): Item => [id, { generateNext: { logits: true } }];
  return {
    tokenize: (text) => [...model.tokenize(text, false)],
    async logits(ids, vocab) {
      const ctx = await context();
      try {
        const results = await ctx.getSequence().controlledEvaluate(ids.map(withLogits));
        const out = new Float32Array(ids.length * vocab).fill(Number.NaN);
        results.forEach((r, i) => {
          for (const [token, logit] of r?.next.logits ?? []) out[i * vocab + token] = logit;
        });
        return out;
      } finally {
        await ctx.dispose();
      }
    },
    async greedy(prompt, count) {
      const ctx = await context();
      try {
        const sequence = ctx.getSequence();
        const ids: number[] = [];
        let input: Item[] = prompt.map((id, i) => (i === prompt.length - 1 ? withLogits(id) : id));
        while (ids.length < count) {
          const results = await sequence.controlledEvaluate(input);
          const logits = results[results.length - 1]?.next.logits;
          if (logits === undefined) throw new Error("llama.cpp returned no logits");
          let best = -1;
          let bestLogit = -Infinity;
          for (const [token, logit] of logits) if (logit > bestLogit) [best, bestLogit] = [token, logit];
          ids.push(best);
          input = [withLogits(best)];
        }
        return ids;
      } finally {
        await ctx.dispose();
      }
    },
    dispose: () => model.dispose(),
  };
}
