// Linear layer on the tape: out[..., outF] = x[..., inF] · weightᵀ + bias, weight in
// nn.Linear layout [outF, inF] (PyTorch F.linear; backward as llm.c matmul_backward).

import type { FloatArray } from "../tensor/tensor.js";
import { expectShape, rowsOf } from "./shapes.js";
import type { Tape } from "./tape.js";
import type { Variable } from "./variable.js";

export function linear<A extends FloatArray>(tape: Tape<A>, x: Variable<A>, weight: Variable<A>, bias: Variable<A> | null): Variable<A> {
  if (weight.shape.length !== 2) throw new RangeError(`linear: weight must be [out, in], got [${weight.shape.join(", ")}]`);
  const [outFeatures, inFeatures] = weight.shape as [number, number];
  const rows = rowsOf(x, inFeatures, "linear", "x");
  if (bias !== null) expectShape(bias, [outFeatures], "linear", "bias");
  const out = tape.output(rows * outFeatures); // [rows, outF]
  tape.kernels.forward.matmul(out, x.data, weight.data, bias === null ? null : bias.data, rows, outFeatures, inFeatures);
  return tape.record(out, [...x.shape.slice(0, -1), outFeatures], [x, weight, bias], (dOut) =>
    tape.kernels.backward.matmulBackward(
      tape.gradFor(x),
      tape.gradFor(weight),
      tape.gradFor(bias),
      dOut,
      x.data,
      weight.data,
      rows,
      outFeatures,
      inFeatures,
    ),
  );
}
