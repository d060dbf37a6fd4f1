// POST /v1/completions (OpenAI's legacy completions): a prompt continued as text.
// The prompt may be a string, a list of strings, a list of token ids, or a list of
// such lists, as OpenAI allows; each prompt gets n choices (index = prompt × n + i).
// Text is encoded with the tokenizer's special tokens (BOS), as `generate` does; an
// empty prompt starts from BOS. Generation stops at the model's end-of-sequence ids;
// without max_tokens it ends after 16 tokens (OpenAI's default for this endpoint).
// Logprobs come in the legacy shape: { tokens, token_logprobs, top_logprobs (a
// token → logprob map per position), text_offset } with offsets in code points of
// the completion text (as vLLM counts them without echo).

import type { ServerResponse } from "node:http";
import { promptIds } from "../generation/generate.js";
import { LmscopeError } from "../errors.js";
import { invalidRequest } from "./api-error.js";
import type { Choice } from "./choice.js";
import { runCompletion, type CompletionFormat } from "./completion-run.js";
import { MAX_CHOICES, MAX_TOP_LOGPROBS, readGenerationRequest } from "./generation-request.js";
import { tokenSpeller, type TokenLogprob } from "./logprobs.js";
import { describeValue, RequestFields } from "./request-fields.js";
import { requireDecoder, requireModel, type ServedDecoder, type ServedModel } from "./served-model.js";

/** OpenAI's default max_tokens for /v1/completions. */
const DEFAULT_MAX_TOKENS = 16;

type PromptInput = string | { readonly ids: readonly number[] };

const isIdList = (value: unknown): value is number[] => Array.isArray(value) && value.every((id) => typeof id === "number");

/** The prompts of the request, as text or ids (not yet encoded). */
function readPrompts(fields: RequestFields): PromptInput[] {
  const value = fields.raw("prompt");
  if (value === undefined) throw invalidRequest(`"prompt" is required`, "prompt", "missing_required_parameter");
  if (typeof value === "string") return [value];
  const shape = `"prompt" must be a string, an array of strings, an array of token ids or an array of such arrays`;
  if (!Array.isArray(value) || value.length === 0) throw invalidRequest(`${shape}, got ${Array.isArray(value) ? "an empty array" : describeValue(value)}`, "prompt", "invalid_type");
  if (isIdList(value)) return [{ ids: value }];
  if (value.length > MAX_CHOICES) throw invalidRequest(`"prompt" has ${value.length} prompts; at most ${MAX_CHOICES} are allowed`, "prompt", "invalid_value");
  const texts = typeof value[0] === "string";
  return value.map((item: unknown, i) => {
    if (texts && typeof item === "string") return item;
    if (!texts && isIdList(item) && item.length > 0) return { ids: item };
    throw invalidRequest(`${shape}; prompt[${i}] is ${describeValue(item)}${i > 0 ? `, unlike prompt[0]` : ""}`, "prompt", "invalid_type");
  });
}

function encode(served: ServedDecoder, prompt: PromptInput, i: number): number[] {
  try {
    return promptIds(served.model.network, served.model.tokenizer, prompt);
  } catch (error) {
    if (error instanceof LmscopeError) throw invalidRequest(`prompt ${i}: ${error.message}`, "prompt", "invalid_value");
    throw error;
  }
}

/** Refuses what this endpoint documents but the server does not do. */
function refuseUnsupported(fields: RequestFields, n: number): void {
  if (fields.boolean("echo") === true) throw invalidRequest(`"echo" is not supported by this server`, "echo", "unsupported_parameter");
  const suffix = fields.string("suffix");
  if (suffix !== undefined && suffix !== "") throw invalidRequest(`"suffix" is not supported by this server`, "suffix", "unsupported_parameter");
  const bestOf = fields.number("best_of", { min: 1, max: MAX_CHOICES, integer: true });
  if (bestOf !== undefined && bestOf !== 1 && bestOf !== n) throw invalidRequest(`"best_of" other than n is not supported by this server`, "best_of", "unsupported_parameter");
}

function textFormat(served: ServedDecoder, withLogprobs: boolean): CompletionFormat {
  const spell = tokenSpeller(served.model.tokenizer);
  const logprobs = (list: readonly TokenLogprob[], offsets: readonly number[]) =>
    withLogprobs
      ? {
          tokens: list.map((l) => spell(l.id).token),
          token_logprobs: list.map((l) => l.logprob),
          top_logprobs: list.map((l) => Object.fromEntries(l.top.map((t) => [spell(t.id).token, t.logprob]))),
          text_offset: offsets,
        }
      : null;
  return {
    object: "text_completion",
    chunkObject: "text_completion",
    idPrefix: "cmpl-",
    promptParam: "prompt",
    opening: () => null,
    delta: (index, delta) => ({ index, text: delta.text, logprobs: logprobs(delta.logprobs, delta.logprobs.map(() => delta.offset)), finish_reason: null }),
    final: (choice: Choice) => ({ index: choice.index, text: "", logprobs: null, finish_reason: choice.finishReason }),
    whole: (choice: Choice) => ({ index: choice.index, text: choice.text, logprobs: logprobs(choice.logprobs, choice.offsets), finish_reason: choice.finishReason }),
  };
}

export async function answerTextCompletion(served: ServedModel, body: unknown, response: ServerResponse): Promise<void> {
  const fields = RequestFields.of(body);
  const request = readGenerationRequest(fields);
  const decoder = requireDecoder(requireModel(served, request.model), "/v1/completions");
  refuseUnsupported(fields, request.n);
  const logprobs = fields.number("logprobs", { min: 0, max: MAX_TOP_LOGPROBS, integer: true });
  const prompts = readPrompts(fields).map((prompt, i) => encode(decoder, prompt, i));
  await runCompletion(
    {
      served: decoder,
      request,
      prompts,
      endIds: new Set(request.ignoreEos ? [] : decoder.model.config.eosTokenIds),
      topLogprobs: logprobs ?? null,
      defaultMaxTokens: (room) => Math.min(DEFAULT_MAX_TOKENS, room),
      format: textFormat(decoder, logprobs !== undefined),
    },
    response,
  );
}
