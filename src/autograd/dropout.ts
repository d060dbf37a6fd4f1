// Dropout on the tape (Srivastava et al. 2014, "inverted" as torch nn.Dropout):
// each element is kept with probability 1 − p and scaled by 1/(1 − p), so the
// expectation is unchanged and evaluation is the identity. The mask is drawn from
// the caller's seeded generator, so a run is reproducible; backward multiplies by
// the same mask. Call it only in training; p = 0 returns x itself.

import type { FloatArray } from "../tensor/tensor.js";
import type { Tape } from "./tape.js";
import type { Variable } from "./variable.js";

/** `random` returns uniform numbers in [0, 1) (e.g. a seeded Rng's next). */
export function dropout<A extends FloatArray>(tape: Tape<A>, x: Variable<A>, p: number, random: () => number): Variable<A> {
  if (!(p >= 0 && p < 1)) throw new RangeError(`dropout: probability ${p} is outside [0, 1)`);
  if (p === 0) return x;
  const n = x.size;
  const keepScale = 1 / (1 - p);
  const mask = tape.output(n);
  for (let i = 0; i < n; i++) mask[i] = random() < p ? 0 : keepScale;
  const out = tape.output(n);
  tape.kernels.forward.mul(out, x.data, mask, n);
  return tape.record(out, x.shape, [x], (dOut) => tape.kernels.backward.mulBackward(tape.gradFor(x), null, dOut, x.data, mask, n));
}
