// A contiguous window of a variable's elements as a variable of its own (torch's
// narrow/view of a flattened tensor): the rows of one part of a fused weight
// (Phi-3's qkv_proj as q, k and v). Shares the data; backward adds the window's
// gradient into the whole's.

import { numel, shapeString, type FloatArray, type Shape } from "../tensor/tensor.js";
import type { Tape } from "./tape.js";
import { view } from "./view.js";
import type { Variable } from "./variable.js";

/** x's elements [offset, offset + numel(shape)) under `shape`. */
export function slice<A extends FloatArray>(tape: Tape<A>, x: Variable<A>, offset: number, shape: Shape): Variable<A> {
  const n = numel(shape);
  if (!Number.isInteger(offset) || offset < 0 || offset + n > x.size) {
    throw new RangeError(`slice: elements ${offset}..${offset + n} (shape ${shapeString(shape)}) exceed the ${x.size} of x`);
  }
  return tape.record(view(x.data, offset, n), [...shape], [x], (dOut) =>
    tape.kernels.backward.accumulate(view(tape.gradFor(x)!, offset, n), dOut, n, 1),
  );
}
