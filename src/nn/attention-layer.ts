// What a Transformer block needs of its token-mixing sub-layer, whichever form of
// attention computes it: softmax attention over cached keys (attention.ts, with
// GQA/MQA, sliding windows, ALiBi; sparse-attention.ts, Child et al.'s fixed
// patterns) or linear attention over running sums (linear-attention.ts: elu+1
// features, Katharopoulos et al.; FAVOR+ random features, Choromanski et al.).
// Each makes the per-layer state it keeps between generation steps.

import type { Variable } from "../autograd/variable.js";
import type { Backend } from "../backend/backend.js";
import type { Linear } from "./linear.js";
import type { ForwardPass } from "./observer.js";
import type { RotaryEmbedding } from "./rotary-embedding.js";
import type { LayerState, LayerStateSizes } from "./sequence-cache.js";
import type { TapeContext } from "./tape-context.js";

export interface AttentionHeads {
  nHeads: number;
  nKvHeads: number;
  headDim: number;
}

export interface AttentionLayer {
  readonly heads: AttentionHeads;
  /** The rotary tables this layer rotates queries and keys with (null: none), so a model can size them up front. */
  readonly rotary: RotaryEmbedding | null;
  /** The output projection W_O that mixes the heads back into the stream (interventions read and patch it). */
  readonly outputProj: Linear;
  /** Floats per row of a fused q|k|v projection's output, which the pass's scratch must hold (0: not fused). */
  readonly fusedQkvDim: number;

  /** The state this layer keeps of one sequence between forward calls. */
  createState(sizes: LayerStateSizes, backend: Backend): LayerState;

  /**
   * out [rows, dim] = attention of x [rows, dim], the tokens at positions
   * position … position + rows − 1, reading and extending `state` (made by
   * createState). keyMask [keys] (optional) is 0 for padding keys no query may attend.
   */
  forward(pass: ForwardPass, out: Float32Array, x: Float32Array, rows: number, state: LayerState, position: number, keyMask?: ArrayLike<number>): void;

  /**
   * The same computation recorded on a tape for `batch` sequences of equal length,
   * each from position 0: x [batch · seq, dim] → [batch · seq, dim]; keyMask [batch · seq].
   */
  forwardOnTape(ctx: TapeContext, x: Variable, batch: number, keyMask?: ArrayLike<number>): Variable;

  /** Its Linear layers (for adapters such as LoRA). */
  linears(): Linear[];
}
