// Causal linear attention (Katharopoulos et al. 2020, "Transformers are RNNs"):
// Q, K, V projections, rotary positions on Q and K when the layer uses them, a
// positive feature map φ on queries and keys — elu + 1, or FAVOR+ random features
// (the Performer, Choromanski et al. 2020) — then
//   out_i = φ(q_i)·Σ_{j≤i} φ(k_j) ⊗ v_j  /  (φ(q_i)·Σ_{j≤i} φ(k_j) + eps)
// by running sums (backend linearAttention), heads concatenated, output
// projection. Generation carries the sums (linear-attention-state.ts): constant
// memory and constant work per token, whatever the length. Query head h reads kv
// head ⌊h / (nHeads / nKvHeads)⌋ (GQA/MQA), as in softmax attention.
//
// Capture points: attn.z as for softmax attention, and attn.pattern as the
// weights φ(q_i)·φ(k_j) / normaliser over this call's keys (the keys of earlier
// calls live only in the sums; keyOffset says where this call's keys begin).

import { linearAttention } from "../autograd/linear-attention.js";
import { reshape } from "../autograd/reshape.js";
import type { Variable } from "../autograd/variable.js";
import type { LinearAttentionShape } from "../backend/attention-variants.js";
import type { Backend } from "../backend/backend.js";
import type { AttentionHeads, AttentionLayer } from "./attention-layer.js";
import type { FeatureMap } from "./feature-map.js";
import { LinearAttentionState } from "./linear-attention-state.js";
import type { Linear } from "./linear.js";
import { observe, type ForwardPass } from "./observer.js";
import type { RotaryEmbedding } from "./rotary-embedding.js";
import type { LayerState, LayerStateSizes } from "./sequence-cache.js";
import type { TapeContext } from "./tape-context.js";

/** Katharopoulos et al.'s normaliser offset. */
export const LINEAR_ATTENTION_EPS = 1e-6;

export interface LinearAttentionConfig {
  readonly heads: AttentionHeads;
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  readonly output: Linear;
  /** null: no rotation (absolute or no positions). */
  readonly rotary: RotaryEmbedding | null;
  readonly featureMap: FeatureMap;
  /** Added to each normaliser (default LINEAR_ATTENTION_EPS). */
  readonly eps?: number;
}

export class LinearAttention implements AttentionLayer {
  readonly heads: AttentionHeads;
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  readonly outputProj: Linear;
  readonly rotary: RotaryEmbedding | null;
  readonly featureMap: FeatureMap;
  readonly eps: number;
  readonly fusedQkvDim = 0;
  /** The kernel's sizes, updated in place for each call. */
  private readonly shape: LinearAttentionShape;

  constructor(config: LinearAttentionConfig) {
    this.heads = config.heads;
    this.query = config.query;
    this.key = config.key;
    this.value = config.value;
    this.outputProj = config.output;
    this.rotary = config.rotary;
    this.featureMap = config.featureMap;
    this.eps = config.eps ?? LINEAR_ATTENTION_EPS;
    const { nHeads, nKvHeads, headDim } = this.heads;
    if (nHeads % nKvHeads !== 0) throw new RangeError(`${nHeads} query heads are not a multiple of ${nKvHeads} kv heads`);
    this.shape = { rows: 0, nHeads, nKvHeads, featureDim: this.featureMap.featureDim, headDim, eps: this.eps };
  }

  /** Running sums of constant size: [nKvHeads, F, headDim] and [nKvHeads, F]. */
  createState(_sizes: LayerStateSizes, backend: Backend): LayerState {
    const { nKvHeads, headDim } = this.heads;
    return new LinearAttentionState(nKvHeads, this.featureMap.featureDim, headDim, backend);
  }

  forward(pass: ForwardPass, out: Float32Array, x: Float32Array, rows: number, state: LayerState, position: number, keyMask?: ArrayLike<number>): void {
    if (!(state instanceof LinearAttentionState)) throw new RangeError("linear attention needs the running sums its createState makes");
    if (keyMask !== undefined) throw new RangeError("linear attention is causal and takes no padding mask");
    const { backend, scratch } = pass;
    const { nHeads, nKvHeads, headDim } = this.heads;
    const F = this.featureMap.featureDim;
    state.advance(position, rows);
    const query = scratch.query; // [rows, nHeads, headDim]
    const keys = scratch.work("linear.keys", rows * nKvHeads * headDim, backend); // [rows, nKvHeads, headDim]
    const values = scratch.work("linear.values", rows * nKvHeads * headDim, backend); // [rows, nKvHeads, headDim]
    this.query.forward(backend, query, x, rows);
    this.key.forward(backend, keys, x, rows);
    this.value.forward(backend, values, x, rows);
    if (this.rotary !== null) {
      this.rotary.apply(backend, query, rows, nHeads, headDim, position);
      this.rotary.apply(backend, keys, rows, nKvHeads, headDim, position);
    }
    const phiQ = scratch.work("linear.phiQ", rows * nHeads * F, backend); // [rows, nHeads, F]
    const phiK = scratch.work("linear.phiK", rows * nKvHeads * F, backend); // [rows, nKvHeads, F]
    this.featureMap.apply(backend, phiQ, query, rows * nHeads);
    this.featureMap.apply(backend, phiK, keys, rows * nKvHeads);
    this.shape.rows = rows;
    if (pass.observer !== null) this.observePattern(pass, phiQ, phiK, state, rows, position);
    backend.linearAttention(scratch.context, phiQ, phiK, values, state.sums, state.normalizer, this.shape); // [rows, nHeads, headDim]
    observe(pass, "attn.z", scratch.context, rows, nHeads * headDim, position);
    this.outputProj.forward(backend, out, scratch.context, rows); // [rows, dim]
  }

  forwardOnTape(ctx: TapeContext, x: Variable, batch: number, keyMask?: ArrayLike<number>): Variable {
    if (keyMask !== undefined) throw new RangeError("linear attention is causal and takes no padding mask");
    const { nHeads, nKvHeads, headDim } = this.heads;
    const F = this.featureMap.featureDim;
    let q = this.query.forwardOnTape(ctx, x); // [batch · seq, nHeads · headDim]
    let k = this.key.forwardOnTape(ctx, x); // [batch · seq, nKvHeads · headDim]
    const v = this.value.forwardOnTape(ctx, x); // [batch · seq, nKvHeads · headDim]
    if (this.rotary !== null) {
      q = this.rotary.applyOnTape(ctx, q, nHeads, headDim, batch);
      k = this.rotary.applyOnTape(ctx, k, nKvHeads, headDim, batch);
    }
    const rows = q.size / (nHeads * headDim);
    const features = (z: Variable, heads: number): Variable =>
      reshape(ctx.tape, this.featureMap.applyOnTape(ctx, reshape(ctx.tape, z, [rows * heads, headDim])), [rows, heads * F]);
    const context = linearAttention(ctx.tape, features(q, nHeads), features(k, nKvHeads), v, { nHeads, nKvHeads, featureDim: F, headDim, eps: this.eps, batch });
    return this.outputProj.forwardOnTape(ctx, context); // [batch · seq, dim]
  }

  linears(): Linear[] {
    return [this.query, this.key, this.value, this.outputProj];
  }

  /** The weights over this call's keys, for an observer that wants attn.pattern (inspection only). */
  private observePattern(pass: ForwardPass, phiQ: Float32Array, phiK: Float32Array, state: LinearAttentionState, rows: number, position: number): void {
    const observer = pass.observer!;
    if (!observer.wants(pass.layer, "attn.pattern")) return;
    const { nHeads } = this.heads;
    const probs = new Float32Array(nHeads * rows * rows); // [nHeads, rows, rows]
    pass.backend.linearAttentionProbabilities(probs, phiQ, phiK, state.normalizer, this.shape);
    observer.visit(pass.layer, "attn.pattern", { data: probs, rows, width: rows, position, keyOffset: position, heads: nHeads });
  }
}
