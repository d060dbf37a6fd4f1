// The pre-norm Transformer block of GPT-2 and Llama:
//   x = x + attention(norm1(x));  x = x + ffn(norm2(x))

import type { Backend } from "../backend/backend.js";
import type { SelfAttention } from "./attention.js";
import type { LayerKvCache } from "./kv-cache.js";
import type { FeedForward } from "./mlp.js";
import type { Norm } from "./norm.js";
import type { Scratch } from "./scratch.js";

export class PreNormBlock {
  constructor(
    readonly attentionNorm: Norm,
    readonly attention: SelfAttention,
    readonly ffnNorm: Norm,
    readonly ffn: FeedForward,
  ) {}

  /** Updates the residual stream x [rows, dim] in place. */
  forward(
    backend: Backend,
    x: Float32Array,
    rows: number,
    dim: number,
    cache: LayerKvCache,
    position: number,
    scratch: Scratch,
  ): void {
    const n = rows * dim;
    this.attentionNorm.forward(backend, scratch.normed, x, rows);
    this.attention.forward(backend, scratch.delta, scratch.normed, rows, cache, position, scratch);
    backend.add(x, x, scratch.delta, n);
    this.ffnNorm.forward(backend, scratch.normed, x, rows);
    this.ffn.forward(backend, scratch.delta, scratch.normed, rows, scratch);
    backend.add(x, x, scratch.delta, n);
  }
}
