// lmscope's public API.
export { loadModel, LanguageModel, type Logits, type ModelInfo } from "./language-model.js";
export type { GenerateOptions, GenerationPiece, GenerationResult, FinishReason, Prompt } from "./generation/generate.js";
export type { SamplingOptions } from "./generation/sampling-options.js";
export type { LoadOptions, ModelSource, ModelFormat } from "./io/load-decoder.js";
export type { DecoderConfig } from "./models/decoder-only.js";
export type { Tokenizer, StreamDecoder, EncodeOptions, DecodeOptions } from "./tokenizers/tokenizer.js";
export { loadTokenizer } from "./tokenizers/index.js";
export type { Backend } from "./backend/backend.js";
export { jsBackend } from "./backend/js/index.js";
export { LmscopeError, ModelFormatError, ConfigError, OptionError, InputError } from "./errors.js";
