// The feature maps of linear attention on the tape: elu(x) + 1 (Katharopoulos et
// al. 2020) and FAVOR+ positive random features (Choromanski et al. 2020) of rows
// x [rows, dim] with a fixed random projection omega [m, dim] (not trained).

import type { FloatArray } from "../tensor/tensor.js";
import { rowsOf } from "./shapes.js";
import type { Tape } from "./tape.js";
import type { Variable } from "./variable.js";

export function eluPlusOne<A extends FloatArray>(tape: Tape<A>, x: Variable<A>): Variable<A> {
  const n = x.size;
  const out = tape.allocate(n);
  out.set(x.data);
  tape.kernels.forward.eluPlusOne(out, n);
  return tape.record(out, x.shape, [x], (dOut) => tape.kernels.backward.eluPlusOneBackward(tape.gradFor(x)!, dOut, x.data, n));
}

/** x [rows, dim] → φ(x) [rows, m], omega [m, dim] a constant. */
export function positiveRandomFeatures<A extends FloatArray>(tape: Tape<A>, x: Variable<A>, omega: A, features: number): Variable<A> {
  const dim = x.shape[x.shape.length - 1] ?? 0;
  const rows = rowsOf(x, dim, "positiveRandomFeatures", "x");
  if (omega.length !== features * dim) {
    throw new RangeError(`positiveRandomFeatures: omega has ${omega.length} elements, expected ${features} × ${dim}`);
  }
  const out = tape.allocate(rows * features);
  tape.kernels.forward.positiveRandomFeatures(out, x.data, omega, rows, dim, features);
  return tape.record(out, [rows, features], [x], (dOut) =>
    tape.kernels.backward.positiveRandomFeaturesBackward(tape.gradFor(x)!, dOut, x.data, out, omega, rows, dim, features),
  );
}
