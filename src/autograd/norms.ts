// LayerNorm (GPT-2, BERT) and RMSNorm (Llama) on the tape, over the last
// dimension (torch.nn.LayerNorm with biased variance; HF LlamaRMSNorm). Backward
// as llm.c layernorm_backward.

import type { FloatArray } from "../tensor/tensor.js";
import { expectShape, lastDim } from "./shapes.js";
import type { Tape } from "./tape.js";
import type { Variable } from "./variable.js";

export function layerNorm<A extends FloatArray>(
  tape: Tape<A>,
  x: Variable<A>,
  weight: Variable<A>,
  bias: Variable<A>,
  eps: number,
): Variable<A> {
  const dim = lastDim(x, "layerNorm", "x");
  expectShape(weight, [dim], "layerNorm", "weight");
  expectShape(bias, [dim], "layerNorm", "bias");
  const rows = x.size / dim;
  const out = tape.output(x.size);
  tape.kernels.forward.layerNorm(out, x.data, weight.data, bias.data, rows, dim, eps);
  return tape.record(out, x.shape, [x, weight, bias], (dOut) =>
    tape.kernels.backward.layerNormBackward(
      tape.gradFor(x),
      tape.gradFor(weight),
      tape.gradFor(bias),
      dOut,
      x.data,
      weight.data,
      rows,
      dim,
      eps,
    ),
  );
}

/** RMSNorm with gain weightOffset + weight (0 for Llama; 1 for Gemma's (1 + w)). */
export function rmsNorm<A extends FloatArray>(
  tape: Tape<A>,
  x: Variable<A>,
  weight: Variable<A>,
  eps: number,
  weightOffset = 0,
): Variable<A> {
  const dim = lastDim(x, "rmsNorm", "x");
  expectShape(weight, [dim], "rmsNorm", "weight");
  const rows = x.size / dim;
  const out = tape.output(x.size);
  tape.kernels.forward.rmsNorm(out, x.data, weight.data, rows, dim, eps, weightOffset);
  return tape.record(out, x.shape, [x, weight], (dOut) =>
    tape.kernels.backward.rmsNormBackward(tape.gradFor(x), tape.gradFor(weight), dOut, x.data, weight.data, rows, dim, eps, weightOffset),
  );
}
