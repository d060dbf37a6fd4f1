// The generation state of a linear-attention layer: per kv head, the running sums
// S = Σ φ(k_j) ⊗ v_j [F, headDim] and z = Σ φ(k_j) [F] of the positions processed
// — the hidden state of the RNN that causal linear attention is (Katharopoulos et
// al. 2020, §3.4). Its size depends on the heads and features only, never on the
// sequence length. The sums cannot be taken back, so the state only moves forward:
// a call at position 0 starts over, any other position must be the next one.

import type { Backend } from "../backend/backend.js";
import { InputError } from "../errors.js";
import type { LayerState } from "./sequence-cache.js";

export class LinearAttentionState implements LayerState {
  /** [nKvHeads, featureDim, headDim] */
  readonly sums: Float32Array;
  /** [nKvHeads, featureDim] */
  readonly normalizer: Float32Array;
  /** Positions summed so far (the position of the next token). */
  position = 0;
  /** No keys are kept. */
  readonly rows = 0;

  constructor(nKvHeads: number, featureDim: number, headDim: number, backend: Backend) {
    this.sums = backend.allocate(nKvHeads * featureDim * headDim);
    this.normalizer = backend.allocate(nKvHeads * featureDim);
  }

  get floats(): number {
    return this.sums.length + this.normalizer.length;
  }

  reset(): void {
    this.sums.fill(0);
    this.normalizer.fill(0);
    this.position = 0;
  }

  canResumeAt(position: number): boolean {
    return position === this.position;
  }

  /** Readies the state for `rows` positions from `position` on: a new sequence at 0, else exactly the next position. */
  advance(position: number, rows: number): void {
    if (position === 0) this.reset();
    else if (position !== this.position) {
      throw new InputError(
        `linear attention holds running sums of positions 0 … ${this.position - 1} and cannot continue at position ${position}: ` +
          "its state cannot be rewound (start the sequence again from position 0)",
      );
    }
    this.position = position + rows;
  }
}
