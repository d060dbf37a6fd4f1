// Sparse self-attention with a fixed pattern (Child et al. 2019, "Generating Long
// Sequences with Sparse Transformers", the strided pattern): each query attends
// to the `window` keys nearest it and to every `stride`-th key beyond them, so a
// query at position p scores about window + p/stride keys instead of p + 1. The
// projections, rotary positions, ALiBi and capture points are SelfAttention's;
// only the score kernel (backend sparseAttention, which walks the visible keys
// and never a dense T×T mask) differs. Its generation cache keeps every key —
// any earlier key is some later query's strided key — so memory grows with the
// sequence while the work per token grows as p/stride.

import { sparseAttention } from "../autograd/sparse-attention.js";
import type { AttentionOptions } from "../autograd/attention.js";
import type { Variable } from "../autograd/variable.js";
import type { SparseAttentionShape } from "../backend/attention-variants.js";
import type { Backend } from "../backend/backend.js";
import { layerKvCache } from "./kv-cache.js";
import { SelfAttention, type SelfAttentionConfig } from "./attention.js";
import type { LayerState, LayerStateSizes } from "./sequence-cache.js";
import type { TapeContext } from "./tape-context.js";

export interface SparseSelfAttentionConfig extends SelfAttentionConfig {
  /** The local window: keys nearest the query it sees, itself included (≥ 1). */
  readonly window: number;
  /** Distance between the strided keys beyond the window (≥ 1). */
  readonly stride: number;
}

export class SparseSelfAttention extends SelfAttention {
  readonly stride: number;
  private readonly sparseShape: SparseAttentionShape;

  constructor(config: SparseSelfAttentionConfig) {
    super(config);
    const { window, stride } = config;
    if (!(Number.isInteger(window) && window >= 1 && Number.isInteger(stride) && stride >= 1)) {
      throw new RangeError(`sparse attention needs a window and a stride that are positive integers, got ${window} and ${stride}`);
    }
    this.stride = stride;
    // The kernel sizes SelfAttention updates before each call, with the pattern added.
    this.sparseShape = Object.assign(this.shape, { window, stride });
  }

  /** A KV cache of every position: the strided keys reach back to the start. */
  override createState(sizes: LayerStateSizes, backend: Backend): LayerState {
    return layerKvCache(this.heads.nKvHeads * this.heads.headDim, 0, sizes, backend);
  }

  protected override attend(backend: Backend, context: Float32Array, query: Float32Array, keys: Float32Array, values: Float32Array, scores: Float32Array, keyMask?: ArrayLike<number>): void {
    backend.sparseAttention(context, query, keys, values, this.sparseShape, scores, keyMask);
  }

  protected override attendOnTape(ctx: TapeContext, q: Variable, k: Variable, v: Variable, options: AttentionOptions): Variable {
    return sparseAttention(ctx.tape, q, k, v, { ...options, window: this.window, stride: this.stride });
  }

  protected override probabilities(backend: Backend, probs: Float32Array, query: Float32Array, keys: Float32Array, scores: Float32Array, keyMask?: ArrayLike<number>): void {
    backend.sparseAttentionProbabilities(probs, query, keys, this.sparseShape, scores, keyMask);
  }
}
