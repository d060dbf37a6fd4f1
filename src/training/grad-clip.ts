// Gradient clipping by global norm (torch.nn.utils.clip_grad_norm_, norm 2):
// total = √(Σ over every gradient element of g²); if total > maxNorm, every
// gradient is scaled by maxNorm / (total + 1e-6). Returns the norm before clipping.

import type { Variable } from "../autograd/variable.js";
import type { FloatArray } from "../tensor/tensor.js";

export function clipGradNorm<A extends FloatArray>(params: Iterable<Variable<A>>, maxNorm: number): number {
  if (!(maxNorm > 0)) throw new RangeError(`clipGradNorm: maxNorm ${maxNorm} must be > 0`);
  const grads: A[] = [];
  for (const p of params) if (p.grad !== null) grads.push(p.grad);
  let sumSquares = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sumSquares += g[i]! * g[i]!;
  const total = Math.sqrt(sumSquares);
  const coefficient = maxNorm / (total + 1e-6);
  if (coefficient < 1) for (const g of grads) for (let i = 0; i < g.length; i++) g[i] = g[i]! * coefficient;
  return total;
}
