// lmscope's public API.
export {
  loadModel,
  createModel,
  LanguageModel,
  type Logits,
  type ModelInfo,
  type Batch,
  type Loss,
  type LossOptions,
  type CreateOptions,
  type ModelOptions,
  type BackendChoice,
} from "./language-model.js";
export { createBackend, disposeBackend, relaxedSimdSupported, wasmSimdSupported, type BackendName } from "./backend/select.js";
export { EncoderModel, loadEncoderModel, type EncoderInfo, type EmbedOptions } from "./encoder-model.js";
export type { EncoderInputs, EncoderOutputs, OutputArray, EncoderConfig } from "./models/encoder.js";
export * from "./embeddings/index.js";
export type { LoraOptions } from "./models/lora.js";
export { AdamW } from "./training/adamw.js";
export { clipGradNorm } from "./training/grad-clip.js";
export { cosineWithWarmup } from "./training/lr-schedule.js";
export { Parameter, Variable } from "./autograd/variable.js";
export type { GenerateOptions, GenerationPiece, GenerationResult, FinishReason, Prompt } from "./generation/generate.js";
export type { SamplingOptions } from "./generation/sampling-options.js";
export type { LoadOptions, ModelSource, ModelFormat } from "./io/load-decoder.js";
export type { DecoderConfig } from "./models/decoder-only.js";
export * from "./tokenizers/index.js";
export type { Backend } from "./backend/backend.js";
export { jsBackend } from "./backend/js/index.js";
export { LmscopeError, ModelFormatError, ConfigError, OptionError, InputError } from "./errors.js";
