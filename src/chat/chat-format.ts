// A model's chat format: its template (chat/template.ts) with the special tokens and
// arguments it is rendered with, the tokenizer that turns the rendered text into ids,
// and the end-of-turn tokens that close a reply. The text is tokenized as transformers'
// apply_chat_template(tokenize=True) does: without adding special tokens (the template
// writes BOS itself when the model wants one), special tokens in the text mapping to
// their ids. This is the per-conversation step a chat session and a server share.

import { InputError, OptionError } from "../errors.js";
import type { JsonObject } from "../models/config-reader.js";
import type { TextTokenizer, Tokenizer } from "../tokenizers/tokenizer.js";
import type { ChatMessage, JsonValue } from "./messages.js";
import { ChatTemplate, type RenderOptions } from "./template.js";
import { chooseTemplate, configTemplates, templateSpecialTokens } from "./template-config.js";

export interface ChatFormatOptions {
  /** Jinja text of a chat template to use instead of the model's (--chat-template FILE). */
  template?: string;
  /** Which of the model's named templates to use ("default", "tool_use", …). */
  templateName?: string;
  /** Tool descriptions (JSON schemas) passed to every rendering. */
  tools?: readonly JsonValue[];
  /** Documents passed to every rendering. */
  documents?: readonly JsonValue[];
  /** Extra template variables, e.g. { enable_thinking: false }. */
  templateVariables?: Readonly<Record<string, JsonValue>>;
}

const FORMAT_OPTIONS = new Set(["template", "templateName", "tools", "documents", "templateVariables"]);

/** What a chat format needs to know about a model. */
export interface ChatModelParts {
  readonly tokenizer: Tokenizer;
  /** tokenizer_config.json with its templates, or null. */
  readonly tokenizerConfig: JsonObject | null;
  /** End-of-sequence ids of the model's config (generation_config.json's included). */
  readonly eosTokenIds: readonly number[];
  /** The model's folder or file, for messages. */
  readonly origin: string;
}

/** Special tokens that end a turn in common chat formats (ChatML, Llama 3, Gemma, Phi-3, Granite, …). */
const END_OF_TURN_TOKENS = ["<|im_end|>", "<|eot_id|>", "<|eom_id|>", "<end_of_turn>", "<|end|>", "<|endoftext|>", "<|end_of_text|>", "</s>"];

export interface PromptOptions {
  /** End with the header of a new assistant reply. Default true. */
  addGenerationPrompt?: boolean;
  /** Leave the last (assistant) message open to be continued. Default false. */
  continueFinalMessage?: boolean;
}

export interface ChatPrompt {
  readonly text: string;
  readonly ids: number[];
}

function isSpecial(tokenizer: Tokenizer, id: number): boolean {
  const text = tokenizer as Partial<TextTokenizer>;
  return typeof text.isSpecialToken === "function" ? text.isSpecialToken(id) : false;
}

export class ChatFormat {
  readonly template: ChatTemplate;
  /** Ids that end the assistant's turn: the model's EOS ids and its end-of-turn special tokens. */
  readonly endOfTurnIds: readonly number[];
  private readonly renderDefaults: RenderOptions;

  constructor(
    readonly tokenizer: Tokenizer,
    template: ChatTemplate,
    eosTokenIds: readonly number[],
    options: Pick<ChatFormatOptions, "tools" | "documents" | "templateVariables"> = {},
  ) {
    this.template = template;
    this.renderDefaults = {
      ...(options.tools === undefined ? {} : { tools: options.tools }),
      ...(options.documents === undefined ? {} : { documents: options.documents }),
      variables: options.templateVariables ?? {},
    };
    this.endOfTurnIds = this.findEndOfTurnIds(eosTokenIds);
  }

  /** The format of a model: the template given, or the one its tokenizer config holds. */
  static forModel(parts: ChatModelParts, options: ChatFormatOptions = {}): ChatFormat {
    for (const key of Object.keys(options)) {
      if (!FORMAT_OPTIONS.has(key)) throw new OptionError(key, `unknown chat option (known: system, contextShift, ${[...FORMAT_OPTIONS].join(", ")})`);
    }
    const specialTokens = templateSpecialTokens(parts.tokenizerConfig, parts.tokenizer);
    let template: ChatTemplate;
    if (options.template !== undefined) {
      if (typeof options.template !== "string") throw new InputError("the chat template must be given as its Jinja text");
      template = new ChatTemplate(options.template, "the chat template given", specialTokens);
    } else {
      const origin = `${parts.origin} (tokenizer_config.json)`;
      const chosen = chooseTemplate(configTemplates(parts.tokenizerConfig, origin), {
        ...(options.templateName === undefined ? {} : { templateName: options.templateName }),
        withTools: options.tools !== undefined,
      }, parts.origin);
      template = new ChatTemplate(chosen.source, chosen.origin, specialTokens);
    }
    return new ChatFormat(parts.tokenizer, template, parts.eosTokenIds, options);
  }

  /** The rendered text of `messages` and its ids. */
  prompt(messages: readonly ChatMessage[], options: PromptOptions = {}): ChatPrompt {
    const text = this.template.render(messages, {
      ...this.renderDefaults,
      addGenerationPrompt: options.addGenerationPrompt ?? true,
      continueFinalMessage: options.continueFinalMessage ?? false,
    });
    return { text, ids: this.tokenizer.encode(text, { addSpecialTokens: false }) };
  }

  private findEndOfTurnIds(eosTokenIds: readonly number[]): number[] {
    const ids = new Set<number>(eosTokenIds);
    if (this.tokenizer.eosTokenId !== undefined) ids.add(this.tokenizer.eosTokenId);
    for (const token of END_OF_TURN_TOKENS) {
      const id = this.tokenizer.tokenToId(token);
      if (id !== undefined && isSpecial(this.tokenizer, id)) ids.add(id);
    }
    const probed = this.probeEndOfTurn();
    if (probed !== undefined) ids.add(probed);
    return [...ids].sort((a, b) => a - b);
  }

  /** The special token the template writes right after an assistant message's text, if any. */
  private probeEndOfTurn(): number | undefined {
    const reply = "lmscope-probe-reply";
    let text: string;
    try {
      text = this.template.render(
        [
          { role: "user", content: "lmscope-probe-question" },
          { role: "assistant", content: reply },
        ],
        { ...this.renderDefaults, addGenerationPrompt: false },
      );
    } catch {
      return undefined; // a template that refuses the probe conversation still works for real ones
    }
    const at = text.lastIndexOf(reply);
    if (at === -1) return undefined;
    const after = this.tokenizer.encode(text.slice(at + reply.length), { addSpecialTokens: false });
    const first = after[0];
    return first !== undefined && isSpecial(this.tokenizer, first) ? first : undefined;
  }
}
