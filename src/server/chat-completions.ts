// POST /v1/chat/completions: the messages rendered with the model's chat template
// (chat/chat-format.ts, as a chat session renders them), generation until an
// end-of-turn token, and the answer in OpenAI's chat.completion shapes: a message
// per choice, `logprobs.content[]` entries { token, logprob, bytes, top_logprobs },
// streamed chunks whose `delta` carries the role first, then the content.
//
// Messages are checked as a chat session checks them; a content given as a list of
// parts is joined from its text parts (one per line, as vLLM does; other part types
// are refused), and the "developer" role is given to the template as "system".

import type { ServerResponse } from "node:http";
import { checkMessage, type ChatMessage } from "../chat/messages.js";
import { LmscopeError } from "../errors.js";
import { invalidRequest } from "./api-error.js";
import type { Choice, ChoiceDelta } from "./choice.js";
import { runCompletion, type CompletionFormat } from "./completion-run.js";
import { MAX_TOP_LOGPROBS, readGenerationRequest } from "./generation-request.js";
import { tokenSpeller, type TokenLogprob } from "./logprobs.js";
import { describeValue, RequestFields } from "./request-fields.js";
import { requireDecoder, requireModel, type ServedModel } from "./served-model.js";

const MAX_MESSAGES = 10_000;

/** A message's content as the template gets it: text parts of a list joined. */
function contentText(content: unknown, path: string): unknown {
  if (!Array.isArray(content)) return content;
  return content
    .map((part: unknown, i) => {
      const fields = RequestFields.of(part);
      if (fields.string("type") !== "text") throw invalidRequest(`${path}[${i}]: only text content parts ({"type": "text", "text": …}) are supported`, "messages", "unsupported_content");
      const text = fields.raw("text");
      if (typeof text !== "string") throw invalidRequest(`${path}[${i}].text must be a string, got ${describeValue(text)}`, "messages", "invalid_type");
      return text;
    })
    .join("\n");
}

function readMessages(fields: RequestFields): ChatMessage[] {
  const value = fields.raw("messages");
  if (value === undefined) throw invalidRequest(`"messages" is required`, "messages", "missing_required_parameter");
  if (!Array.isArray(value) || value.length === 0) throw invalidRequest(`"messages" must be a non-empty array of messages, got ${describeValue(value)}`, "messages", "invalid_type");
  if (value.length > MAX_MESSAGES) throw invalidRequest(`"messages" has ${value.length} messages; at most ${MAX_MESSAGES} are allowed`, "messages", "invalid_value");
  return value.map((raw: unknown, i) => {
    let message: ChatMessage;
    try {
      message = checkMessage(raw, `messages[${i}]`);
    } catch (error) {
      if (error instanceof LmscopeError) throw invalidRequest(error.message, "messages", "invalid_value");
      throw error;
    }
    const role = message.role === "developer" ? "system" : message.role;
    return message.content === undefined ? { ...message, role } : { ...message, role, content: contentText(message.content, `messages[${i}].content`) as ChatMessage["content"] };
  });
}

function logprobEntries(spell: ReturnType<typeof tokenSpeller>, logprobs: readonly TokenLogprob[]): object[] {
  return logprobs.map((l) => ({
    ...spell(l.id),
    logprob: l.logprob,
    top_logprobs: l.top.map((t) => ({ ...spell(t.id), logprob: t.logprob })),
  }));
}

function chatFormat(served: ServedModel & { kind: "decoder" }, withLogprobs: boolean): CompletionFormat {
  const spell = tokenSpeller(served.model.tokenizer);
  const logprobs = (list: readonly TokenLogprob[]) => (withLogprobs ? { content: logprobEntries(spell, list), refusal: null } : null);
  return {
    object: "chat.completion",
    chunkObject: "chat.completion.chunk",
    idPrefix: "chatcmpl-",
    promptParam: "messages",
    opening: (index) => ({ index, delta: { role: "assistant", content: "", refusal: null }, logprobs: null, finish_reason: null }),
    delta: (index, delta: ChoiceDelta) => ({ index, delta: { content: delta.text }, logprobs: logprobs(delta.logprobs), finish_reason: null }),
    final: (choice: Choice) => ({ index: choice.index, delta: {}, logprobs: null, finish_reason: choice.finishReason }),
    whole: (choice: Choice) => ({
      index: choice.index,
      message: { role: "assistant", content: choice.text, refusal: null },
      logprobs: logprobs(choice.logprobs),
      finish_reason: choice.finishReason,
    }),
  };
}

export async function answerChatCompletion(served: ServedModel, body: unknown, response: ServerResponse): Promise<void> {
  const fields = RequestFields.of(body);
  const request = readGenerationRequest(fields);
  const decoder = requireDecoder(requireModel(served, request.model), "/v1/chat/completions");
  const withLogprobs = fields.boolean("logprobs") ?? false;
  const top = fields.number("top_logprobs", { min: 0, max: MAX_TOP_LOGPROBS, integer: true });
  if (top !== undefined && !withLogprobs) throw invalidRequest(`"top_logprobs" needs "logprobs": true`, "top_logprobs", "invalid_value");
  const messages = readMessages(fields);
  const format = decoder.chatFormat;
  if (format === null) throw invalidRequest(`${decoder.chatFormatProblem ?? "the model has no chat template"} (start the server with --chat-template FILE, or use /v1/completions)`, "messages", "no_chat_template");
  const prompt = format.prompt(messages).ids;
  await runCompletion(
    {
      served: decoder,
      request,
      prompts: [prompt],
      endIds: new Set(request.ignoreEos ? [] : format.endOfTurnIds),
      topLogprobs: withLogprobs ? (top ?? 0) : null,
      defaultMaxTokens: (room) => room, // until the end of the turn or the window
      format: chatFormat(decoder, withLogprobs),
    },
    response,
  );
}
