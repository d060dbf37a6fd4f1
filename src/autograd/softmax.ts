// Softmax over the last dimension on the tape (max-subtracted forward; backward
// from the output as PyTorch _softmax_backward_data).

import type { FloatArray } from "../tensor/tensor.js";
import { lastDim } from "./shapes.js";
import type { Tape } from "./tape.js";
import type { Variable } from "./variable.js";

export function softmax<A extends FloatArray>(tape: Tape<A>, x: Variable<A>): Variable<A> {
  const cols = lastDim(x, "softmax", "x");
  const rows = x.size / cols;
  const out = tape.output(x.size);
  tape.kernels.forward.copy(out, x.data, x.size);
  tape.kernels.forward.softmax(out, rows, cols);
  return tape.record(out, x.shape, [x], (dOut) => tape.kernels.backward.softmaxBackward(tape.gradFor(x)!, dOut, out, rows, cols));
}
