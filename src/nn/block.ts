// The pre-norm Transformer block of GPT-2 and Llama:
//   x = x + attention(norm1(x));  x = x + ffn(norm2(x))

import { dropout } from "../autograd/dropout.js";
import { add } from "../autograd/elementwise.js";
import type { Variable } from "../autograd/variable.js";
import type { Backend } from "../backend/backend.js";
import type { SelfAttention } from "./attention.js";
import type { LayerKvCache } from "./kv-cache.js";
import type { FeedForward } from "./mlp.js";
import type { Norm } from "./norm.js";
import type { Scratch } from "./scratch.js";
import type { TapeContext } from "./tape-context.js";

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

  /** The same block recorded on a tape for `batch` sequences: x [batch · seq, dim] → new residual stream. */
  forwardOnTape(ctx: TapeContext, x: Variable, batch: number): Variable {
    const attended = this.attention.forwardOnTape(ctx, this.attentionNorm.forwardOnTape(ctx, x), batch);
    const h = add(ctx.tape, x, residualDropout(ctx, attended));
    return add(ctx.tape, h, residualDropout(ctx, this.ffn.forwardOnTape(ctx, this.ffnNorm.forwardOnTape(ctx, h))));
  }
}

/** Dropout on a residual branch (GPT-2's resid_pdrop), skipped when the rate is 0. */
export function residualDropout(ctx: TapeContext, x: Variable): Variable {
  return ctx.dropout > 0 ? dropout(ctx.tape, x, ctx.dropout, ctx.random) : x;
}
