// The post-norm Transformer block of BERT (Vaswani et al. 2017, Devlin et al. 2019;
// HF modeling_bert.py BertLayer, torch.nn.TransformerEncoderLayer norm_first=False):
//   x = norm1(x + attention(x));  x = norm2(x + ffn(x))
// Attention is bidirectional; a key mask keeps padding keys out of every row.

import { add } from "../autograd/elementwise.js";
import type { Variable } from "../autograd/variable.js";
import type { Backend } from "../backend/backend.js";
import { residualDropout } from "./block.js";
import type { SelfAttention } from "./attention.js";
import type { LayerKvCache } from "./kv-cache.js";
import type { FeedForward } from "./mlp.js";
import type { Norm } from "./norm.js";
import type { Scratch } from "./scratch.js";
import type { TapeContext } from "./tape-context.js";

export class PostNormBlock {
  constructor(
    readonly attention: SelfAttention,
    /** BERT's attention.output.LayerNorm */
    readonly attentionNorm: Norm,
    readonly ffn: FeedForward,
    /** BERT's output.LayerNorm */
    readonly ffnNorm: Norm,
  ) {}

  /**
   * Updates the hidden states x [rows, dim] of one whole sequence in place.
   * `keys` holds the sequence's keys and values (capacity ≥ rows); keyMask [rows]
   * is 0 at padding positions (optional: every position is a real token).
   */
  forward(
    backend: Backend,
    x: Float32Array,
    rows: number,
    dim: number,
    keys: LayerKvCache,
    scratch: Scratch,
    keyMask?: ArrayLike<number>,
  ): void {
    const n = rows * dim;
    this.attention.forward(backend, scratch.delta, x, rows, keys, 0, scratch, keyMask); // [rows, dim]
    backend.add(x, x, scratch.delta, n);
    this.attentionNorm.forward(backend, x, x, rows);
    this.ffn.forward(backend, scratch.delta, x, rows, scratch); // [rows, dim]
    backend.add(x, x, scratch.delta, n);
    this.ffnNorm.forward(backend, x, x, rows);
  }

  /** The same block recorded on a tape for `batch` sequences: x [batch · seq, dim]; keyMask [batch · seq]. */
  forwardOnTape(ctx: TapeContext, x: Variable, batch: number, keyMask?: ArrayLike<number>): Variable {
    const attended = residualDropout(ctx, this.attention.forwardOnTape(ctx, x, batch, keyMask));
    const h = this.attentionNorm.forwardOnTape(ctx, add(ctx.tape, x, attended));
    return this.ffnNorm.forwardOnTape(ctx, add(ctx.tape, h, residualDropout(ctx, this.ffn.forwardOnTape(ctx, h))));
  }
}
