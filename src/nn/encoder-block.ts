// What an encoder runs per layer: a block over one whole sequence at once, every
// position attending in both directions, padding keys masked. BERT's post-norm
// block (post-norm-block.ts) is one; any decoder-style block arrangement
// (block.ts: pre- or post-norm) becomes one through BidirectionalBlock, given an
// attention built without a causal mask.

import type { Variable } from "../autograd/variable.js";
import type { AttentionLayer } from "./attention-layer.js";
import type { DecoderBlock } from "./block.js";
import type { ForwardPass } from "./observer.js";
import type { LayerState } from "./sequence-cache.js";
import type { TapeContext } from "./tape-context.js";

export interface EncoderBlock {
  readonly attention: AttentionLayer;
  /** Updates the hidden states x [rows, dim] of one sequence in place; `keys` (reset first) is its attention state; keyMask [rows] is 0 at padding. */
  forward(pass: ForwardPass, x: Float32Array, rows: number, dim: number, keys: LayerState, keyMask?: ArrayLike<number>): void;
  /** The same on a tape for `batch` sequences: x [batch · seq, dim]; keyMask [batch · seq]. */
  forwardOnTape(ctx: TapeContext, x: Variable, batch: number, keyMask?: ArrayLike<number>): Variable;
}

export class BidirectionalBlock implements EncoderBlock {
  constructor(readonly block: DecoderBlock) {}

  get attention(): AttentionLayer {
    return this.block.attention;
  }

  forward(pass: ForwardPass, x: Float32Array, rows: number, dim: number, keys: LayerState, keyMask?: ArrayLike<number>): void {
    keys.reset();
    this.block.forward(pass, x, rows, dim, keys, 0, keyMask);
  }

  forwardOnTape(ctx: TapeContext, x: Variable, batch: number, keyMask?: ArrayLike<number>): Variable {
    return this.block.forwardOnTape(ctx, x, batch, keyMask);
  }
}
