// A chat template: the Jinja program, shipped with an instruct model, that turns a
// list of messages into the exact text the model was trained on. Rendered with
// @huggingface/jinja under the rules of Hugging Face transformers'
// apply_chat_template(..., tokenize=False) (utils/chat_template_utils.py):
// trim_blocks and lstrip_blocks, the variables `messages`, `tools`, `documents`,
// `add_generation_prompt`, the tokenizer's special tokens (bos_token, eos_token, …)
// overridden by extra keyword arguments, the globals `raise_exception(message)` and
// `strftime_now(format)`, and continue_final_message's cut after the last message.

import { Environment, Interpreter, Template } from "@huggingface/jinja";
import { ChatTemplateError, OptionError } from "../errors.js";
import { applyJinjaCompat, pythonStr, pythonStrip, STR_FUNCTION, STRIP_FUNCTION } from "./jinja-compat.js";
import { checkJson, checkMessages, type ChatMessage, type JsonValue } from "./messages.js";
import { strftime } from "./strftime.js";

export interface RenderOptions {
  /** End with the header that starts the assistant's reply. Default false. */
  addGenerationPrompt?: boolean;
  /** Leave the last message open so the model continues it (not with addGenerationPrompt). Default false. */
  continueFinalMessage?: boolean;
  /** Tool descriptions (JSON schemas) for templates that support tools. */
  tools?: readonly JsonValue[];
  /** Documents ({ title, text }) for templates that support retrieval. */
  documents?: readonly JsonValue[];
  /** Further template variables (transformers' extra keyword arguments), e.g. { enable_thinking: false }. */
  variables?: Readonly<Record<string, JsonValue>>;
  /** The time strftime_now formats (local time). Default: now. */
  now?: Date;
}

const RENDER_OPTIONS = new Set(["addGenerationPrompt", "continueFinalMessage", "tools", "documents", "variables", "now"]);
/** Variables the renderer sets itself; transformers rejects them as duplicate keyword arguments. */
const RESERVED = new Set(["messages", "tools", "documents", "add_generation_prompt"]);
/** transformers marks the end of the continued message with this, then cuts the text there. */
const CONTINUE_TAG = "CONTINUE_FINAL_MESSAGE_TAG ";
/** The most items `range()` may make: a template from a stranger must not exhaust memory. */
const MAX_RANGE = 1_000_000;

/** A compiled chat template with the special tokens it is rendered with. */
export class ChatTemplate {
  private readonly program: Template;

  /**
   * @param source the Jinja text
   * @param origin where it came from, for messages ("model/tokenizer_config.json chat_template")
   * @param specialTokens bos_token, eos_token, … as the tokenizer names them
   */
  constructor(
    readonly source: string,
    readonly origin: string,
    readonly specialTokens: Readonly<Record<string, string>> = {},
  ) {
    try {
      this.program = new Template(source);
    } catch (error) {
      throw new ChatTemplateError(origin, `does not parse as a Jinja template: ${(error as Error).message}`);
    }
    applyJinjaCompat(this.program);
  }

  /** The text of `messages` as the model expects it. */
  render(messages: readonly ChatMessage[], options: RenderOptions = {}): string {
    for (const key of Object.keys(options)) {
      if (!RENDER_OPTIONS.has(key)) throw new OptionError(key, `unknown chat template option (known: ${[...RENDER_OPTIONS].join(", ")})`);
    }
    const chat = checkMessages(messages, "messages");
    if (chat.length === 0) throw new OptionError("messages", "the conversation is empty: give at least one message");
    const addGenerationPrompt = options.addGenerationPrompt ?? false;
    const continueFinal = options.continueFinalMessage ?? false;
    if (addGenerationPrompt && continueFinal) {
      throw new OptionError("continueFinalMessage", "cannot be combined with addGenerationPrompt (one opens a new reply, the other continues the last message)");
    }
    const variables = options.variables ?? {};
    for (const [key, value] of Object.entries(variables)) {
      if (RESERVED.has(key)) throw new OptionError(`variables.${key}`, "is set by the renderer; use the option of that name");
      checkJson(value, `variables.${key}`);
    }
    const finalText = continueFinal ? markFinalMessage(chat, this.source) : "";
    const now = options.now ?? new Date();
    const context: Record<string, unknown> = {
      ...JINJA_CONSTANTS,
      range: (...args: unknown[]) => pythonRange(args, this.origin),
      raise_exception: (message: unknown) => {
        throw new ChatTemplateError(this.origin, `refused the conversation: ${String(message)}`, true);
      },
      strftime_now: (format: unknown) => strftime(now, String(format)),
      [STR_FUNCTION]: pythonStr,
      [STRIP_FUNCTION]: (method: unknown, text: unknown, chars: unknown) => pythonStrip(method, text, chars, this.origin),
      ...this.specialTokens,
      ...variables,
      messages: chat,
      tools: options.tools === undefined ? null : checkJson(options.tools, "tools"),
      documents: options.documents === undefined ? null : checkJson(options.documents, "documents"),
      add_generation_prompt: addGenerationPrompt,
    };
    let text: string;
    try {
      const globals = new Environment();
      for (const [name, value] of Object.entries(context)) globals.set(name, value);
      text = String(new Interpreter(globals).run(this.program.parsed).value);
    } catch (error) {
      if (error instanceof ChatTemplateError) throw error;
      throw new ChatTemplateError(this.origin, `failed to render: ${(error as Error).message}`);
    }
    return continueFinal ? cutAfterFinalMessage(text, finalText, this.origin) : text;
  }
}

/** Jinja's constants, in both spellings. */
const JINJA_CONSTANTS = { true: true, false: false, none: null, True: true, False: false, None: null };

/** Python's range(stop) / range(start, stop[, step]) as a list, refused past MAX_RANGE items. */
function pythonRange(args: unknown[], origin: string): number[] {
  if (args.length < 1 || args.length > 3 || !args.every((a) => Number.isInteger(a))) {
    throw new ChatTemplateError(origin, `range() takes 1 to 3 integers, got (${args.map(String).join(", ")})`);
  }
  const [start, stop, step] = args.length === 1 ? [0, args[0] as number, 1] : [args[0] as number, args[1] as number, (args[2] as number | undefined) ?? 1];
  if (step === 0) throw new ChatTemplateError(origin, "range() step must not be zero");
  const count = Math.max(0, Math.ceil((stop - start) / step));
  if (count > MAX_RANGE) throw new ChatTemplateError(origin, `range() of ${count} items exceeds the limit of ${MAX_RANGE}`);
  return Array.from({ length: count }, (_, i) => start + i * step);
}

/** Appends transformers' tag to the last message's text (in place, on the renderer's copy); returns that text. */
function markFinalMessage(chat: ChatMessage[], source: string): string {
  const last = chat[chat.length - 1]! as { content: JsonValue };
  if (!source.includes("content")) throw new OptionError("continueFinalMessage", `the template never reads a message's "content"`);
  if (typeof last.content === "string") {
    const text = last.content;
    last.content = text + CONTINUE_TAG;
    return text;
  }
  if (Array.isArray(last.content)) {
    const parts = last.content as { [key: string]: JsonValue }[];
    for (let i = parts.length - 1; i >= 0; i--) {
      const part = parts[i]!;
      if (part !== null && typeof part === "object" && typeof part["text"] === "string") {
        const text = part["text"];
        parts[i] = { ...part, text: text + CONTINUE_TAG };
        return text;
      }
    }
  }
  throw new OptionError("continueFinalMessage", "the last message has no text to continue");
}

/** The rendered text up to the end of the continued message, as transformers cuts it. */
function cutAfterFinalMessage(text: string, finalText: string, origin: string): string {
  const tag = CONTINUE_TAG.trim();
  if (!text.includes(finalText.trim()) || !text.includes(tag)) {
    throw new ChatTemplateError(origin, "continueFinalMessage: the template dropped part of the last message, so it cannot be continued");
  }
  const at = text.lastIndexOf(tag);
  return text.startsWith(CONTINUE_TAG, at) ? text.slice(0, at) : text.slice(0, at).trimEnd();
}
