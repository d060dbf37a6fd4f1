// What the browser test runs inside Chromium (test/browser/backend-page.ts), and in Node for
// the expected values: the WASM backend's kernels against the js reference, with
// threads where the page allows them, and greedy decoding on a seeded random Llama
// (GQA). Imports nothing from Node or the DOM, as a browser bundle of lmscope's
// backend and model stack would.
import { jsBackend } from "../../src/backend/js/index.js";
import type { AttentionShape, Backend } from "../../src/backend/backend.js";
import { createBackend, disposeBackend } from "../../src/backend/select.js";
import { WasmBackend } from "../../src/backend/wasm/index.js";
import { generate } from "../../src/generation/generate.js";
import { gpt2StyleInitializer } from "../../src/models/initialize.js";
import { blueprintFor } from "../../src/models/registry.js";
import { quantizeMatrix } from "../../src/tensor/quantize.js";
import { Rng } from "../../src/tensor/random.js";
import { f32Matrix, type WeightMatrix } from "../../src/tensor/weights.js";

export interface BrowserReport {
  crossOriginIsolated: boolean | null;
  backend: string;
  threads: number;
  sharedMemory: boolean;
  /** Max relative error of each kernel against the js backend. */
  kernelErrors: Record<string, number>;
  /** Greedy continuation of the seeded random Llama on this backend. */
  greedyIds: number[];
}

const LLAMA = {
  model_type: "llama",
  vocab_size: 600,
  hidden_size: 128,
  intermediate_size: 344,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 64,
  rms_norm_eps: 1e-5,
  tie_word_embeddings: false,
};

function values(rng: Rng, n: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.nextFloat() * 2 - 1;
  return out;
}

function relativeError(actual: Float32Array, expected: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.abs(actual[i]! - expected[i]!) / (1 + Math.abs(expected[i]!));
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst;
}

/** out = x · Wᵀ on both backends; shapes large enough that the WASM backend splits them across threads. */
function matmulError(backend: Backend, w: WeightMatrix, x: Float32Array, m: number): number {
  const expected = new Float32Array(m * w.rows);
  jsBackend.matmul(expected, x, w, null, m);
  const out = backend.allocate(m * w.rows);
  backend.matmul(out, x, backend.uploadMatrix(w), null, m);
  return relativeError(out, expected);
}

function attentionError(backend: Backend, rng: Rng): number {
  const shape: AttentionShape = { queryCount: 2, keyCount: 300, queryOffset: 298, nHeads: 4, nKvHeads: 2, headDim: 16, scale: 0.25, causal: true };
  const q = values(rng, 2 * 4 * 16);
  const k = values(rng, 300 * 2 * 16);
  const v = values(rng, 300 * 2 * 16);
  const expected = new Float32Array(q.length);
  jsBackend.attention(expected, q, k, v, shape, new Float32Array(300));
  const out = backend.allocate(q.length);
  backend.attention(out, q, k, v, shape, new Float32Array(300));
  return relativeError(out, expected);
}

async function greedy(backend: Backend): Promise<number[]> {
  const blueprint = blueprintFor(LLAMA, "browser test config");
  const network = blueprint.build(new Map(), "browser test", {
    backend,
    ropeLayout: "half",
    initializer: gpt2StyleInitializer(11, blueprint.config.numLayers),
  });
  const ids: number[] = [];
  for await (const piece of generate(network, null, { ids: [5, 17, 42, 7] }, { maxTokens: 24, temperature: 0, stopOnEos: false })) {
    if (piece.tokenId !== null) ids.push(piece.tokenId);
  }
  return ids;
}

/** Runs every check on a new WASM backend with `threads` threads (fewer where the page cannot share memory). */
export async function runChecks(threads: number): Promise<BrowserReport> {
  const backend = await createBackend({ backend: "wasm", threads });
  try {
    if (!(backend instanceof WasmBackend)) throw new Error(`expected the wasm backend, got ${backend.name}`);
    const rng = new Rng(3);
    const f32 = f32Matrix(values(rng, 301 * 257), 301, 257);
    const q8 = quantizeMatrix(values(rng, 300 * 256), 300, 256, "q8_0");
    const q4 = quantizeMatrix(values(rng, 300 * 256), 300, 256, "q4_0");
    const q4k = quantizeMatrix(values(rng, 301 * 512), 301, 512, "q4_k");
    const q6k = quantizeMatrix(values(rng, 301 * 512), 301, 512, "q6_k");
    const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
    return {
      crossOriginIsolated: isolated ?? null,
      backend: backend.name,
      threads: backend.threads,
      sharedMemory: backend.sharedMemory,
      kernelErrors: {
        "matmul f32 (m = 1)": matmulError(backend, f32, values(rng, 257), 1),
        "matmul f32 (m = 5)": matmulError(backend, f32, values(rng, 5 * 257), 5),
        "matmul q8_0": matmulError(backend, q8, values(rng, 256), 1),
        "matmul q4_0": matmulError(backend, q4, values(rng, 256), 1),
        "matmul q4_k (m = 1)": matmulError(backend, q4k, values(rng, 512), 1),
        "matmul q6_k (m = 6)": matmulError(backend, q6k, values(rng, 6 * 512), 6),
        attention: attentionError(backend, rng),
      },
      greedyIds: await greedy(backend),
    };
  } finally {
    disposeBackend(backend);
  }
}
