// Running a model's loss on a fresh autograd tape, for any model (decoder or
// encoder): `loss()` records and hands back a `backward()` that fills the
// parameters' gradients; `evaluate()` computes the same value without recording.

import { backendTapeKernels } from "../autograd/kernels.js";
import { Tape } from "../autograd/tape.js";
import type { Variable } from "../autograd/variable.js";
import type { Backend } from "../backend/backend.js";
import type { BackwardKernels } from "../backend/backward.js";
import { jsBackwardKernels } from "../backend/js/backward/index.js";
import { OptionError } from "../errors.js";
import type { ParameterIndex } from "../nn/parameter-index.js";
import type { TapeContext } from "../nn/tape-context.js";

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
  const tape = new Tape(backendTapeKernels(backend, backwardKernelsOf(backend)));
  const loss = compute({ tape, parameters, training: true, dropout, random: options.random ?? Math.random });
  return { value: loss.data[0]!, backward: async () => tape.backward(loss) };
}

export function evaluateLoss(backend: Backend, parameters: ParameterIndex, compute: (ctx: TapeContext) => Variable): number {
  const tape = new Tape(backendTapeKernels(backend, backwardKernelsOf(backend)));
  const ctx = { tape, parameters, training: false, dropout: 0, random: Math.random };
  return tape.noGrad(() => compute(ctx)).data[0]!;
}

/** The backend's own backward kernels when it has them (wasm), else the js reference. */
function backwardKernelsOf(backend: Backend): BackwardKernels {
  const own = (backend as Partial<{ backwardKernels(): BackwardKernels }>).backwardKernels;
  return own === undefined ? jsBackwardKernels : own.call(backend);
}
