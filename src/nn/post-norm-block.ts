// The post-norm Transformer block of BERT (Vaswani et al. 2017, Devlin et al. 2019;
// HF modeling_bert.py BertLayer, torch.nn.TransformerEncoderLayer norm_first=False):
//   x = norm1(x + attention(x));  x = norm2(x + ffn(x))
// Attention is bidirectional; a key mask keeps padding keys out of every row.

import { add } from "../autograd/elementwise.js";
import type { Variable } from "../autograd/variable.js";
import { residualDropout } from "./block.js";
import type { AttentionLayer } from "./attention-layer.js";
import type { FeedForward } from "./mlp.js";
import type { Norm } from "./norm.js";
import { observe, type ForwardPass } from "./observer.js";
import type { LayerState } from "./sequence-cache.js";
import type { TapeContext } from "./tape-context.js";

export class PostNormBlock {
  constructor(
    /** Index of the block in the stack (capture points are named by it). */
    readonly layer: number,
    readonly attention: AttentionLayer,
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
  forward(pass: ForwardPass, x: Float32Array, rows: number, dim: number, keys: LayerState, keyMask?: ArrayLike<number>): void {
    const { backend, scratch } = pass;
    const n = rows * dim;
    pass.layer = this.layer;
    observe(pass, "resid_pre", x, rows, dim, 0);
    keys.reset();
    this.attention.forward(pass, scratch.delta, x, rows, keys, 0, keyMask); // [rows, dim]
    observe(pass, "attn_out", scratch.delta, rows, dim, 0);
    backend.add(x, x, scratch.delta, n);
    this.attentionNorm.forward(backend, x, x, rows);
    observe(pass, "resid_mid", x, rows, dim, 0);
    this.ffn.forward(pass, scratch.delta, x, rows, 0); // [rows, dim]
    observe(pass, "mlp_out", scratch.delta, rows, dim, 0);
    backend.add(x, x, scratch.delta, n);
    this.ffnNorm.forward(backend, x, x, rows);
    observe(pass, "resid_post", x, rows, dim, 0);
  }

  /** The same block recorded on a tape for `batch` sequences: x [batch · seq, dim]; keyMask [batch · seq]. */
  forwardOnTape(ctx: TapeContext, x: Variable, batch: number, keyMask?: ArrayLike<number>): Variable {
    const attended = residualDropout(ctx, this.attention.forwardOnTape(ctx, x, batch, keyMask));
    const h = this.attentionNorm.forwardOnTape(ctx, add(ctx.tape, x, attended));
    return this.ffnNorm.forwardOnTape(ctx, add(ctx.tape, h, residualDropout(ctx, this.ffn.forwardOnTape(ctx, h))));
  }
}
