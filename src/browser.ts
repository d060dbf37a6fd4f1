// lmscope's entry point for browsers (package export "lmscope/browser"): the same
// LanguageModel as in Node, loaded from the bytes of a GGUF file — one file that
// holds the weights and the tokenizer — fetched from a URL or from the Hugging
// Face hub (kept in the Cache API), or read from a File.
// Nothing here touches Node's modules. Threads need a cross-origin-isolated page
// (SharedArrayBuffer); elsewhere the WASM backend runs on one thread.

import { ModelFormatError } from "./errors.js";
import { ggufDecoder } from "./io/gguf-model.js";
import { fetchHubGguf, type BrowserHubOptions } from "./io/hub/browser-download.js";
import { parseHubModelId } from "./io/hub/model-id.js";
import { parseGguf } from "./io/gguf.js";
import { LanguageModel, resolveBackend, type BackendChoice } from "./language-model.js";

export { LanguageModel, type BackendChoice, type Logits, type ModelInfo } from "./language-model.js";
export { createBackend, disposeBackend, wasmSimdSupported, type BackendName } from "./backend/select.js";
export type { Backend } from "./backend/backend.js";
export type { GenerateOptions, GenerationPiece, GenerationResult, FinishReason, Prompt } from "./generation/generate.js";
export type { SamplingOptions } from "./generation/sampling-options.js";
export type { Tokenizer } from "./tokenizers/tokenizer.js";
export { tokenizerFromJson } from "./tokenizers/tokenizer-json.js";
export { LmscopeError, ModelFormatError, ConfigError, OptionError, InputError, HubError, ChatTemplateError, type HubErrorReason } from "./errors.js";
export type { BrowserHubOptions, ResponseCache } from "./io/hub/browser-download.js";
export type { ChatSession, ChatOptions, ChatSendOptions, ChatReply, ChatUsage } from "./chat/session.js";
export type { ChatMessage } from "./chat/messages.js";
export { inspectPrompt, type PromptInspection, type PromptInspectionOptions } from "./inspect/prompt-inspection.js";
export { traceGeneration, type GenerationTrace, type TracedStep, type TraceOptions } from "./inspect/generation-trace.js";
export type { Intervention } from "./inspect/interventions.js";

export interface GgufLoadOptions extends BackendChoice {
  /** What to call the file in error messages and `info().source.path` (default "model.gguf"). */
  name?: string;
}

/** A model from the bytes of a GGUF file (llama or gpt2 architecture, its tokenizer from the metadata). */
export async function loadModelFromGguf(bytes: Uint8Array | ArrayBuffer, options: GgufLoadOptions = {}): Promise<LanguageModel> {
  const data = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const file = parseGguf(data, options.name ?? "model.gguf");
  return new LanguageModel(ggufDecoder(file, data.byteLength, await resolveBackend(options)));
}

export interface FetchModelOptions extends GgufLoadOptions {
  /** For hub ids: endpoint, token, Cache API use, download progress. */
  hub?: BrowserHubOptions;
}

/**
 * Fetches a GGUF file and loads it: from a URL (`fetch` must reach it: same origin,
 * or CORS), or from the Hugging Face hub by id — "org/name:Q4_K_M" picks a GGUF
 * repo's file by its quant label, "hf:org/name/file.gguf" names one, "@revision"
 * pins a branch, tag or commit — kept in the Cache API so a second load needs no
 * download. A relative URL that looks like "org/name" needs a "./" in front.
 */
export async function fetchModel(source: string | URL, options: FetchModelOptions = {}): Promise<LanguageModel> {
  const id = typeof source === "string" ? parseHubModelId(source) : undefined;
  if (id !== undefined) {
    const { bytes, name } = await fetchHubGguf(id, options.hub);
    return loadModelFromGguf(bytes, { ...options, name: options.name ?? name });
  }
  const url = source;
  const name = options.name ?? String(url);
  const response = await fetch(url);
  if (!response.ok) throw new ModelFormatError(name, `could not be fetched: HTTP ${response.status} ${response.statusText}`);
  return loadModelFromGguf(await response.arrayBuffer(), { ...options, name });
}
