// Which chat template a model uses, and the special tokens it is rendered with, as
// Hugging Face transformers decides (tokenization_utils_base.py, v5):
//  - tokenizer_config.json `chat_template` is one template, or a list of named ones
//    ({ name, template }); a name picks one, otherwise "tool_use" when tools are
//    given and the model has it, else "default";
//  - the template sees the named special tokens (bos, eos, unk, sep, pad, cls, mask),
//    every other `*_token` string of the config and the `extra_special_tokens` map;
//    a token stored as { content, … } is its content.
// A model without any template gets an error that says so and how to give one.

import { ChatTemplateError, ModelFormatError, OptionError } from "../errors.js";
import type { JsonObject } from "../models/config-reader.js";
import type { Tokenizer } from "../tokenizers/tokenizer.js";

export interface TemplateChoice {
  /** Name of one of the model's templates ("default", "tool_use", …). */
  templateName?: string;
  /** Tools will be given to the template (prefers the "tool_use" template). */
  withTools?: boolean;
}

export interface ChosenTemplate {
  readonly source: string;
  /** Where it came from, for messages. */
  readonly origin: string;
}

const NAMED_SPECIAL_TOKENS = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"];

/** How to give a model a template, for error messages. */
const HOW_TO_GIVE_A_TEMPLATE =
  "give one with --chat-template FILE (the API's `template` option), or put chat_template.jinja or a " +
  "`chat_template` field in tokenizer_config.json beside the model";

/** The templates of a tokenizer config by name ("default" for a single one); empty when it has none. */
export function configTemplates(config: JsonObject | null, origin: string): Map<string, string> {
  const templates = new Map<string, string>();
  const value = config?.["chat_template"];
  if (value === undefined || value === null) return templates;
  if (typeof value === "string") return templates.set("default", value);
  if (!Array.isArray(value)) throw new ModelFormatError(origin, "chat_template: expected a string or a list of { name, template }");
  value.forEach((entry: unknown, i) => {
    const { name, template } = (entry ?? {}) as { name?: unknown; template?: unknown };
    if (typeof name !== "string" || typeof template !== "string") {
      throw new ModelFormatError(origin, `chat_template[${i}]: expected { "name": string, "template": string }`);
    }
    templates.set(name, template);
  });
  return templates;
}

/** The template transformers' get_chat_template would pick from `templates`. */
export function chooseTemplate(templates: ReadonlyMap<string, string>, choice: TemplateChoice, origin: string): ChosenTemplate {
  const names = [...templates.keys()].sort().join(", ");
  const pick = (name: string): ChosenTemplate => ({ source: templates.get(name)!, origin: `${origin} chat template "${name}"` });
  if (choice.templateName !== undefined) {
    if (!templates.has(choice.templateName)) {
      throw new OptionError("templateName", `${origin} has no chat template "${choice.templateName}" (it has: ${names === "" ? "none" : names})`);
    }
    return pick(choice.templateName);
  }
  if (templates.size === 0) throw new ChatTemplateError(origin, `has no chat template; ${HOW_TO_GIVE_A_TEMPLATE}`);
  if (choice.withTools === true && templates.has("tool_use")) return pick("tool_use");
  if (templates.has("default")) return pick("default");
  throw new ChatTemplateError(origin, `has several chat templates and none is "default"; name one (templateName) of: ${names}`);
}

function tokenText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (value !== null && typeof value === "object" && typeof (value as { content?: unknown }).content === "string") {
    return (value as { content: string }).content;
  }
  return undefined;
}

/**
 * The special tokens a template is rendered with: from the tokenizer config when there is
 * one, otherwise the tokenizer's BOS and EOS (the text of their ids).
 */
export function templateSpecialTokens(config: JsonObject | null, tokenizer: Tokenizer | null): Record<string, string> {
  const tokens: Record<string, string> = {};
  if (config === null) {
    for (const [name, id] of [["bos_token", tokenizer?.bosTokenId], ["eos_token", tokenizer?.eosTokenId]] as const) {
      const text = id === undefined ? undefined : tokenizer?.idToToken(id)?.trim();
      if (text !== undefined && text !== "") tokens[name] = text;
    }
    return tokens;
  }
  for (const name of NAMED_SPECIAL_TOKENS) {
    const text = tokenText(config[name]);
    if (text !== undefined) tokens[name] = text;
  }
  for (const [name, value] of Object.entries(config)) {
    if (name.endsWith("_token") && !(name in tokens) && typeof value === "string") tokens[name] = value;
  }
  const extra = config["extra_special_tokens"];
  if (extra !== null && typeof extra === "object" && !Array.isArray(extra)) {
    for (const [name, value] of Object.entries(extra)) {
      const text = tokenText(value);
      if (text !== undefined) tokens[name] = text;
    }
  }
  return tokens;
}
