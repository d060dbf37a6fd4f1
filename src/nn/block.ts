// The decoder's Transformer block, with the norm placements of today's families:
//
//   pre-norm (GPT-2, Llama):    x = x + attn(norm1(x));             x = x + mlp(norm2(x))
//   sandwich (Gemma 2 and 3):   x = x + norm1'(attn(norm1(x)));     x = x + norm2'(mlp(norm2(x)))
//   post-norm outputs (OLMo 2): x = x + norm1'(attn(x));            x = x + norm2'(mlp(x))
//   parallel (GPT-NeoX):        x = x + attn(norm1(x)) + mlp(norm2(x))
//   post-norm (Vaswani et al.): x = norm1(x + attn(x));             x = norm2(x + mlp(x))
//
// each branch optionally scaled before it is added (Granite's residual_multiplier).
// Without a causal mask and with a padding mask over the keys, the pre-norm block is
// also T5's encoder layer.
// The residual stream and each branch's contribution are capture points
// (nn/observer.ts): resid_pre, attn_out, resid_mid, mlp_out, resid_post.

import { dropout } from "../autograd/dropout.js";
import { add, scale } from "../autograd/elementwise.js";
import type { Variable } from "../autograd/variable.js";
import type { AttentionLayer } from "./attention-layer.js";
import type { FeedForward } from "./mlp.js";
import type { Norm } from "./norm.js";
import { observe, type ForwardPass } from "./observer.js";
import type { LayerState } from "./sequence-cache.js";
import type { TapeContext } from "./tape-context.js";

export interface DecoderBlockParts {
  /** Norm of the attention's input (null: attention reads the stream itself, OLMo 2). */
  readonly inputNorm: Norm | null;
  readonly attention: AttentionLayer;
  /** Norm of the attention's output before it is added (Gemma, OLMo 2); null: none. */
  readonly attentionOutputNorm?: Norm | null;
  /** Norm of the stream right after the attention's residual add (post-norm); null: none. */
  readonly attentionResidualNorm?: Norm | null;
  /** Norm of the MLP's input (null: the MLP reads the stream itself, OLMo 2). */
  readonly ffnNorm: Norm | null;
  readonly ffn: FeedForward;
  /** Norm of the MLP's output before it is added (Gemma, OLMo 2); null: none. */
  readonly ffnOutputNorm?: Norm | null;
  /** Norm of the stream right after the MLP's residual add (post-norm); null: none. */
  readonly ffnResidualNorm?: Norm | null;
  /** Multiplier of each branch before it joins the stream (Granite); default 1. */
  readonly residualScale?: number;
  /** Attention and MLP both read the block's input and are added together (GPT-NeoX's use_parallel_residual). */
  readonly parallel?: boolean;
}

export class DecoderBlock {
  readonly inputNorm: Norm | null;
  readonly attention: AttentionLayer;
  readonly attentionOutputNorm: Norm | null;
  readonly attentionResidualNorm: Norm | null;
  readonly ffnNorm: Norm | null;
  readonly ffn: FeedForward;
  readonly ffnOutputNorm: Norm | null;
  readonly ffnResidualNorm: Norm | null;
  readonly residualScale: number;
  readonly parallel: boolean;

  constructor(
    /** Index of the block in the stack (capture points are named by it). */
    readonly layer: number,
    parts: DecoderBlockParts,
  ) {
    this.inputNorm = parts.inputNorm;
    this.attention = parts.attention;
    this.attentionOutputNorm = parts.attentionOutputNorm ?? null;
    this.attentionResidualNorm = parts.attentionResidualNorm ?? null;
    this.ffnNorm = parts.ffnNorm;
    this.ffn = parts.ffn;
    this.ffnOutputNorm = parts.ffnOutputNorm ?? null;
    this.ffnResidualNorm = parts.ffnResidualNorm ?? null;
    this.residualScale = parts.residualScale ?? 1;
    this.parallel = parts.parallel ?? false;
    if (this.parallel && (this.attentionResidualNorm !== null || this.ffnResidualNorm !== null)) {
      throw new RangeError("a parallel block has no stream between its branches to post-normalise");
    }
  }

  /**
   * Updates the residual stream x [rows, dim] of the tokens at position … position + rows − 1
   * in place; keyMask [keys] (optional) is 0 for padding keys (encoders).
   */
  forward(pass: ForwardPass, x: Float32Array, rows: number, dim: number, cache: LayerState, position: number, keyMask?: ArrayLike<number>): void {
    const { backend, scratch } = pass;
    const n = rows * dim;
    pass.layer = this.layer;
    observe(pass, "resid_pre", x, rows, dim, position);
    const attended = scratch.delta; // [rows, dim]
    this.attention.forward(pass, attended, this.normed(pass, this.inputNorm, x, rows), rows, cache, position, keyMask);
    this.finishBranch(pass, this.attentionOutputNorm, attended, rows, n);
    observe(pass, "attn_out", attended, rows, dim, position);
    if (this.parallel) {
      const mlpOut = scratch.branch; // [rows, dim], from the same x
      this.ffn.forward(pass, mlpOut, this.normed(pass, this.ffnNorm, x, rows), rows, position);
      this.finishBranch(pass, this.ffnOutputNorm, mlpOut, rows, n);
      observe(pass, "mlp_out", mlpOut, rows, dim, position);
      backend.add(x, x, attended, n);
      backend.add(x, x, mlpOut, n);
    } else {
      backend.add(x, x, attended, n);
      if (this.attentionResidualNorm !== null) this.attentionResidualNorm.forward(backend, x, x, rows);
      observe(pass, "resid_mid", x, rows, dim, position);
      const mlpOut = scratch.delta; // [rows, dim]
      this.ffn.forward(pass, mlpOut, this.normed(pass, this.ffnNorm, x, rows), rows, position);
      this.finishBranch(pass, this.ffnOutputNorm, mlpOut, rows, n);
      observe(pass, "mlp_out", mlpOut, rows, dim, position);
      backend.add(x, x, mlpOut, n);
      if (this.ffnResidualNorm !== null) this.ffnResidualNorm.forward(backend, x, x, rows);
    }
    observe(pass, "resid_post", x, rows, dim, position);
  }

  /** The same block recorded on a tape for `batch` sequences: x [batch · seq, dim] → new residual stream; keyMask [batch · seq]. */
  forwardOnTape(ctx: TapeContext, x: Variable, batch: number, keyMask?: ArrayLike<number>): Variable {
    const attention = this.attention.forwardOnTape(ctx, this.normedOnTape(ctx, this.inputNorm, x), batch, keyMask);
    const attended = this.branchOnTape(ctx, this.attentionOutputNorm, attention);
    if (this.parallel) {
      const mlpOut = this.branchOnTape(ctx, this.ffnOutputNorm, this.ffn.forwardOnTape(ctx, this.normedOnTape(ctx, this.ffnNorm, x)));
      return add(ctx.tape, add(ctx.tape, x, attended), mlpOut);
    }
    const h = this.normedOnTape(ctx, this.attentionResidualNorm, add(ctx.tape, x, attended));
    const mlpOut = this.branchOnTape(ctx, this.ffnOutputNorm, this.ffn.forwardOnTape(ctx, this.normedOnTape(ctx, this.ffnNorm, h)));
    return this.normedOnTape(ctx, this.ffnResidualNorm, add(ctx.tape, h, mlpOut));
  }

  /** norm(x) in scratch.normed, or x itself without a norm. */
  private normed(pass: ForwardPass, norm: Norm | null, x: Float32Array, rows: number): Float32Array {
    if (norm === null) return x;
    norm.forward(pass.backend, pass.scratch.normed, x, rows);
    return pass.scratch.normed;
  }

  /** A branch's output, normed and scaled in place, ready to join the stream. */
  private finishBranch(pass: ForwardPass, norm: Norm | null, out: Float32Array, rows: number, n: number): void {
    if (norm !== null) norm.forward(pass.backend, out, out, rows);
    if (this.residualScale !== 1) pass.backend.scale(out, n, this.residualScale);
  }

  private normedOnTape(ctx: TapeContext, norm: Norm | null, x: Variable): Variable {
    return norm === null ? x : norm.forwardOnTape(ctx, x);
  }

  private branchOnTape(ctx: TapeContext, norm: Norm | null, out: Variable): Variable {
    let y = norm === null ? out : norm.forwardOnTape(ctx, out);
    if (this.residualScale !== 1) y = scale(ctx.tape, y, this.residualScale);
    return residualDropout(ctx, y);
  }
}

/** Dropout on a residual branch (GPT-2's resid_pdrop), skipped when the rate is 0. */
export function residualDropout(ctx: TapeContext, x: Variable): Variable {
  return ctx.dropout > 0 ? dropout(ctx.tape, x, ctx.dropout, ctx.random) : x;
}
