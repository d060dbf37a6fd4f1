// The model a server answers for, with what serving it needs: the name clients
// send as `model`, the chat format of a decoder (or why it has none), the scheduler
// of its slots, and the context each slot's sequence may fill.

import { ChatFormat } from "../chat/chat-format.js";
import type { EncoderModel } from "../encoder-model.js";
import { InputError, LmscopeError, OptionError } from "../errors.js";
import type { LanguageModel } from "../language-model.js";
import { maxLengthFor } from "../pipelines/text-classification.js";
import { invalidRequest, notFound } from "./api-error.js";
import { Scheduler } from "./scheduler.js";

export interface ServeModelOptions {
  /** The model id of /v1/models and of requests. */
  readonly name: string;
  /** Sequences decoded at once (decoders). */
  readonly parallel: number;
  /** Positions per slot (--ctx); default and maximum the model's context. */
  readonly contextLength?: number;
  /** Requests that may wait for a slot. */
  readonly queueLimit: number;
  /** Jinja text of a chat template to use instead of the model's. */
  readonly chatTemplate?: string;
}

export type ServedDecoder = {
  readonly kind: "decoder";
  readonly model: LanguageModel;
  readonly scheduler: Scheduler;
  /** null when the model has no chat template; `chatFormatProblem` says why. */
  readonly chatFormat: ChatFormat | null;
  readonly chatFormatProblem: string | null;
};

export type ServedEncoder = { readonly kind: "encoder"; readonly model: EncoderModel };

export type ServedModel = (ServedDecoder | ServedEncoder) & {
  readonly name: string;
  /** Seconds since the epoch when the model was ready (/v1/models' `created`). */
  readonly created: number;
  /** Positions a sequence may fill. */
  readonly contextLength: number;
};

/** What serving `model` takes: its scheduler and chat format (decoders), checked options. */
export function serveModel(model: LanguageModel | EncoderModel, options: ServeModelOptions): ServedModel {
  const created = Math.floor(Date.now() / 1000);
  if (!model.hasTokenizer) throw new InputError(`${model.source.path || options.name} has no tokenizer: the server takes and answers text (give one with --tokenizer)`);
  if (model.kind === "encoder") {
    return { kind: "encoder", model, name: options.name, created, contextLength: maxLengthFor(model.network, model.tokenizer) };
  }
  const modelContext = model.config.contextLength;
  const contextLength = options.contextLength ?? modelContext;
  if (contextLength > modelContext) throw new OptionError("--ctx", `${contextLength} positions exceed the model's context of ${modelContext}`);
  let chatFormat: ChatFormat | null = null;
  let chatFormatProblem: string | null = null;
  try {
    chatFormat = ChatFormat.forModel(
      { tokenizer: model.tokenizer, tokenizerConfig: model.tokenizerConfig, eosTokenIds: model.config.eosTokenIds, origin: options.name },
      options.chatTemplate === undefined ? {} : { template: options.chatTemplate },
    );
  } catch (error) {
    if (!(error instanceof LmscopeError) || options.chatTemplate !== undefined) throw error;
    chatFormatProblem = error.message;
  }
  const scheduler = new Scheduler(model.network, { slots: options.parallel, contextLength, queueLimit: options.queueLimit });
  return { kind: "decoder", model, scheduler, chatFormat, chatFormatProblem, name: options.name, created, contextLength };
}

/** The served model when `requested` names it; a 404 naming the one served otherwise. */
export function requireModel(served: ServedModel, requested: string): ServedModel {
  if (requested !== served.name) throw notFound(`the model "${requested}" does not exist here; this server serves "${served.name}" (GET /v1/models)`, "model", "model_not_found");
  return served;
}

/** The served decoder; a 400 for an encoder (which cannot generate). */
export function requireDecoder(served: ServedModel, endpoint: string): ServedDecoder & ServedModel {
  if (served.kind !== "decoder") {
    throw invalidRequest(`${endpoint} needs a decoder (a language model); "${served.name}" is an encoder, which serves /v1/embeddings`, "model", "model_not_supported");
  }
  return served;
}
