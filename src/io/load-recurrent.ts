// Loads a recurrent language model (config.json model_type "rnn") from a folder:
// config.json (validated before any weights are read), model.safetensors under
// torch's parameter names, and a tokenizer — tokenizer.json and the other files
// loadTokenizer reads, or the character vocabulary a PyTorch script keeps as
// vocab.json {"itos": [...]} (id = index), which the caller turns into a
// character tokenizer.

import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Backend } from "../backend/backend.js";
import { jsBackend } from "../backend/js/index.js";
import { ModelFormatError } from "../errors.js";
import type { JsonObject } from "../models/config-reader.js";
import { buildRecurrent, type RecurrentNetwork } from "../models/recurrent/rnn-lm.js";
import { isRecurrentModelType, parseRecurrentConfig } from "../models/recurrent/rnn-config.js";
import { loadTokenizer } from "../tokenizers/index.js";
import type { Tokenizer } from "../tokenizers/tokenizer.js";
import { readJsonObject } from "./json-file.js";
import type { ModelSource } from "./load-decoder.js";
import { readSafetensorsDir } from "./safetensors-index.js";

export interface LoadedRecurrent {
  readonly network: RecurrentNetwork;
  /** The tokenizer of the folder's tokenizer files (or of options.tokenizer), else null. */
  readonly tokenizer: Tokenizer | null;
  /** vocab.json's `itos` character list when the folder has no other tokenizer, else null. */
  readonly characters: string[] | null;
  readonly source: ModelSource;
  /** The model's config.json fields. */
  readonly config: JsonObject;
}

export interface RecurrentLoadOptions {
  backend?: Backend;
  /** A tokenizer file or folder to use instead of the one found beside the model. */
  tokenizer?: string;
}

/** Tokenizer files loadTokenizer reads from a folder (vocab.json only with merges.txt). */
const TOKENIZER_FILES = ["tokenizer.json", "merges.txt", "vocab.txt", "tokenizer.bin"];

/** Whether `path` is a folder whose config.json names a recurrent model (what loadModel checks). */
export async function isRecurrentFolder(path: string): Promise<boolean> {
  const configPath = join(path, "config.json");
  if (!(await exists(configPath))) return false;
  return isRecurrentModelType((await readJsonObject(configPath))["model_type"]);
}

export async function loadRecurrent(dir: string, options: RecurrentLoadOptions = {}): Promise<LoadedRecurrent> {
  const backend = options.backend ?? jsBackend;
  const configPath = join(dir, "config.json");
  const config = await readJsonObject(configPath);
  const parsed = parseRecurrentConfig(config, configPath);
  const tensors = await readSafetensorsDir(dir);
  const network = buildRecurrent(parsed, tensors, dir, backend);
  let tokenizer: Tokenizer | null = null;
  let characters: string[] | null = null;
  if (options.tokenizer !== undefined) tokenizer = await loadTokenizer(options.tokenizer);
  else if (await anyExists(dir, TOKENIZER_FILES)) tokenizer = await loadTokenizer(dir);
  else if (await exists(join(dir, "vocab.json"))) characters = await readCharacterVocabulary(join(dir, "vocab.json"));
  const tokenizerSize = tokenizer?.vocabSize ?? characters?.length ?? 0;
  if (tokenizerSize > parsed.vocabSize) {
    throw new ModelFormatError(options.tokenizer ?? dir, `the tokenizer has ${tokenizerSize} ids but the model's vocab_size is ${parsed.vocabSize}`);
  }
  const dtypes = new Set<string>();
  for (const t of tensors.values()) dtypes.add(t.dtype);
  let fileBytes = 0;
  for (const name of await readdir(dir)) if (name.endsWith(".safetensors")) fileBytes += (await stat(join(dir, name))).size;
  return { network, tokenizer, characters, source: { path: dir, format: "huggingface", dtypes: [...dtypes], fileBytes }, config };
}

/** vocab.json {"itos": [one character per id, …]}: distinct single characters. */
async function readCharacterVocabulary(path: string): Promise<string[]> {
  const itos = (await readJsonObject(path))["itos"];
  if (!Array.isArray(itos)) {
    throw new ModelFormatError(path, `expected {"itos": [characters]} (a character vocabulary), or give the model a tokenizer.json`);
  }
  const seen = new Set<string>();
  itos.forEach((ch: unknown, id) => {
    if (typeof ch !== "string" || Array.from(ch).length !== 1) {
      throw new ModelFormatError(path, `itos[${id}] is ${JSON.stringify(ch)}, not a single character`);
    }
    if (seen.has(ch)) throw new ModelFormatError(path, `itos[${id}] repeats the character ${JSON.stringify(ch)}`);
    seen.add(ch);
  });
  return itos as string[];
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function anyExists(dir: string, names: readonly string[]): Promise<boolean> {
  for (const name of names) if (await exists(join(dir, name))) return true;
  return false;
}
