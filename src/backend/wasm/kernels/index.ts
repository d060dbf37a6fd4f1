// AssemblyScript entry of the lmscope WASM kernels (built by scripts/build-wasm.mjs
// into dist/src/backend/wasm/kernels.wasm). Every export takes byte addresses in
// the imported shared memory; the module has no data segments and no allocator:
// the TypeScript side (src/backend/wasm/memory.ts) places every buffer.
export { matmulF32, matmulF32Columns } from "./matmul";
export { quantizeActivations } from "./quant-activations";
export { matmulQuant } from "./quant-matmul";
export { quantScratchBytes } from "./panels";
export { matmulHalf } from "./half";
export { zero, copy, add, mul, scaleInPlace, rmsNorm, layerNorm, softmaxRows, geluTanh, geluErf, relu, silu, tanhInPlace, rope, sumForBandwidth } from "./elementwise";
export { attention, attentionScratchFloats } from "./attention";
export { runTask } from "./tasks";
export { gemmScratchBytes } from "./gemm";
export { attentionBackwardScratchFloats } from "./attention-backward";
