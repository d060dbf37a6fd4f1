// The KV cache: keys and values of every processed position, per layer, so a
// generation step only computes the new token's projections. Preallocated for
// the whole context up front; `length` counts the positions filled.

import type { Backend } from "../backend/backend.js";

export interface LayerKvCache {
  /** [capacity, nKvHeads · headDim] */
  readonly keys: Float32Array;
  /** [capacity, nKvHeads · headDim] */
  readonly values: Float32Array;
}

export class KvCache {
  readonly layers: LayerKvCache[];
  /** Positions already filled (the position of the next token). */
  length = 0;

  constructor(
    readonly numLayers: number,
    readonly kvDim: number,
    readonly capacity: number,
    backend: Backend,
  ) {
    this.layers = [];
    for (let l = 0; l < numLayers; l++) {
      this.layers.push({ keys: backend.allocate(capacity * kvDim), values: backend.allocate(capacity * kvDim) });
    }
  }

  reset(): void {
    this.length = 0;
  }
}
