// The tape (Wengert list): every op recorded while recording is on appends its
// backward closure; backward(loss) seeds ∂loss/∂loss = 1 and runs the closures in
// reverse order, each accumulating into its inputs' gradients (PyTorch's
// autograd engine for a single thread; micrograd's topological walk, which the
// recording order already is). Accumulating (+=) means a tensor used twice, as
// tied embeddings are, receives the sum of both contributions.
//
// An op whose inputs need no gradient, or that runs while recording is off
// (noGrad), records nothing and allocates nothing beyond its output.

import type { FloatArray, Shape } from "../tensor/tensor.js";
import type { TapeKernels } from "./kernels.js";
import { Parameter, Variable } from "./variable.js";

interface TapeEntry<A extends FloatArray> {
  readonly output: Variable<A>;
  readonly backward: (dOut: A) => void;
}

export class Tape<A extends FloatArray = Float32Array> {
  private entries: TapeEntry<A>[] = [];
  private paused = 0;

  constructor(readonly kernels: TapeKernels<A>) {}

  /** False inside noGrad. */
  get recording(): boolean {
    return this.paused === 0;
  }

  /** Number of ops recorded since the last backward or clear. */
  get length(): number {
    return this.entries.length;
  }

  /** Runs fn without recording (evaluation, generation): ops then cost only their forward kernels. */
  noGrad<T>(fn: () => T): T {
    this.paused++;
    try {
      return fn();
    } finally {
      this.paused--;
    }
  }

  /** A zeroed buffer from the tape's kernels. */
  allocate(length: number): A {
    return this.kernels.allocate(length);
  }

  /**
   * A buffer for an op's output (or scratch) that its kernel overwrites entirely
   * before anything reads it: not necessarily zeroed (an arena may hand back a
   * previous step's bytes), so no time is spent clearing it.
   */
  output(length: number): A {
    return this.kernels.allocateOutput?.(length) ?? this.kernels.allocate(length);
  }

  /**
   * Wraps an op's freshly computed output. When recording and any input requires
   * a gradient, the output requires one too and `backward` is recorded; it is
   * called with ∂loss/∂output once backward reaches it (never if the loss does
   * not depend on it). Ops call this; models call the ops.
   */
  record(data: A, shape: Shape, inputs: readonly (Variable<A> | null)[], backward: (dOut: A) => void): Variable<A> {
    const requiresGrad = this.recording && inputs.some((v) => v !== null && v.requiresGrad);
    const output = new Variable(data, shape, requiresGrad);
    if (requiresGrad) this.entries.push({ output, backward });
    return output;
  }

  /**
   * The gradient buffer of v to accumulate into, zeroed on first use (a parameter's
   * from the kernels' reused buffers when they keep them); null when v needs no gradient.
   */
  gradFor(v: Variable<A> | null): A | null {
    if (v === null || !v.requiresGrad) return null;
    if (v.grad === null) {
      const reused = v instanceof Parameter ? this.kernels.parameterGradient?.(v) : undefined;
      v.grad = reused ?? this.kernels.allocate(v.size);
    }
    return v.grad;
  }

  /**
   * Back-propagates from a scalar loss (one element) through everything recorded,
   * adding into the gradients of the leaves that require one (parameters), so
   * the gradients of several backward passes add up until an optimizer's
   * zeroGrad. Op outputs' gradients are released as they are passed on, and the
   * recorded ops once done.
   */
  backward(loss: Variable<A>): void {
    if (loss.size !== 1) throw new RangeError(`backward needs a scalar loss, got ${loss.size} elements`);
    if (!loss.requiresGrad) throw new RangeError("the loss does not depend on any variable that requires a gradient");
    this.gradFor(loss)![0] += 1;
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const { output, backward } = this.entries[i]!;
      if (output.grad === null) continue;
      backward(output.grad);
      this.kernels.release?.(output.grad); // an op output's gradient is spent once passed on (PyTorch keeps only leaves' .grad)
      output.grad = null;
    }
    this.clear();
  }

  /** Drops what was recorded (e.g. after an evaluation forward that will not be differentiated). */
  clear(): void {
    this.entries = [];
  }
}
