// A Linear layer whose weight is a column window of a Conv1D weight (GPT-2's
// layout, [in, out] — see tensor/weights.ts F32ColumnsMatrix): out[..., count] =
// x[..., in] · W[:, first .. first+count) + bias[first .. first+count). The window's
// gradients land in the shared weight's and bias's gradients, so GPT-2's q, k and
// v projections all train the one fused c_attn parameter.

import type { FloatArray } from "../tensor/tensor.js";
import { expectShape, rowsOf } from "./shapes.js";
import type { Tape } from "./tape.js";
import type { Variable } from "./variable.js";
import { view } from "./view.js";

export interface ColumnWindow {
  first: number;
  count: number;
}

export function linearColumns<A extends FloatArray>(
  tape: Tape<A>,
  x: Variable<A>,
  weight: Variable<A>,
  bias: Variable<A> | null,
  { first, count }: ColumnWindow,
): Variable<A> {
  if (weight.shape.length !== 2) throw new RangeError(`linearColumns: weight must be [in, out], got [${weight.shape.join(", ")}]`);
  const [inFeatures, stride] = weight.shape as [number, number];
  if (first < 0 || count < 1 || first + count > stride) {
    throw new RangeError(`linearColumns: columns ${first}..${first + count} are outside the weight's ${stride}`);
  }
  if (bias !== null) expectShape(bias, [stride], "linearColumns", "bias");
  const rows = rowsOf(x, inFeatures, "linearColumns", "x");
  const out = tape.output(rows * count); // [rows, count]
  const biasWindow = bias === null ? null : view(bias.data, first, count);
  tape.kernels.forward.matmulColumns(out, x.data, weight.data, biasWindow, rows, inFeatures, stride, first, count);
  return tape.record(out, [...x.shape.slice(0, -1), count], [x, weight, bias], (dOut) =>
    tape.kernels.backward.matmulColumnsBackward(
      tape.gradFor(x),
      tape.gradFor(weight),
      tape.gradFor(bias),
      dOut,
      x.data,
      weight.data,
      rows,
      inFeatures,
      stride,
      first,
      count,
    ),
  );
}
