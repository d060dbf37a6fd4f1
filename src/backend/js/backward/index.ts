// The plain TypeScript backward kernels: the specification every faster
// backend's backward is tested against. They accept float32 or float64 buffers.

import type { BackwardKernels } from "../../backward.js";
import type { FloatArray } from "../../../tensor/tensor.js";
import { accumulate, embeddingBackward, mulBackward } from "./elementwise.js";
import { matmulBackward, matmulColumnsBackward } from "./matmul.js";
import { layerNormBackward, rmsNormBackward } from "./norms.js";
import { softmaxBackward } from "./softmax.js";
import { geluBackward, reluBackward, siluBackward, tanhBackward } from "./activations.js";
import { ropeBackward } from "./rope.js";
import { gruCellBackward, lstmCellBackward } from "./recurrent-cells.js";
import { attentionBackward } from "./attention.js";
import { crossEntropy, crossEntropyBackward } from "./cross-entropy.js";
import { eluPlusOneBackward, positiveRandomFeaturesBackward } from "./feature-maps.js";
import { linearAttentionBackward } from "./linear-attention.js";
import { sparseAttentionBackward } from "./sparse-attention.js";

export const jsBackwardKernels: BackwardKernels<FloatArray> = {
  accumulate,
  matmulBackward,
  matmulColumnsBackward,
  embeddingBackward,
  mulBackward,
  rmsNormBackward,
  layerNormBackward,
  softmaxBackward,
  geluBackward,
  reluBackward,
  siluBackward,
  tanhBackward,
  lstmCellBackward,
  gruCellBackward,
  ropeBackward,
  attentionBackward,
  sparseAttentionBackward,
  linearAttentionBackward,
  eluPlusOneBackward,
  positiveRandomFeaturesBackward,
  crossEntropy,
  crossEntropyBackward,
};
