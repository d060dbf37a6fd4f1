// Multi-head self-attention with grouped-query heads (MHA when nKvHeads = nHeads,
// MQA when it is 1): Q, K, V projections, optional q/k normalisation (Qwen 3 and
// Gemma 3 per head, OLMo 2 over the whole projection), rotary positions on Q and K
// when the layer uses them, keys and values appended to the KV cache, scaled scores
// (soft-capped for Gemma 2, ALiBi-biased for BLOOM) with a causal mask or a sliding
// window, softmax, weighted sum of V, heads concatenated, output projection.
//
// Projections come as three Linears, or — GPT-NeoX and BLOOM — one fused Linear
// whose output holds each head's [q | k | v] side by side, split after the product.

import { attention } from "../autograd/attention.js";
import { gatherColumns } from "../autograd/gather.js";
import { reshape, splitColumns } from "../autograd/reshape.js";
import type { Variable } from "../autograd/variable.js";
import type { AttentionShape } from "../backend/backend.js";
import type { LayerKvCache } from "./kv-cache.js";
import type { Linear } from "./linear.js";
import type { Norm } from "./norm.js";
import { observe, type ForwardPass } from "./observer.js";
import type { RotaryEmbedding } from "./rotary-embedding.js";
import type { TapeContext } from "./tape-context.js";

export interface AttentionHeads {
  nHeads: number;
  nKvHeads: number;
  headDim: number;
}

/** How queries, keys and values are projected from the layer's input. */
export type QkvProjection =
  | { readonly kind: "separate"; readonly query: Linear; readonly key: Linear; readonly value: Linear }
  /** One product whose output is [rows, nHeads, 3, headDim]: head h's q, k, v side by side (nKvHeads = nHeads). */
  | { readonly kind: "fused-per-head"; readonly qkv: Linear };

/** Normalisation of queries and keys before RoPE: over each head's headDim, or over the whole projection. */
export interface QkNorm {
  readonly query: Norm;
  readonly key: Norm;
  readonly scope: "head" | "projection";
}

export interface SelfAttentionConfig {
  readonly heads: AttentionHeads;
  readonly projection: QkvProjection;
  readonly output: Linear;
  /** null: no positional rotation in this layer (learned or ALiBi positions, SmolLM3's NoPE layers). */
  readonly rotary: RotaryEmbedding | null;
  readonly causal: boolean;
  /** Multiplier of q·k (1/√headDim unless the architecture says otherwise). */
  readonly scale: number;
  /** Sliding window (keys a query sees, itself included); 0: none. */
  readonly window?: number;
  /** Score soft-capping (Gemma 2); 0: none. */
  readonly softcap?: number;
  /** ALiBi slope per query head (BLOOM); null: none. */
  readonly alibiSlopes?: Float32Array | null;
  readonly qkNorm?: QkNorm | null;
}

export class SelfAttention {
  readonly heads: AttentionHeads;
  readonly projection: QkvProjection;
  readonly outputProj: Linear;
  readonly rotary: RotaryEmbedding | null;
  readonly causal: boolean;
  readonly scale: number;
  readonly window: number;
  readonly softcap: number;
  readonly alibiSlopes: Float32Array | null;
  readonly qkNorm: QkNorm | null;
  /** The attention kernel's sizes, updated in place for each call: the decode loop allocates nothing. */
  private readonly shape: AttentionShape;
  /** Column order that turns a fused-per-head output into [q | k | v] blocks (tape only; built on first use). */
  private fusedOrder: Int32Array | null = null;

  constructor(config: SelfAttentionConfig) {
    this.heads = config.heads;
    this.projection = config.projection;
    this.outputProj = config.output;
    this.rotary = config.rotary;
    this.causal = config.causal;
    this.scale = config.scale;
    this.window = config.window ?? 0;
    this.softcap = config.softcap ?? 0;
    this.alibiSlopes = config.alibiSlopes ?? null;
    this.qkNorm = config.qkNorm ?? null;
    const { nHeads, nKvHeads } = this.heads;
    if (nHeads % nKvHeads !== 0) throw new RangeError(`${nHeads} query heads are not a multiple of ${nKvHeads} kv heads`);
    if (this.projection.kind === "fused-per-head" && nKvHeads !== nHeads) {
      throw new RangeError("a fused per-head q|k|v projection needs as many kv heads as query heads");
    }
    if (this.alibiSlopes !== null && this.alibiSlopes.length !== nHeads) {
      throw new RangeError(`${this.alibiSlopes.length} ALiBi slopes for ${nHeads} heads`);
    }
    this.shape = {
      queryCount: 0,
      keyCount: 0,
      queryOffset: 0,
      ...this.heads,
      scale: this.scale,
      causal: this.causal,
      window: this.window,
      softcap: this.softcap,
      alibiSlopes: this.alibiSlopes,
    };
  }

  /**
   * out [rows, dim] = attention of x [rows, dim], the tokens at positions
   * position .. position+rows−1; their keys and values go into the cache and
   * attention reads every cached key they may see. keyMask [keys] (optional, the
   * cache's rows) is 0 for padding keys no query may attend.
   */
  forward(pass: ForwardPass, out: Float32Array, x: Float32Array, rows: number, cache: LayerKvCache, position: number, keyMask?: ArrayLike<number>): void {
    if (pass.sequences !== null) return this.forwardSequenceRows(pass, out, x, rows);
    const { backend, scratch } = pass;
    const { nHeads, nKvHeads, headDim } = this.heads;
    const kvDim = nKvHeads * headDim;
    const row = cache.reserve(position, rows); // the cache row of `position`
    scratch.reserveKeys(row + rows, backend);
    const keys = cache.keys.subarray(row * kvDim, (row + rows) * kvDim); // [rows, nKvHeads, headDim]
    const values = cache.values.subarray(row * kvDim, (row + rows) * kvDim); // [rows, nKvHeads, headDim]
    const query = scratch.query; // [rows, nHeads, headDim]
    if (this.projection.kind === "separate") {
      this.projection.query.forward(backend, query, x, rows);
      this.projection.key.forward(backend, keys, x, rows);
      this.projection.value.forward(backend, values, x, rows);
    } else {
      this.projection.qkv.forward(backend, scratch.qkv, x, rows); // [rows, nHeads, 3, headDim]
      splitPerHead(scratch.qkv, query, keys, values, rows, nHeads, headDim);
    }
    if (this.qkNorm !== null) {
      const perHead = this.qkNorm.scope === "head";
      this.qkNorm.query.forward(backend, query, query, perHead ? rows * nHeads : rows);
      this.qkNorm.key.forward(backend, keys, keys, perHead ? rows * nKvHeads : rows);
    }
    if (this.rotary !== null) {
      this.rotary.apply(backend, query, rows, nHeads, headDim, position);
      this.rotary.apply(backend, keys, rows, nKvHeads, headDim, position);
    }
    const shape = this.shape;
    shape.queryCount = rows;
    shape.keyCount = row + rows;
    shape.queryOffset = row;
    const cachedKeys = cache.keys.subarray(0, (row + rows) * kvDim);
    if (pass.observer !== null) this.observePattern(pass, query, cachedKeys, rows, position, cache.offset, keyMask);
    backend.attention(scratch.context, query, cachedKeys, cache.values, shape, scratch.scores, keyMask); // [rows, nHeads, headDim]
    observe(pass, "attn.z", scratch.context, rows, nHeads * headDim, position);
    this.outputProj.forward(backend, out, scratch.context, rows); // [rows, dim]
  }

  /**
   * A batched decode step: row i of x [rows, dim] is the next token of its own
   * sequence (pass.sequences). The projections run once over all rows (the weights
   * read once for every sequence); each row's key and value go into its sequence's
   * cache and its query attends to that cache alone.
   */
  private forwardSequenceRows(pass: ForwardPass, out: Float32Array, x: Float32Array, rows: number): void {
    const { backend, scratch } = pass;
    const { caches, positions } = pass.sequences!;
    const { nHeads, nKvHeads, headDim } = this.heads;
    const qDim = nHeads * headDim;
    const kvDim = nKvHeads * headDim;
    const query = scratch.query; // [rows, nHeads, headDim]
    const keys = scratch.keys; // [rows, nKvHeads, headDim]
    const values = scratch.values; // [rows, nKvHeads, headDim]
    if (this.projection.kind === "separate") {
      this.projection.query.forward(backend, query, x, rows);
      this.projection.key.forward(backend, keys, x, rows);
      this.projection.value.forward(backend, values, x, rows);
    } else {
      this.projection.qkv.forward(backend, scratch.qkv, x, rows);
      splitPerHead(scratch.qkv, query, keys, values, rows, nHeads, headDim);
    }
    if (this.qkNorm !== null) {
      const perHead = this.qkNorm.scope === "head";
      this.qkNorm.query.forward(backend, query, query, perHead ? rows * nHeads : rows);
      this.qkNorm.key.forward(backend, keys, keys, perHead ? rows * nKvHeads : rows);
    }
    const shape = this.shape;
    for (let r = 0; r < rows; r++) {
      const cache = caches[r]!.layers[pass.layer]!;
      const position = positions[r]!;
      const q = query.subarray(r * qDim, (r + 1) * qDim);
      const k = keys.subarray(r * kvDim, (r + 1) * kvDim);
      if (this.rotary !== null) {
        this.rotary.apply(backend, q, 1, nHeads, headDim, position);
        this.rotary.apply(backend, k, 1, nKvHeads, headDim, position);
      }
      const row = cache.reserve(position, 1);
      scratch.reserveKeys(row + 1, backend);
      cache.keys.set(k, row * kvDim);
      cache.values.set(values.subarray(r * kvDim, (r + 1) * kvDim), row * kvDim);
      shape.queryCount = 1;
      shape.keyCount = row + 1;
      shape.queryOffset = row;
      backend.attention(scratch.context.subarray(r * qDim, (r + 1) * qDim), q, cache.keys.subarray(0, (row + 1) * kvDim), cache.values, shape, scratch.scores);
    }
    this.outputProj.forward(backend, out, scratch.context, rows); // [rows, dim]
  }

  /** The projections, for adapters that attach to Linear layers (LoRA). */
  linears(): Linear[] {
    const p = this.projection;
    return p.kind === "separate" ? [p.query, p.key, p.value, this.outputProj] : [p.qkv, this.outputProj];
  }

  /**
   * The same computation recorded on a tape, for `batch` sequences of equal length
   * at once: x [batch · seq, dim] → [batch · seq, dim]; no KV cache (every position
   * is computed). keyMask [batch · seq] marks padding keys with 0.
   */
  forwardOnTape(ctx: TapeContext, x: Variable, batch: number, keyMask?: ArrayLike<number>): Variable {
    const { nHeads, nKvHeads, headDim } = this.heads;
    let [q, k, v] = this.projectOnTape(ctx, x); // [batch · seq, nHeads · headDim], [batch · seq, nKvHeads · headDim] ×2
    if (this.qkNorm !== null) {
      const rows = q.size / (nHeads * headDim);
      const perHead = this.qkNorm.scope === "head";
      q = reshape(ctx.tape, this.qkNorm.query.forwardOnTape(ctx, reshape(ctx.tape, q, perHead ? [rows * nHeads, headDim] : [rows, nHeads * headDim])), q.shape);
      k = reshape(ctx.tape, this.qkNorm.key.forwardOnTape(ctx, reshape(ctx.tape, k, perHead ? [rows * nKvHeads, headDim] : [rows, nKvHeads * headDim])), k.shape);
    }
    if (this.rotary !== null) {
      q = this.rotary.applyOnTape(ctx, q, nHeads, headDim, batch);
      k = this.rotary.applyOnTape(ctx, k, nKvHeads, headDim, batch);
    }
    const options = {
      nHeads,
      nKvHeads,
      headDim,
      causal: this.causal,
      scale: this.scale,
      batch,
      window: this.window,
      softcap: this.softcap,
      alibiSlopes: this.alibiSlopes,
    };
    const context = attention(ctx.tape, q, k, v, keyMask === undefined ? options : { ...options, keyMask }); // [batch · seq, nHeads · headDim]
    return this.outputProj.forwardOnTape(ctx, context);
  }

  private projectOnTape(ctx: TapeContext, x: Variable): [Variable, Variable, Variable] {
    const p = this.projection;
    if (p.kind === "separate") {
      return [p.query.forwardOnTape(ctx, x), p.key.forwardOnTape(ctx, x), p.value.forwardOnTape(ctx, x)];
    }
    const { nHeads, headDim } = this.heads;
    const width = nHeads * headDim;
    this.fusedOrder ??= perHeadToBlocks(nHeads, headDim);
    const qkv = gatherColumns(ctx.tape, p.qkv.forwardOnTape(ctx, x), this.fusedOrder); // [rows, q | k | v]
    return splitColumns(ctx.tape, qkv, [width, width, width]) as [Variable, Variable, Variable];
  }

  /** Computes the attention probabilities for the observer when it wants them (inspection only). */
  private observePattern(
    pass: ForwardPass,
    query: Float32Array,
    keys: Float32Array,
    rows: number,
    position: number,
    keyOffset: number,
    keyMask: ArrayLike<number> | undefined,
  ): void {
    const observer = pass.observer!;
    if (!observer.wants(pass.layer, "attn.pattern")) return;
    const { nHeads } = this.heads;
    const keyCount = this.shape.keyCount;
    const probs = new Float32Array(nHeads * rows * keyCount); // [nHeads, rows, keyCount]
    pass.backend.attentionProbabilities(probs, query, keys, this.shape, new Float32Array(keyCount), keyMask);
    observer.visit(pass.layer, "attn.pattern", { data: probs, rows, width: keyCount, position, keyOffset, heads: nHeads });
  }
}

/** Splits qkv [rows, nHeads, 3, headDim] into q [rows, nHeads, headDim], k and v (copies of contiguous runs). */
function splitPerHead(qkv: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, rows: number, nHeads: number, headDim: number): void {
  for (let r = 0; r < rows; r++) {
    for (let h = 0; h < nHeads; h++) {
      const from = (r * nHeads + h) * 3 * headDim;
      const to = (r * nHeads + h) * headDim;
      q.set(qkv.subarray(from, from + headDim), to);
      k.set(qkv.subarray(from + headDim, from + 2 * headDim), to);
      v.set(qkv.subarray(from + 2 * headDim, from + 3 * headDim), to);
    }
  }
}

/** Column j of the [q | k | v] layout reads column order[j] of the per-head layout [nHeads, 3, headDim]. */
function perHeadToBlocks(nHeads: number, headDim: number): Int32Array {
  const order = new Int32Array(3 * nHeads * headDim);
  for (let part = 0; part < 3; part++) {
    for (let h = 0; h < nHeads; h++) {
      for (let d = 0; d < headDim; d++) order[(part * nHeads + h) * headDim + d] = (h * 3 + part) * headDim + d;
    }
  }
  return order;
}
