// The decoder layer of an encoder–decoder Transformer (Vaswani et al. 2017, §3.1):
// masked self-attention over the tokens generated so far (KV cache), attention to
// the encoder's output (cross-attention), and the feed-forward network, each a
// residual branch, with the norms of the family:
//
//   post-norm (the original Transformer, BART, Marian; HF BartDecoderLayer):
//     x = norm1(x + selfAttn(x));  x = norm2(x + crossAttn(x));  x = norm3(x + ffn(x))
//   pre-norm (T5; HF T5Block):
//     x = x + selfAttn(norm1(x));  x = x + crossAttn(norm2(x));  x = x + ffn(norm3(x))
//
// Capture points (nn/observer.ts): resid_pre, attn_out, resid_mid, cross_attn_out,
// resid_mid_cross, mlp_out, resid_post (and the patterns).

import { add } from "../autograd/elementwise.js";
import type { Variable } from "../autograd/variable.js";
import type { SelfAttention } from "./attention.js";
import { residualDropout } from "./block.js";
import type { CrossAttention, CrossAttentionMemory } from "./cross-attention.js";
import type { LayerKvCache } from "./kv-cache.js";
import type { FeedForward } from "./mlp.js";
import type { Norm } from "./norm.js";
import { observe, type ForwardPass } from "./observer.js";
import type { TapeContext } from "./tape-context.js";

export type NormPlacement = "pre" | "post";

export interface Seq2SeqDecoderBlockParts {
  readonly placement: NormPlacement;
  readonly selfAttention: SelfAttention;
  readonly selfAttentionNorm: Norm;
  readonly crossAttention: CrossAttention;
  readonly crossAttentionNorm: Norm;
  readonly ffn: FeedForward;
  readonly ffnNorm: Norm;
}

export class Seq2SeqDecoderBlock {
  readonly placement: NormPlacement;
  readonly selfAttention: SelfAttention;
  readonly selfAttentionNorm: Norm;
  readonly crossAttention: CrossAttention;
  readonly crossAttentionNorm: Norm;
  readonly ffn: FeedForward;
  readonly ffnNorm: Norm;

  constructor(
    /** Index of the block in the decoder stack (capture points are named by it). */
    readonly layer: number,
    parts: Seq2SeqDecoderBlockParts,
  ) {
    this.placement = parts.placement;
    this.selfAttention = parts.selfAttention;
    this.selfAttentionNorm = parts.selfAttentionNorm;
    this.crossAttention = parts.crossAttention;
    this.crossAttentionNorm = parts.crossAttentionNorm;
    this.ffn = parts.ffn;
    this.ffnNorm = parts.ffnNorm;
  }

  /**
   * Updates the decoder stream x [rows, dim] of the tokens at positions position … in
   * place: their keys and values join `cache`; cross-attention reads `memory`, whose
   * padding tokens sourceMask (optional, [memory.length]) marks with 0.
   */
  forward(
    pass: ForwardPass,
    x: Float32Array,
    rows: number,
    dim: number,
    cache: LayerKvCache,
    position: number,
    memory: CrossAttentionMemory,
    sourceMask?: ArrayLike<number>,
  ): void {
    const { scratch } = pass;
    const n = rows * dim;
    const pre = this.placement === "pre";
    pass.layer = this.layer;
    observe(pass, "resid_pre", x, rows, dim, position);
    const branch = scratch.delta; // [rows, dim]
    this.selfAttention.forward(pass, branch, pre ? this.normed(pass, this.selfAttentionNorm, x, rows) : x, rows, cache, position);
    observe(pass, "attn_out", branch, rows, dim, position);
    this.join(pass, this.selfAttentionNorm, x, branch, rows, n);
    observe(pass, "resid_mid", x, rows, dim, position);
    this.crossAttention.forward(pass, branch, pre ? this.normed(pass, this.crossAttentionNorm, x, rows) : x, rows, position, memory, sourceMask);
    this.join(pass, this.crossAttentionNorm, x, branch, rows, n);
    observe(pass, "resid_mid_cross", x, rows, dim, position);
    this.ffn.forward(pass, branch, pre ? this.normed(pass, this.ffnNorm, x, rows) : x, rows, position);
    observe(pass, "mlp_out", branch, rows, dim, position);
    this.join(pass, this.ffnNorm, x, branch, rows, n);
    observe(pass, "resid_post", x, rows, dim, position);
  }

  /**
   * The same block on a tape for `batch` pairs: x [batch · targetLength, dim], the
   * encoder's output [batch · sourceLength, dim] and its padding mask [batch · sourceLength].
   */
  forwardOnTape(ctx: TapeContext, x: Variable, encoderStates: Variable, batch: number, sourceMask?: ArrayLike<number>): Variable {
    const pre = this.placement === "pre";
    const step = (norm: Norm, h: Variable, branch: (input: Variable) => Variable): Variable => {
      const out = residualDropout(ctx, branch(pre ? norm.forwardOnTape(ctx, h) : h));
      const sum = add(ctx.tape, h, out);
      return pre ? sum : norm.forwardOnTape(ctx, sum);
    };
    let h = step(this.selfAttentionNorm, x, (input) => this.selfAttention.forwardOnTape(ctx, input, batch));
    h = step(this.crossAttentionNorm, h, (input) => this.crossAttention.forwardOnTape(ctx, input, encoderStates, batch, sourceMask));
    return step(this.ffnNorm, h, (input) => this.ffn.forwardOnTape(ctx, input));
  }

  /** norm(x) in scratch.normed (pre-norm). */
  private normed(pass: ForwardPass, norm: Norm, x: Float32Array, rows: number): Float32Array {
    norm.forward(pass.backend, pass.scratch.normed, x, rows);
    return pass.scratch.normed;
  }

  /** x ← x + branch (pre-norm), or x ← norm(x + branch) (post-norm). */
  private join(pass: ForwardPass, norm: Norm, x: Float32Array, branch: Float32Array, rows: number, n: number): void {
    pass.backend.add(x, x, branch, n);
    if (this.placement === "post") norm.forward(pass.backend, x, x, rows);
  }
}
