// What the encoder subcommands (fill-mask, classify, ner, embed, similarity)
// share: the --model / --tokenizer options, loading, and reading texts from a file.

import { readFile } from "node:fs/promises";
import { loadEncoderModel, type EncoderModel } from "../../encoder-model.js";
import { ModelFormatError } from "../../errors.js";
import type { CliIo } from "../command.js";
import { resolveModelOption } from "../model-argument.js";
import { requiredString, stringOption, type OptionSpec, type Parsed } from "../options.js";

export const MODEL_OPTIONS: OptionSpec = { model: { type: "string" }, tokenizer: { type: "string" } };

export const MODEL_USAGE = `  --model <dir>             Hugging Face BERT folder (config.json, model.safetensors, vocab.txt or tokenizer.json), or a hub id (org/name)
  --tokenizer <path>        tokenizer file or folder (default: found beside the model)`;

export async function loadEncoderFromOptions(values: Parsed["values"], io: CliIo): Promise<EncoderModel> {
  await resolveModelOption(values, io);
  const tokenizer = stringOption(values, "tokenizer");
  const model = await loadEncoderModel(requiredString(values, "model"), tokenizer === undefined ? {} : { tokenizer });
  void model.tokenizer; // fails early, with the message saying how to give one
  return model;
}

/** The non-empty lines of a text file, trimmed. */
export async function readLines(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new ModelFormatError(path, "cannot read the file");
  }
  return text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "");
}

export const formatScore = (x: number): string => x.toFixed(4);
