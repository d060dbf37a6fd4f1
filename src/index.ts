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
export { RnnLanguageModel, type RecurrentInfo } from "./recurrent-model.js";
export type { RecurrentConfig, CellType } from "./models/recurrent/rnn-config.js";
export type { EncoderInputs, EncoderOutputs, OutputArray, EncoderConfig } from "./models/encoder.js";
export {
  Seq2SeqModel,
  loadSeq2SeqModel,
  type Seq2SeqForwardInputs,
  type Seq2SeqOutputs,
  type Seq2SeqInfo,
  type Seq2SeqLossOptions,
  type Seq2SeqBatch,
  type Seq2SeqInput,
  type GeneratedSequence,
  type Seq2SeqGenerationResult,
  type Seq2SeqGenerateOptions,
  type SequenceGenerationOptions,
} from "./seq2seq-model.js";
export type { Seq2SeqConfig } from "./models/seq2seq/encoder-decoder.js";
export type { TranslateOptions, SummarizeOptions } from "./pipelines/text2text.js";
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
export * from "./evaluation/index.js";
export type { Backend } from "./backend/backend.js";
export { jsBackend } from "./backend/js/index.js";
export { LmscopeError, ModelFormatError, ConfigError, OptionError, InputError, HubError, ChatTemplateError, type HubErrorReason } from "./errors.js";
export { downloadHubModel, resolveModelPath, type HubFetchOptions, type DownloadResult } from "./io/hub/resolve-model.js";
export { ChatSession, type ChatOptions, type ChatSessionOptions, type ChatSendOptions, type ChatReply, type ChatUsage } from "./chat/session.js";
export { ChatFormat, type ChatFormatOptions, type ChatPrompt, type PromptOptions } from "./chat/chat-format.js";
export { ChatTemplate, type RenderOptions } from "./chat/template.js";
export type { ChatMessage, JsonValue } from "./chat/messages.js";
export type { SavedChat } from "./chat/saved-chat.js";
export { inspectPrompt, type PromptInspection, type PromptInspectionOptions } from "./inspect/prompt-inspection.js";
export { traceGeneration, type GenerationTrace, type TracedStep, type TraceOptions } from "./inspect/generation-trace.js";
export type { Intervention } from "./inspect/interventions.js";
export type { PositionSummary } from "./inspect/token-probabilities.js";
export type { CapturedArray } from "./inspect/recorder.js";
