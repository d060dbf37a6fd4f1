// The tokenizer_config.json of a model folder as Hugging Face transformers (v5)
// assembles it when it loads a tokenizer: the file's fields; special_tokens_map.json's
// over them when the config has no added_tokens_decoder (the legacy layout); and the
// chat templates stored beside it, which replace the config's `chat_template`:
// chat_template.jinja (the default) and additional_chat_templates/<name>.jinja (named),
// stored as a string or a list of { name, template } as tokenizer_config.json holds them.

import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { ModelFormatError } from "../errors.js";
import type { JsonObject } from "../models/config-reader.js";
import { readWholeFile } from "./file-bytes.js";
import { readJsonObject } from "./json-file.js";

/** Longest chat template file read (real ones are a few KiB). */
const MAX_TEMPLATE_BYTES = 1024 * 1024;

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

async function readTemplate(path: string): Promise<string> {
  const bytes = await readWholeFile(path, MAX_TEMPLATE_BYTES);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ModelFormatError(path, "is not valid UTF-8 text");
  }
}

/** The chat template files of `dir`: "default" from chat_template.jinja, the others by name. */
async function templateFiles(dir: string): Promise<Map<string, string>> {
  const templates = new Map<string, string>();
  if (await isFile(join(dir, "chat_template.jinja"))) templates.set("default", await readTemplate(join(dir, "chat_template.jinja")));
  const extra = join(dir, "additional_chat_templates");
  const names = await readdir(extra).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.endsWith(".jinja")).sort()) {
    templates.set(name.slice(0, -".jinja".length), await readTemplate(join(extra, name)));
  }
  return templates;
}

/** The tokenizer config of the folder `dir`, or null when it has neither tokenizer_config.json nor a template file. */
export async function readTokenizerConfig(dir: string): Promise<JsonObject | null> {
  const configPath = join(dir, "tokenizer_config.json");
  const mapPath = join(dir, "special_tokens_map.json");
  let config: Record<string, unknown> | null = (await isFile(configPath)) ? { ...(await readJsonObject(configPath)) } : null;
  if (config !== null && config["added_tokens_decoder"] === undefined && (await isFile(mapPath))) {
    config = { ...config, ...(await readJsonObject(mapPath)) };
  }
  const templates = await templateFiles(dir);
  if (templates.size === 0) return config as JsonObject | null;
  const chatTemplate =
    templates.size === 1 && templates.has("default")
      ? templates.get("default")!
      : [...templates].map(([name, template]) => ({ name, template }));
  return { ...config, chat_template: chatTemplate } as JsonObject;
}
