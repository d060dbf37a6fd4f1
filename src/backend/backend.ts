// The kernel interface. Model code calls only these operations; every backend
// (the plain TypeScript reference in ./js, faster ones later) implements them.
// Kernels work on flat float32 buffers the caller preallocates, with explicit
// sizes, so the decode loop allocates nothing. Buffers may be longer than the
// sizes given; only the leading elements are read or written.

import type { WeightMatrix } from "../tensor/weights.js";

export type GeluApproximation = "tanh" | "erf";

/** Which pairs of a head's dimensions RoPE rotates together. */
export type RopeLayout =
  /** Hugging Face: dimension i pairs with i + headDim/2 (`rotate_half`). */
  | "half"
  /** Meta / llama2.c / GGUF: dimension 2i pairs with 2i + 1. */
  | "interleaved";

export interface AttentionShape {
  /** Number of query rows (tokens processed now). */
  queryCount: number;
  /** Number of valid key/value rows (cached + current). */
  keyCount: number;
  /** Position of query row 0 among the keys (= tokens already cached). */
  queryOffset: number;
  nHeads: number;
  /** Key/value heads; nHeads is a multiple of it (GQA: query head h uses kv head h / (nHeads / nKvHeads)). */
  nKvHeads: number;
  headDim: number;
  /** Multiplier of q·k, usually 1/√headDim. */
  scale: number;
  /** Query row i sees keys 0..queryOffset+i only. */
  causal: boolean;
  /**
   * Sliding window (Mistral, Gemma's local layers): a causal query at key index p
   * sees only the `window` keys p − window + 1 … p. 0 or absent: no window.
   */
  window?: number;
  /** Gemma 2's score soft-capping: s ← cap · tanh(s / cap), before masks and biases. 0 or absent: off. */
  softcap?: number;
  /**
   * ALiBi (Press et al. 2022; BLOOM): per query head h, s ← s − slope[h] · |p − t| for
   * the query at key index p and key t. Absent or null: no bias.
   */
  alibiSlopes?: Float32Array | null;
}

export interface Backend {
  readonly name: string;

  /**
   * A zeroed buffer the kernels can work on (activations, KV cache, logits). A
   * backend that computes in its own memory (WASM) returns a view into it.
   */
  allocate(length: number): Float32Array;

  /**
   * How much the backend's own memory holds and can hold, in bytes (the WASM
   * backend's linear memory is at most 4 GiB); absent for backends that use the
   * JavaScript heap. Loaders refuse a model that cannot fit before reading it.
   */
  memoryBudget?(): { readonly used: number; readonly limit: number };

  /** Places a weight vector (norm gains, biases, embeddings) where the kernels read it; may return `data` itself. */
  upload(data: Float32Array): Float32Array;

  /** Places a weight matrix where the kernels read it; may return `matrix` itself. */
  uploadMatrix(matrix: WeightMatrix): WeightMatrix;

  /** out[m, n] = x[m, k] · wᵀ (+ bias[n]); w is [n, k] (nn.Linear layout), of any storage type. The hot spot. */
  matmul(out: Float32Array, x: Float32Array, w: WeightMatrix, bias: Float32Array | null, m: number): void;

  /** out[i, :] = table[ids[i], :] for a table of rows of `dim` floats. */
  embedding(out: Float32Array, table: Float32Array, ids: ArrayLike<number>, dim: number): void;

  /** out[i] = a[i] + b[i] for i < n (out may alias a or b). */
  add(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void;

  /** out[i] = a[i] · b[i] for i < n (out may alias a or b). */
  mul(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void;

  /**
   * Each row: x / √(mean(x²) + eps) · (weightOffset + weight). weightOffset is 0 for
   * Llama's RMSNorm, 1 for Gemma's, which stores the gain as w in (1 + w). out may alias x.
   */
  rmsNorm(out: Float32Array, x: Float32Array, weight: Float32Array, rows: number, dim: number, eps: number, weightOffset: number): void;

  /** Each row: (x − mean) / √(var + eps) · weight + bias (biased variance). out may alias x. */
  layerNorm(
    out: Float32Array,
    x: Float32Array,
    weight: Float32Array,
    bias: Float32Array,
    rows: number,
    dim: number,
    eps: number,
  ): void;

  /** Softmax of each row of `cols`, in place, max-subtracted. */
  softmax(x: Float32Array, rows: number, cols: number): void;

  /** x[i] ← factor · x[i] in place for i < n, the factor rounded to float32 (embedding, residual and logit multipliers). */
  scale(x: Float32Array, n: number, factor: number): void;

  /** GELU in place on the first n elements. */
  gelu(x: Float32Array, n: number, approximation: GeluApproximation): void;

  /** ReLU (max(0, x)) in place on the first n elements (the original Transformer's MLP, T5). */
  relu(x: Float32Array, n: number): void;

  /** SiLU (x·σ(x)) in place on the first n elements. */
  silu(x: Float32Array, n: number): void;

  /** tanh in place on the first n elements (BERT's pooler). */
  tanh(x: Float32Array, n: number): void;

  /**
   * One LSTM step for `rows` sequences (torch nn.LSTM, gate blocks i, f, g, o):
   * gates = gatesInput + gatesHidden, both [rows, 4·hidden] (x·W_ihᵀ + b_ih and
   * h·W_hhᵀ + b_hh); c = σ(f)·cPrev + σ(i)·tanh(g), h = σ(o)·tanh(c). Writes
   * state [2, rows, hidden]: the h rows, then the c rows. state overlaps no input.
   */
  lstmCell(state: Float32Array, gatesInput: Float32Array, gatesHidden: Float32Array, cPrev: Float32Array, rows: number, hidden: number): void;

  /**
   * One GRU step for `rows` sequences (torch nn.GRU, gate blocks r, z, n):
   * r = σ(i_r + h_r), z = σ(i_z + h_z), n = tanh(i_n + r·h_n), h = (1 − z)·n + z·hPrev,
   * where gatesInput = x·W_ihᵀ + b_ih and gatesHidden = hPrev·W_hhᵀ + b_hh, both
   * [rows, 3·hidden] (the reset gate scales h_n after the product, b_hn included).
   * Writes h [rows, hidden], which overlaps no input.
   */
  gruCell(h: Float32Array, gatesInput: Float32Array, gatesHidden: Float32Array, hPrev: Float32Array, rows: number, hidden: number): void;

  /**
   * Rotary position embedding in place. x is [rows, nHeads, headDim]; row i is at
   * position firstPosition + i. cos/sin are [maxPositions, rotaryDim/2] tables;
   * the first rotaryDim dimensions of each head rotate, the rest pass through.
   */
  rope(
    x: Float32Array,
    rows: number,
    nHeads: number,
    headDim: number,
    firstPosition: number,
    cos: Float32Array,
    sin: Float32Array,
    rotaryDim: number,
    layout: RopeLayout,
  ): void;

  /**
   * Scaled dot-product attention. q is [queryCount, nHeads, headDim]; k and v are
   * [keyCount, nKvHeads, headDim] (a KV cache's leading rows); out is
   * [queryCount, nHeads, headDim]. keyMask (optional, [keyCount]) is 1 for keys
   * that may be attended and 0 for padding. scores is scratch of ≥ keyCount floats.
   */
  attention(
    out: Float32Array,
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    shape: AttentionShape,
    scores: Float32Array,
    keyMask?: ArrayLike<number>,
  ): void;

  /**
   * The probabilities `attention` weighs the values by, for inspection: probs is
   * [nHeads, queryCount, keyCount], zero for keys a query does not see; scores is
   * scratch of ≥ keyCount floats. Not on the decode path: a backend may compute it
   * with the js reference.
   */
  attentionProbabilities(
    probs: Float32Array,
    q: Float32Array,
    k: Float32Array,
    shape: AttentionShape,
    scores: Float32Array,
    keyMask?: ArrayLike<number>,
  ): void;
}
