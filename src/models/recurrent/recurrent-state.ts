// What one sequence carries between calls of a recurrent network: each layer's
// state (h, and c for the LSTM) and the number of tokens it has read. This is
// the recurrent counterpart of a decoder's KV cache, but of constant size: it
// does not grow with the sequence.

import type { Backend } from "../../backend/backend.js";

export class RecurrentState {
  /** Per layer, [stateVectors, hidden]: h, then c for the LSTM. */
  readonly layers: Float32Array[];
  /** Tokens read since the last reset. */
  length = 0;

  constructor(layerSizes: readonly number[], backend: Backend) {
    this.layers = layerSizes.map((size) => backend.allocate(size));
  }

  /** Back to the zero state of a new sequence (torch's h_0 = c_0 = 0). */
  reset(): void {
    for (const layer of this.layers) layer.fill(0);
    this.length = 0;
  }
}
