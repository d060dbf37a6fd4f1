// The generation fields /v1/chat/completions and /v1/completions share, read and
// range-checked as OpenAI's API documents them (max_tokens, temperature, top_p, n,
// stop, seed, presence_penalty, frequency_penalty, stream, stream_options, user),
// with the extensions llama.cpp's server and vLLM accept (top_k, min_p,
// repetition_penalty, ignore_eos). Fields that would change the answer but are not
// implemented (logit_bias, tools, response_format other than text) are refused by
// name rather than ignored.

import type { SamplingOptions } from "../generation/sampling-options.js";
import { OPENAI_PENALTY_LIMIT } from "../generation/logits-processors.js";
import { invalidRequest } from "./api-error.js";
import { describeValue, type RequestFields } from "./request-fields.js";

/** Choices one request may ask for (n). */
export const MAX_CHOICES = 8;
/** Stop strings one request may give (OpenAI's limit). */
export const MAX_STOP_STRINGS = 4;
const MAX_STOP_LENGTH = 1000;
/** Candidates a token's logprobs may list (OpenAI's top_logprobs limit). */
export const MAX_TOP_LOGPROBS = 20;
const MAX_TOKENS_LIMIT = 2 ** 31 - 1;
const MODEL_NAME_LIMIT = 1000;

export interface GenerationRequest {
  readonly model: string;
  /** New tokens per choice at most, as asked (max_completion_tokens, else max_tokens). */
  readonly maxTokens: number | undefined;
  /** temperature, top_p, top_k, min_p, repetition_penalty (the seed is per choice). */
  readonly sampling: Readonly<Omit<SamplingOptions, "seed" | "doSample">>;
  readonly seed: number | undefined;
  readonly presencePenalty: number;
  readonly frequencyPenalty: number;
  readonly stop: readonly string[];
  readonly n: number;
  readonly stream: boolean;
  /** stream_options.include_usage: a last chunk with the usage. */
  readonly includeUsage: boolean;
  /** Keep generating after end-of-sequence tokens (extension). */
  readonly ignoreEos: boolean;
}

function readStop(fields: RequestFields): string[] {
  const value = fields.raw("stop");
  if (value === undefined) return [];
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list)) throw invalidRequest(`"stop" must be a string or an array of strings, got ${describeValue(value)}`, "stop", "invalid_type");
  if (list.length > MAX_STOP_STRINGS) throw invalidRequest(`"stop" has ${list.length} strings; at most ${MAX_STOP_STRINGS} are allowed`, "stop", "invalid_value");
  return list.map((stop, i) => {
    if (typeof stop !== "string" || stop === "") throw invalidRequest(`"stop[${i}]" must be a non-empty string, got ${describeValue(stop)}`, "stop", "invalid_type");
    if (stop.length > MAX_STOP_LENGTH) throw invalidRequest(`"stop[${i}]" is ${stop.length} characters long; at most ${MAX_STOP_LENGTH} are allowed`, "stop", "invalid_value");
    return stop;
  });
}

/** Refuses the fields that would change the answer but are not implemented. */
function refuseUnsupported(fields: RequestFields): void {
  const logitBias = fields.raw("logit_bias");
  if (logitBias !== undefined && (typeof logitBias !== "object" || Array.isArray(logitBias) || Object.keys(logitBias as object).length > 0)) {
    throw invalidRequest(`"logit_bias" is not supported by this server`, "logit_bias", "unsupported_parameter");
  }
  for (const name of ["tools", "functions"]) {
    const value = fields.raw(name);
    if (value !== undefined && !(Array.isArray(value) && value.length === 0)) {
      throw invalidRequest(`"${name}" is not supported by this server (tool calls are not parsed from the reply)`, name, "unsupported_parameter");
    }
  }
  const format = fields.object("response_format");
  if (format !== undefined && format.string("type") !== "text") {
    throw invalidRequest(`"response_format" other than {"type": "text"} is not supported by this server`, "response_format", "unsupported_parameter");
  }
}

/** Reads and checks the shared generation fields of a request. */
export function readGenerationRequest(fields: RequestFields): GenerationRequest {
  const model = fields.requiredString("model", MODEL_NAME_LIMIT);
  refuseUnsupported(fields);
  fields.string("user"); // accepted and ignored, as by local servers
  const tokens = { min: 1, max: MAX_TOKENS_LIMIT, integer: true };
  const maxTokens = fields.number("max_completion_tokens", tokens) ?? fields.number("max_tokens", tokens);
  const stream = fields.boolean("stream") ?? false;
  const streamOptions = fields.object("stream_options");
  if (streamOptions !== undefined && !stream) throw invalidRequest(`"stream_options" is only allowed when "stream" is true`, "stream_options", "invalid_value");
  const includeUsage = streamOptions?.boolean("include_usage") ?? false;
  const topK = fields.number("top_k", { min: -1, max: MAX_TOKENS_LIMIT, integer: true }) ?? 0;
  const penalty = { min: -OPENAI_PENALTY_LIMIT, max: OPENAI_PENALTY_LIMIT };
  return {
    model,
    maxTokens,
    sampling: {
      temperature: fields.number("temperature", { min: 0, max: 2 }) ?? 1,
      topP: fields.number("top_p", { min: 0, max: 1, minExclusive: true }) ?? 1,
      topK: Math.max(0, topK), // -1 and 0 turn it off (vLLM, llama.cpp)
      minP: fields.number("min_p", { min: 0, max: 1 }) ?? 0,
      repetitionPenalty: fields.number("repetition_penalty", { min: 0, max: 100, minExclusive: true }) ?? 1,
    },
    seed: fields.number("seed", { min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER, integer: true }),
    presencePenalty: fields.number("presence_penalty", penalty) ?? 0,
    frequencyPenalty: fields.number("frequency_penalty", penalty) ?? 0,
    stop: readStop(fields),
    n: fields.number("n", { min: 1, max: MAX_CHOICES, integer: true }) ?? 1,
    stream,
    includeUsage,
    ignoreEos: fields.boolean("ignore_eos") ?? false,
  };
}
