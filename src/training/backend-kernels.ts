// The training kernels a backend provides: its own backward and optimizer kernels
// when it has them (the WASM backend's, in SIMD on its memory), else the plain
// TypeScript reference (backend/js).

import type { Backend } from "../backend/backend.js";
import type { BackwardKernels } from "../backend/backward.js";
import { jsBackwardKernels } from "../backend/js/backward/index.js";
import { jsOptimizerKernels } from "../backend/js/optimizer.js";
import type { OptimizerKernels } from "../backend/optimizer.js";

interface TrainingBackend {
  backwardKernels?(): BackwardKernels<Float32Array>;
  optimizerKernels?(): OptimizerKernels<Float32Array>;
}

export function backwardKernelsOf(backend: Backend): BackwardKernels<Float32Array> {
  return (backend as TrainingBackend).backwardKernels?.() ?? jsBackwardKernels;
}

/** The optimizer kernels of the backend a model computes on (the reference when it is unknown). */
export function optimizerKernelsOf(backend: Backend | undefined): OptimizerKernels<Float32Array> {
  // (The reference takes float32 or float64 buffers and places none of its own.)
  return (backend as TrainingBackend | undefined)?.optimizerKernels?.() ?? (jsOptimizerKernels as OptimizerKernels<Float32Array>);
}
