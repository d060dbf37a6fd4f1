// Activations on the tape: ReLU (the original Transformer), GELU (tanh approximation = GPT-2 gelu_new; erf = exact,
// BERT and torch nn.GELU()), SiLU (Llama's SwiGLU gate) and tanh (BERT's pooler).
// Backward from the saved input (PyTorch gelu_backward, silu_backward), or for
// tanh from the output (tanh_backward).

import type { GeluApproximation } from "../backend/backend.js";
import type { FloatArray } from "../tensor/tensor.js";
import type { Tape } from "./tape.js";
import type { Variable } from "./variable.js";

export function gelu<A extends FloatArray>(tape: Tape<A>, x: Variable<A>, approximation: GeluApproximation): Variable<A> {
  const n = x.size;
  const out = tape.output(n);
  tape.kernels.forward.copy(out, x.data, n);
  tape.kernels.forward.gelu(out, n, approximation);
  return tape.record(out, x.shape, [x], (dOut) =>
    tape.kernels.backward.geluBackward(tape.gradFor(x)!, dOut, x.data, n, approximation),
  );
}

export function relu<A extends FloatArray>(tape: Tape<A>, x: Variable<A>): Variable<A> {
  const n = x.size;
  const out = tape.allocate(n);
  out.set(x.data);
  tape.kernels.forward.relu(out, n);
  return tape.record(out, x.shape, [x], (dOut) => tape.kernels.backward.reluBackward(tape.gradFor(x)!, dOut, x.data, n));
}

export function silu<A extends FloatArray>(tape: Tape<A>, x: Variable<A>): Variable<A> {
  const n = x.size;
  const out = tape.output(n);
  tape.kernels.forward.copy(out, x.data, n);
  tape.kernels.forward.silu(out, n);
  return tape.record(out, x.shape, [x], (dOut) => tape.kernels.backward.siluBackward(tape.gradFor(x)!, dOut, x.data, n));
}

export function tanh<A extends FloatArray>(tape: Tape<A>, x: Variable<A>): Variable<A> {
  const n = x.size;
  const out = tape.output(n);
  tape.kernels.forward.copy(out, x.data, n);
  tape.kernels.forward.tanh(out, n);
  return tape.record(out, x.shape, [x], (dOut) => tape.kernels.backward.tanhBackward(tape.gradFor(x)!, dOut, out, n));
}
