// What /v1/chat/completions and /v1/completions share once their prompts are token
// ids: the context check (a prompt that does not fit, or max_tokens beyond the
// window, is a 400 with the counts, as OpenAI's context_length_exceeded), one Choice
// per prompt × n, the job handed to the scheduler, and the answer — one JSON object,
// or OpenAI's stream of chunks: each choice's opening chunk (chat: the role), its
// deltas, its final chunk with finish_reason, the usage chunk (choices: []) when
// stream_options.include_usage asks for it, then [DONE]. A client that disconnects
// cancels the job: its slots are free at once and nothing more is written.

import { randomBytes, randomInt } from "node:crypto";
import type { ServerResponse } from "node:http";
import { asApiError, invalidRequest } from "./api-error.js";
import { Choice, type ChoiceDelta, type ChoiceEvents } from "./choice.js";
import type { GenerationRequest } from "./generation-request.js";
import { EventStream, sendJson } from "./http-io.js";
import type { ServedDecoder, ServedModel } from "./served-model.js";

/** How one endpoint writes its objects (chat.completion or text_completion). */
export interface CompletionFormat {
  /** "chat.completion" or "text_completion". */
  readonly object: string;
  /** The object of a streamed chunk. */
  readonly chunkObject: string;
  /** Prefix of the answer's id ("chatcmpl-", "cmpl-"). */
  readonly idPrefix: string;
  /** The field of the request that holds the prompt (for errors). */
  readonly promptParam: string;
  /** A choice's first streamed chunk before any text (chat: the role), or null. */
  opening(index: number): object | null;
  /** A streamed delta of a choice. */
  delta(index: number, delta: ChoiceDelta): object;
  /** A choice's last streamed chunk, with its finish reason. */
  final(choice: Choice): object;
  /** A whole choice of the non-streamed answer. */
  whole(choice: Choice): object;
}

export interface CompletionPlan {
  readonly served: ServedDecoder & ServedModel;
  readonly request: GenerationRequest;
  /** Prompt ids, one list per prompt. */
  readonly prompts: readonly (readonly number[])[];
  /** Ids that end a choice (empty with ignore_eos). */
  readonly endIds: ReadonlySet<number>;
  /** Alternatives per token's logprobs; null without logprobs. */
  readonly topLogprobs: number | null;
  /** max_tokens when the request gives none, from the room the prompt leaves in the window. */
  defaultMaxTokens(room: number): number;
  readonly format: CompletionFormat;
}

export interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
  readonly prompt_tokens_details: { readonly cached_tokens: number };
}

/** Checks that each prompt and max_tokens fit the context; returns each prompt's max_tokens. */
function fitContext(plan: CompletionPlan): number[] {
  const context = plan.served.contextLength;
  const asked = plan.request.maxTokens;
  return plan.prompts.map((prompt) => {
    const length = prompt.length;
    if (length >= context) {
      throw invalidRequest(
        `the prompt has ${length} tokens, but the context window is ${context}: at most ${context - 1} prompt tokens leave room for a reply`,
        plan.format.promptParam,
        "context_length_exceeded",
      );
    }
    if (asked !== undefined && length + asked > context) {
      throw invalidRequest(
        `the prompt (${length} tokens) plus max_tokens (${asked}) is ${length + asked} tokens, more than the context window of ${context}: ` +
          `ask for at most ${context - length} new tokens`,
        "max_tokens",
        "context_length_exceeded",
      );
    }
    return asked ?? plan.defaultMaxTokens(context - length);
  });
}

/** The seed of choice `index`: the request's (or a random) seed moved by the index, staying a safe integer. */
function choiceSeed(base: number, index: number): number {
  return Number.isSafeInteger(base + index) ? base + index : base - index;
}

function usageOf(plan: CompletionPlan, choices: readonly Choice[]): Usage {
  const promptTokens = plan.prompts.reduce((sum, p) => sum + p.length, 0);
  const completionTokens = choices.reduce((sum, c) => sum + c.generated.length, 0);
  const n = plan.request.n;
  const cachedTokens = choices.filter((_, i) => i % n === 0).reduce((sum, c) => sum + c.cachedTokens, 0); // each prompt's first choice
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens, prompt_tokens_details: { cached_tokens: cachedTokens } };
}

/** Runs the plan and writes the answer (streamed or whole) to `response`. */
export async function runCompletion(plan: CompletionPlan, response: ServerResponse): Promise<void> {
  const { served, format } = plan;
  const generation = plan.request;
  const maxTokens = fitContext(plan);
  const id = `${format.idPrefix}${randomBytes(18).toString("base64url")}`;
  const created = Math.floor(Date.now() / 1000);
  const header = { id, object: format.chunkObject, created, model: served.name };
  const usageField = generation.includeUsage ? { usage: null } : {};
  let stream: EventStream | null = null;
  const events: ChoiceEvents = {
    delta: (choice, delta) => stream?.send({ ...header, choices: [format.delta(choice.index, delta)], ...usageField }),
    end: (choice) => stream?.send({ ...header, choices: [format.final(choice)], ...usageField }),
  };
  const baseSeed = generation.seed ?? randomInt(0, 2 ** 47);
  const vocabSize = served.model.config.vocabSize;
  const choices = plan.prompts.flatMap((prompt, p) =>
    Array.from({ length: generation.n }, (_, i) => {
      const index = p * generation.n + i;
      return new Choice(
        {
          index,
          prompt,
          maxTokens: maxTokens[p]!,
          sampling: { ...generation.sampling, seed: choiceSeed(baseSeed, index) },
          presencePenalty: generation.presencePenalty,
          frequencyPenalty: generation.frequencyPenalty,
          stop: generation.stop,
          endIds: plan.endIds,
          topLogprobs: plan.topLogprobs,
        },
        served.model.tokenizer,
        vocabSize,
        events,
      );
    }),
  );

  // The client leaving (the connection closing before the answer is complete) cancels the job.
  const disconnected = new AbortController();
  const onClose = (): void => {
    if (!response.writableFinished) disconnected.abort();
  };
  response.on("close", onClose);
  try {
    if (response.socket === null || response.socket.destroyed) return; // gone while its request was read
    const running = served.scheduler.submit({ tasks: choices }, disconnected.signal); // 429 / 400 / 503 before anything is written
    if (generation.stream) {
      stream = new EventStream(response);
      for (const choice of choices) {
        const opening = format.opening(choice.index);
        if (opening !== null) stream.send({ ...header, choices: [opening], ...usageField });
      }
    }
    let outcome;
    try {
      outcome = await running;
    } catch (error) {
      const answer = asApiError(error, format.promptParam);
      if (answer.status >= 500 && answer.status !== 503) process.stderr.write(`lmscope serve: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      if (stream === null) throw answer;
      stream.end(answer);
      return;
    }
    if (outcome === "cancelled") return;
    const usage = usageOf(plan, choices);
    if (stream !== null) {
      if (generation.includeUsage) stream.send({ ...header, choices: [], usage });
      stream.end();
      return;
    }
    sendJson(response, 200, { id, object: format.object, created, model: served.name, choices: choices.map((c) => format.whole(c)), usage });
  } finally {
    response.off("close", onClose);
  }
}
