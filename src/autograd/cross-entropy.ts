// Cross-entropy loss from logits on the tape (torch F.cross_entropy, reduction
// "mean", ignore_index −100 by default, optional label_smoothing): the mean over
// rows whose target is not ignored of logsumexp(logits) − logits[target],
// max-subtracted. Returns a scalar.

import type { FloatArray } from "../tensor/tensor.js";
import { lastDim } from "./shapes.js";
import type { Tape } from "./tape.js";
import type { Variable } from "./variable.js";

export interface CrossEntropyOptions {
  /** Targets equal to this take no part in the loss or its mean (default −100, as torch). */
  ignoreIndex?: number;
  /** ε in [0, 1]: the targets become (1 − ε)·onehot + ε/vocab (default 0, as torch). */
  labelSmoothing?: number;
}

/** loss [] = mean cross-entropy of logits [rows, vocab] against targets [rows]. */
export function crossEntropy<A extends FloatArray>(
  tape: Tape<A>,
  logits: Variable<A>,
  targets: ArrayLike<number>,
  options: CrossEntropyOptions = {},
): Variable<A> {
  const ignoreIndex = options.ignoreIndex ?? -100;
  const vocab = lastDim(logits, "crossEntropy", "logits");
  const rows = logits.size / vocab;
  if (targets.length !== rows) throw new RangeError(`crossEntropy: ${targets.length} targets for ${rows} rows of logits`);
  const labelSmoothing = options.labelSmoothing ?? 0;
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new RangeError(`crossEntropy: label smoothing ${labelSmoothing} is outside [0, 1]`);
  const savedTargets = Array.from(targets);
  const out = tape.allocate(1);
  out[0] = tape.kernels.backward.crossEntropy(logits.data, savedTargets, rows, vocab, ignoreIndex, labelSmoothing);
  return tape.record(out, [], [logits], (dOut) =>
    tape.kernels.backward.crossEntropyBackward(tape.gradFor(logits)!, logits.data, savedTargets, rows, vocab, ignoreIndex, dOut[0]!, labelSmoothing),
  );
}
