// The autograd layer: variables, the tape, and the differentiable ops that model
// modules call when training (each op's forward is a Backend kernel; its backward
// is a kernel of backend/backward.ts).

export { Variable, Parameter, constant } from "./variable.js";
export { Tape } from "./tape.js";
export { backendTapeKernels, float64TapeKernels, type ForwardKernels, type TapeKernels } from "./kernels.js";
export { linear } from "./linear.js";
export { linearColumns, type ColumnWindow } from "./linear-columns.js";
export { add, mul, scale } from "./elementwise.js";
export { embedding, type EmbeddingOptions } from "./embedding.js";
export { layerNorm, rmsNorm } from "./norms.js";
export { softmax } from "./softmax.js";
export { gelu, relu, silu, tanh } from "./activations.js";
export { rope, type RopeOptions } from "./rope.js";
export { attention, type AttentionOptions } from "./attention.js";
export { sparseAttention, type SparseAttentionOptions } from "./sparse-attention.js";
export { linearAttention, type LinearAttentionOptions } from "./linear-attention.js";
export { eluPlusOne, positiveRandomFeatures } from "./feature-maps.js";
export { crossEntropy, type CrossEntropyOptions } from "./cross-entropy.js";
export { dropout } from "./dropout.js";
export { reshape, splitColumns, concatColumns, transpose, sliceRows, concatRows } from "./reshape.js";
export { slice } from "./slice.js";
export { gatherColumns } from "./gather.js";
export { lstmCell, gruCell } from "./recurrent-cells.js";
