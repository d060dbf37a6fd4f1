// The optimizer's kernels: the training step's last part of the kernel interface
// (after backend.ts's forward and backward.ts's backward kernels). AdamW's update
// of one parameter tensor, the squared norm of a gradient (for clipping by global
// norm) and scaling a buffer in place. The plain TypeScript implementation in
// ./js/optimizer.ts is the specification (float64 arithmetic); the WASM backend
// implements the same in SIMD on its memory.

import type { FloatArray } from "../tensor/tensor.js";

/** The scalars of one AdamW update at step t of a parameter (torch.optim.AdamW, amsgrad off). */
export interface AdamWScalars {
  beta1: number;
  beta2: number;
  eps: number;
  /** lr / (1 − β1^t) */
  stepSize: number;
  /** 1 − lr · weightDecay (decoupled weight decay) */
  decay: number;
  /** √(1 − β2^t) */
  biasCorrection2Sqrt: number;
}

export interface OptimizerKernels<A extends FloatArray = Float32Array> {
  /**
   * For i < n: m ← β1·m + (1 − β1)·g;  v ← β2·v + (1 − β2)·g²;
   * p ← p·decay − stepSize · m / (√v / biasCorrection2Sqrt + eps).
   */
  adamwStep(param: A, grad: A, expAvg: A, expAvgSq: A, n: number, scalars: AdamWScalars): void;
  /** Σ x[i]² for i < n, accumulated in float64. */
  sumOfSquares(x: A, n: number): number;
  /** x[i] ← factor · x[i] for i < n. */
  scale(x: A, n: number, factor: number): void;
  /** A zeroed buffer for optimizer state (moments), placed where these kernels work best; absent: a plain array. */
  allocate?(length: number): A;
}
