// Running a model's loss on a fresh autograd tape, for any model (decoder or
// encoder): `loss()` records and hands back a `backward()` that fills the
// parameters' gradients; `evaluate()` computes the same value without recording.
// The tape's buffers come from the backend's training memory (arenas reused from
// step to step, parameters' gradients reused), and its kernels are the backend's.

import { backendTapeKernels } from "../autograd/kernels.js";
import { Tape } from "../autograd/tape.js";
import type { Variable } from "../autograd/variable.js";
import type { Backend } from "../backend/backend.js";
import { OptionError } from "../errors.js";
import type { ParameterIndex } from "../nn/parameter-index.js";
import type { TapeContext } from "../nn/tape-context.js";
import { backwardKernelsOf } from "./backend-kernels.js";
import { trainingMemoryOf } from "./training-memory.js";

export interface LossOptions {
  /** Dropout on embeddings and residual branches (GPT-2's embd/resid dropout); default 0. */
  dropout?: number;
  /** Uniform [0, 1) numbers for dropout masks; required when any dropout is on (seed it for reproducible runs). */
  random?: () => number;
}

/** A loss recorded on a tape: `backward()` adds ∂loss/∂p into every parameter's `grad`. */
export interface Loss {
  readonly value: number;
  backward(): Promise<void>;
}

/** `adapterDropout` is dropout the model applies on its own (LoRA's), which also needs `random`. */
export function recordLoss(
  backend: Backend,
  parameters: ParameterIndex,
  options: LossOptions,
  compute: (ctx: TapeContext) => Variable,
  adapterDropout = 0,
): Loss {
  const dropout = options.dropout ?? 0;
  if (!(dropout >= 0 && dropout < 1)) throw new OptionError("dropout", `expected a number in [0, 1), got ${dropout}`);
  if ((dropout > 0 || adapterDropout > 0) && options.random === undefined) {
    throw new OptionError("random", "dropout needs a source of random numbers");
  }
  const memory = trainingMemoryOf(backend);
  const { arena, memory: tapeMemory } = memory.acquire();
  const tape = new Tape(backendTapeKernels(backend, backwardKernelsOf(backend), tapeMemory));
  let loss: Variable;
  try {
    loss = compute({ tape, parameters, training: true, dropout, random: options.random ?? Math.random });
  } catch (error) {
    memory.release(arena);
    throw error;
  }
  const token = {};
  let spent = false;
  const recorded: Loss = {
    value: loss.data[0]!,
    backward: async () => {
      if (spent) throw new RangeError("backward() was already called for this loss; compute a new loss for another step");
      spent = true;
      unreleased.unregister(token);
      try {
        tape.backward(loss);
      } finally {
        memory.release(arena);
      }
    },
  };
  // A loss dropped without backward (an evaluation by loss(), a last trajectory
  // point) gives its arena back when it is garbage collected.
  unreleased.register(recorded, () => memory.release(arena), token);
  return recorded;
}

/** Arenas of losses whose backward never ran, given back when the loss is collected. */
const unreleased = new FinalizationRegistry<() => void>((release) => release());

export function evaluateLoss(backend: Backend, parameters: ParameterIndex, compute: (ctx: TapeContext) => Variable): number {
  const memory = trainingMemoryOf(backend);
  const { arena, memory: tapeMemory } = memory.acquire();
  try {
    const tape = new Tape(backendTapeKernels(backend, backwardKernelsOf(backend), tapeMemory));
    const ctx = { tape, parameters, training: false, dropout: 0, random: Math.random };
    return tape.noGrad(() => compute(ctx)).data[0]!;
  } finally {
    memory.release(arena);
  }
}
