// What a module needs to record its forward pass on an autograd tape (training):
// the tape, the model's parameters, and the dropout setting with its seeded source
// of randomness. Inference never builds one.

import type { Tape } from "../autograd/tape.js";
import type { ParameterIndex } from "./parameter-index.js";

export interface TapeContext {
  readonly tape: Tape;
  readonly parameters: ParameterIndex;
  /** True for a training step, false for evaluation (no dropout of any kind). */
  readonly training: boolean;
  /** Dropout probability on embeddings and residual branches; 0 turns it off. */
  readonly dropout: number;
  /** Uniform [0, 1) numbers for dropout masks (seeded by the trainer). */
  readonly random: () => number;
}
