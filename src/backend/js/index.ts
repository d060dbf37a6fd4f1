// The plain TypeScript backend: readable loops, float64 accumulation. It is the
// specification every faster backend is tested against, op by op.

import type { Backend } from "../backend.js";
import type { WeightMatrix } from "../../tensor/weights.js";
import { matmulF32, matmulF32Columns } from "./matmul.js";
import { matmulHalf } from "./matmul-half.js";
import { matmulQ4_0, matmulQ8_0 } from "./matmul-quantized.js";
import { matmulBlocks } from "./matmul-blocks.js";
import { layerNorm, rmsNorm } from "./norms.js";
import { softmaxRows } from "./softmax.js";
import { gelu, relu, silu, tanh } from "./activations.js";
import { rope } from "./rope.js";
import { attention, attentionProbabilities } from "./attention.js";
import { add, embedding, mul, scale } from "./elementwise.js";
import { eluPlusOne, positiveRandomFeatures } from "./feature-maps.js";
import { linearAttention, linearAttentionProbabilities } from "./linear-attention.js";
import { sparseAttention, sparseAttentionProbabilities } from "./sparse-attention.js";
import { gruCell, lstmCell } from "./recurrent-cells.js";

export const jsBackend: Backend = {
  name: "js",
  allocate: (length) => new Float32Array(length),
  upload: (data) => data,
  uploadMatrix: (matrix) => matrix,
  matmul(out, x, w: WeightMatrix, bias, m) {
    switch (w.type) {
      case "f32":
        return matmulF32(out, x, w, bias, m);
      case "f32_columns":
        return matmulF32Columns(out, x, w, bias, m);
      case "f16":
      case "bf16":
        return matmulHalf(out, x, w, bias, m);
      case "q8_0":
        return matmulQ8_0(out, x, w, bias, m);
      case "q4_0":
        return matmulQ4_0(out, x, w, bias, m);
      default:
        return matmulBlocks(out, x, w, bias, m);
    }
  },
  embedding,
  add,
  mul,
  scale,
  rmsNorm,
  layerNorm,
  softmax: softmaxRows,
  gelu,
  relu,
  silu,
  tanh,
  lstmCell,
  gruCell,
  rope,
  attention,
  attentionProbabilities,
  sparseAttention,
  sparseAttentionProbabilities,
  linearAttention,
  linearAttentionProbabilities,
  eluPlusOne,
  positiveRandomFeatures,
};
