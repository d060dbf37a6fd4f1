// Reference optimizer kernels (../optimizer.ts): AdamW's per-element update as
// torch 1.13 _single_tensor_adamw computes it, the squared norm and the scaling
// of gradient clipping (torch.nn.utils.clip_grad_norm_), in float64 arithmetic on
// float32 or float64 buffers.

import type { OptimizerKernels } from "../optimizer.js";
import type { FloatArray } from "../../tensor/tensor.js";

export const jsOptimizerKernels: OptimizerKernels<FloatArray> = {
  adamwStep(param, grad, expAvg, expAvgSq, n, { beta1, beta2, eps, stepSize, decay, biasCorrection2Sqrt }) {
    for (let i = 0; i < n; i++) {
      const g = grad[i]!;
      const m = beta1 * expAvg[i]! + (1 - beta1) * g;
      const v = beta2 * expAvgSq[i]! + (1 - beta2) * g * g;
      expAvg[i] = m;
      expAvgSq[i] = v;
      param[i] = param[i]! * decay - (stepSize * m) / (Math.sqrt(v) / biasCorrection2Sqrt + eps);
    }
  },
  sumOfSquares(x, n) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += x[i]! * x[i]!;
    return sum;
  },
  scale(x, n, factor) {
    for (let i = 0; i < n; i++) x[i] = x[i]! * factor;
  },
};
