// Activation buffers a forward pass writes into, allocated once for a chunk of
// `rows` tokens and reused for every chunk and every generated token (llama2.c's
// RunState). Each buffer is [rows, width]; kernels are told how many rows are live.

import type { Backend } from "../backend/backend.js";

export interface ScratchSizes {
  /** Tokens per forward chunk. */
  rows: number;
  /** Model width (hidden size). */
  dim: number;
  /** nHeads · headDim */
  queryDim: number;
  /** nKvHeads · headDim */
  kvDim: number;
  /** Width of a fused q|k|v projection's output ((nHeads + 2·nKvHeads) · headDim), 0 when no layer fuses them. */
  fusedQkvDim: number;
  /** Feed-forward inner width. */
  ffnDim: number;
  /** Longest key sequence attention sees (the KV cache capacity). */
  maxKeys: number;
}

export class Scratch {
  /** [rows, dim] the residual stream */
  readonly residual: Float32Array;
  /** [rows, dim] normalised input of a sub-layer */
  readonly normed: Float32Array;
  /** [rows, dim] output of a sub-layer before the residual add */
  readonly delta: Float32Array;
  /** [rows, dim] the second branch of a parallel block (GPT-NeoX: attention and MLP read the same x) */
  readonly branch: Float32Array;
  /** [rows, fusedQkvDim] a fused projection's output before it is split into q, k and v */
  readonly qkv: Float32Array;
  /** [rows, kvDim] keys of a batched decode step, before each goes to its sequence's cache */
  readonly keys: Float32Array;
  /** [rows, kvDim] values of a batched decode step */
  readonly values: Float32Array;
  /** [rows, queryDim] */
  readonly query: Float32Array;
  /** [rows, queryDim] attention output, heads concatenated */
  readonly context: Float32Array;
  /** [rows, ffnDim] */
  readonly hidden: Float32Array;
  /** [rows, ffnDim] second branch of a gated feed-forward */
  readonly gate: Float32Array;
  /** [maxKeys] attention scores of one query row and head (the js kernels' scratch) */
  scores: Float32Array;

  constructor(
    readonly sizes: ScratchSizes,
    backend: Backend,
  ) {
    const { rows, dim, queryDim, kvDim, fusedQkvDim, ffnDim, maxKeys } = sizes;
    this.residual = backend.allocate(rows * dim);
    this.normed = backend.allocate(rows * dim);
    this.delta = backend.allocate(rows * dim);
    this.branch = backend.allocate(rows * dim);
    this.qkv = backend.allocate(rows * fusedQkvDim);
    this.keys = backend.allocate(rows * kvDim);
    this.values = backend.allocate(rows * kvDim);
    this.query = backend.allocate(rows * queryDim);
    this.context = backend.allocate(rows * queryDim);
    this.hidden = backend.allocate(rows * ffnDim);
    this.gate = backend.allocate(rows * ffnDim);
    this.scores = backend.allocate(maxKeys);
  }

  /** Grows the scores buffer to `keys` when a KV cache has outgrown it. */
  reserveKeys(keys: number, backend: Backend): void {
    if (this.scores.length < keys) this.scores = backend.allocate(Math.max(keys, 2 * this.scores.length));
  }
}
