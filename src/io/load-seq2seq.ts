// Loads an encoder–decoder model (T5, BART, Marian, lmscope's "transformer") from a
// Hugging Face folder: config.json (validated before any weights are read),
// generation_config.json when present (else the generation fields of config.json,
// as transformers reads older checkpoints), model.safetensors (single or sharded)
// and the tokenizer files beside it when there are any.

import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Backend } from "../backend/backend.js";
import { jsBackend } from "../backend/js/index.js";
import { ModelFormatError } from "../errors.js";
import { generationDefaultsFromJson, type GenerationDefaults } from "../generation/seq2seq-options.js";
import type { JsonObject } from "../models/config-reader.js";
import type { Seq2SeqNetwork } from "../models/seq2seq/encoder-decoder.js";
import { isSeq2SeqModelType, seq2seqBlueprintFor } from "../models/seq2seq/registry.js";
import { loadTokenizer } from "../tokenizers/index.js";
import type { Tokenizer } from "../tokenizers/tokenizer.js";
import { readJsonObject } from "./json-file.js";
import type { ModelSource } from "./load-decoder.js";
import { readSafetensorsDir } from "./safetensors-index.js";

export interface LoadedSeq2Seq {
  readonly network: Seq2SeqNetwork;
  readonly tokenizer: Tokenizer | null;
  readonly source: ModelSource;
  /** The model's config.json fields. */
  readonly config: JsonObject;
  /** generation_config.json's fields (absent: null). */
  readonly generationConfig: JsonObject | null;
  readonly generationDefaults: GenerationDefaults;
}

export interface Seq2SeqLoadOptions {
  backend?: Backend;
  /** A tokenizer file or folder to use instead of the one found beside the model. */
  tokenizer?: string;
}

const TOKENIZER_FILES = ["tokenizer.json", "vocab.json", "vocab.txt"];

/** Whether `path` is a folder whose config.json names an encoder–decoder model_type. */
export async function isSeq2SeqFolder(path: string): Promise<boolean> {
  const configPath = join(path, "config.json");
  if (!(await exists(configPath))) return false;
  return isSeq2SeqModelType((await readJsonObject(configPath))["model_type"]);
}

/** The generation defaults of a model: generation_config.json, or config.json's generation fields without it. */
export function generationDefaultsOf(config: JsonObject, configPath: string, generationConfig: JsonObject | null, generationPath: string): GenerationDefaults {
  return generationConfig === null ? generationDefaultsFromJson(config, configPath) : generationDefaultsFromJson(generationConfig, generationPath);
}

export async function loadSeq2Seq(dir: string, options: Seq2SeqLoadOptions = {}): Promise<LoadedSeq2Seq> {
  const backend = options.backend ?? jsBackend;
  const info = await stat(dir).catch(() => {
    throw new ModelFormatError(dir, "no such file or folder");
  });
  if (!info.isDirectory()) throw new ModelFormatError(dir, "an encoder–decoder model is loaded from a Hugging Face folder (config.json + model.safetensors)");
  const configPath = join(dir, "config.json");
  if (!(await exists(configPath))) throw new ModelFormatError(dir, "has no config.json");
  const config = await readJsonObject(configPath);
  const blueprint = seq2seqBlueprintFor(config, configPath);
  const generationPath = join(dir, "generation_config.json");
  const generationConfig = (await exists(generationPath)) ? await readJsonObject(generationPath) : null;
  const generationDefaults = generationDefaultsOf(config, configPath, generationConfig, generationPath);
  const tensors = await readSafetensorsDir(dir);
  const network = blueprint.build(tensors, dir, backend);
  let tokenizer: Tokenizer | null = null;
  if (options.tokenizer !== undefined) tokenizer = await loadTokenizer(options.tokenizer);
  else if (await anyExists(dir, TOKENIZER_FILES)) tokenizer = await loadTokenizer(dir);
  if (tokenizer !== null && tokenizer.vocabSize > network.config.sourceVocabSize) {
    throw new ModelFormatError(options.tokenizer ?? dir, `the tokenizer has ${tokenizer.vocabSize} ids but the model's vocabulary has ${network.config.sourceVocabSize}`);
  }
  const dtypes = new Set<string>();
  for (const t of tensors.values()) dtypes.add(t.dtype);
  let fileBytes = 0;
  for (const name of await readdir(dir)) if (name.endsWith(".safetensors")) fileBytes += (await stat(join(dir, name))).size;
  return { network, tokenizer, source: { path: dir, format: "huggingface", dtypes: [...dtypes], fileBytes }, config, generationConfig, generationDefaults };
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
