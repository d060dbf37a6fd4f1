// Gradient clipping by global norm (torch.nn.utils.clip_grad_norm_, norm 2):
// total = √(Σ over every gradient element of g²); if total > maxNorm, every
// gradient is scaled by maxNorm / (total + 1e-6). Returns the norm before clipping.
// The sums of squares and the scaling are optimizer kernels (the js reference by
// default, a backend's for its models).

import type { Variable } from "../autograd/variable.js";
import { jsOptimizerKernels } from "../backend/js/optimizer.js";
import type { OptimizerKernels } from "../backend/optimizer.js";
import type { FloatArray } from "../tensor/tensor.js";

/** √(Σ g²) over the gradients of `params` (those that have one). */
export function gradNorm<A extends FloatArray>(params: Iterable<Variable<A>>, kernels: OptimizerKernels<A> = jsOptimizerKernels as OptimizerKernels<A>): number {
  let sumSquares = 0;
  for (const p of params) if (p.grad !== null) sumSquares += kernels.sumOfSquares(p.grad, p.grad.length);
  return Math.sqrt(sumSquares);
}

export function clipGradNorm<A extends FloatArray>(
  params: Iterable<Variable<A>>,
  maxNorm: number,
  kernels: OptimizerKernels<A> = jsOptimizerKernels as OptimizerKernels<A>,
): number {
  if (!(maxNorm > 0)) throw new RangeError(`clipGradNorm: maxNorm ${maxNorm} must be > 0`);
  const grads: A[] = [];
  for (const p of params) if (p.grad !== null) grads.push(p.grad);
  let sumSquares = 0;
  for (const g of grads) sumSquares += kernels.sumOfSquares(g, g.length);
  const total = Math.sqrt(sumSquares);
  const coefficient = maxNorm / (total + 1e-6);
  if (coefficient < 1) for (const g of grads) kernels.scale(g, g.length, coefficient);
  return total;
}
