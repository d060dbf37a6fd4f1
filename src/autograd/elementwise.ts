// Elementwise ops on the tape: residual add, gating product, scaling by a
// constant. Both operands have the same shape (no broadcasting).

import type { FloatArray } from "../tensor/tensor.js";
import { expectShape } from "./shapes.js";
import type { Tape } from "./tape.js";
import type { Variable } from "./variable.js";

/** out = a + b */
export function add<A extends FloatArray>(tape: Tape<A>, a: Variable<A>, b: Variable<A>): Variable<A> {
  expectShape(b, a.shape, "add", "b");
  const n = a.size;
  const out = tape.output(n);
  tape.kernels.forward.add(out, a.data, b.data, n);
  return tape.record(out, a.shape, [a, b], (dOut) => {
    const da = tape.gradFor(a);
    const db = tape.gradFor(b);
    if (da !== null) tape.kernels.backward.accumulate(da, dOut, n, 1);
    if (db !== null) tape.kernels.backward.accumulate(db, dOut, n, 1);
  });
}

/** out = a ⊙ b */
export function mul<A extends FloatArray>(tape: Tape<A>, a: Variable<A>, b: Variable<A>): Variable<A> {
  expectShape(b, a.shape, "mul", "b");
  const n = a.size;
  const out = tape.output(n);
  tape.kernels.forward.mul(out, a.data, b.data, n);
  return tape.record(out, a.shape, [a, b], (dOut) =>
    tape.kernels.backward.mulBackward(tape.gradFor(a), tape.gradFor(b), dOut, a.data, b.data, n),
  );
}

/** out = factor · x (e.g. a weighted sum of losses). */
export function scale<A extends FloatArray>(tape: Tape<A>, x: Variable<A>, factor: number): Variable<A> {
  const n = x.size;
  const out = tape.allocate(n);
  tape.kernels.backward.accumulate(out, x.data, n, factor); // out is zero: out = factor · x
  return tape.record(out, x.shape, [x], (dOut) => {
    const dx = tape.gradFor(x);
    if (dx !== null) tape.kernels.backward.accumulate(dx, dOut, n, factor);
  });
}
