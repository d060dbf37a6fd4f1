// Multi-head self-attention with grouped-query heads (MHA when nKvHeads = nHeads,
// MQA when it is 1): Q, K, V projections, rotary positions on Q and K when the
// model uses them, keys and values appended to the KV cache, scaled scores with
// a causal mask, softmax, weighted sum of V, heads concatenated, output projection.

import { attention } from "../autograd/attention.js";
import type { Variable } from "../autograd/variable.js";
import type { AttentionShape, Backend } from "../backend/backend.js";
import type { LayerKvCache } from "./kv-cache.js";
import type { Linear } from "./linear.js";
import type { RotaryEmbedding } from "./rotary-embedding.js";
import type { Scratch } from "./scratch.js";
import type { TapeContext } from "./tape-context.js";

export interface AttentionHeads {
  nHeads: number;
  nKvHeads: number;
  headDim: number;
}

export class SelfAttention {
  constructor(
    readonly queryProj: Linear,
    readonly keyProj: Linear,
    readonly valueProj: Linear,
    readonly outputProj: Linear,
    readonly heads: AttentionHeads,
    readonly rotary: RotaryEmbedding | null,
    readonly causal: boolean,
    /** Multiplier of the scores q·k; 1/√headDim unless the architecture says otherwise. */
    readonly scale: number = 1 / Math.sqrt(heads.headDim),
  ) {
    this.shape = { queryCount: 0, keyCount: 0, queryOffset: 0, ...heads, scale, causal };
  }

  /** The attention kernel's sizes, updated in place for each call. */
  private readonly shape: AttentionShape;

  /**
   * out [rows, dim] = attention of x [rows, dim], the tokens at positions
   * position .. position+rows−1; their keys and values are written to the cache
   * rows of the same positions and attention reads cache rows 0 .. position+rows−1.
   * keyMask [position+rows] (optional) is 0 for padding keys no query may attend.
   */
  forward(
    backend: Backend,
    out: Float32Array,
    x: Float32Array,
    rows: number,
    cache: LayerKvCache,
    position: number,
    scratch: Scratch,
    keyMask?: ArrayLike<number>,
  ): void {
    const { nHeads, nKvHeads, headDim } = this.heads;
    const kvDim = nKvHeads * headDim;
    const keys = cache.keys.subarray(position * kvDim, (position + rows) * kvDim); // [rows, nKvHeads, headDim]
    const values = cache.values.subarray(position * kvDim, (position + rows) * kvDim); // [rows, nKvHeads, headDim]
    this.queryProj.forward(backend, scratch.query, x, rows); // [rows, nHeads, headDim]
    this.keyProj.forward(backend, keys, x, rows);
    this.valueProj.forward(backend, values, x, rows);
    if (this.rotary !== null) {
      this.rotary.apply(backend, scratch.query, rows, nHeads, headDim, position);
      this.rotary.apply(backend, keys, rows, nKvHeads, headDim, position);
    }
    const shape = this.shape; // reused: the decode loop allocates nothing per token
    shape.queryCount = rows;
    shape.keyCount = position + rows;
    shape.queryOffset = position;
    backend.attention(scratch.context, scratch.query, cache.keys, cache.values, shape, scratch.scores, keyMask); // [rows, nHeads, headDim]
    this.outputProj.forward(backend, out, scratch.context, rows); // [rows, dim]
  }

  /** The projections, for adapters that attach to Linear layers (LoRA). */
  linears(): Linear[] {
    return [this.queryProj, this.keyProj, this.valueProj, this.outputProj];
  }

  /**
   * The same computation recorded on a tape, for `batch` sequences of equal length
   * at once: x [batch · seq, dim] → [batch · seq, dim]; no KV cache (every position
   * is computed). keyMask [batch · seq] marks padding keys with 0.
   */
  forwardOnTape(ctx: TapeContext, x: Variable, batch: number, keyMask?: ArrayLike<number>): Variable {
    const { nHeads, nKvHeads, headDim } = this.heads;
    let q = this.queryProj.forwardOnTape(ctx, x); // [batch · seq, nHeads · headDim]
    let k = this.keyProj.forwardOnTape(ctx, x); // [batch · seq, nKvHeads · headDim]
    const v = this.valueProj.forwardOnTape(ctx, x); // [batch · seq, nKvHeads · headDim]
    if (this.rotary !== null) {
      q = this.rotary.applyOnTape(ctx, q, nHeads, headDim, batch);
      k = this.rotary.applyOnTape(ctx, k, nKvHeads, headDim, batch);
    }
    const options = { nHeads, nKvHeads, headDim, causal: this.causal, scale: this.scale, batch };
    const context = attention(ctx.tape, q, k, v, keyMask === undefined ? options : { ...options, keyMask }); // [batch · seq, nHeads · headDim]
    return this.outputProj.forwardOnTape(ctx, context);
  }
}
