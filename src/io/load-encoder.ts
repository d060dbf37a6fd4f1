// Loads a BERT-style encoder from a Hugging Face folder: config.json (validated
// before any weights are read), model.safetensors (single or sharded) and, when
// present, the tokenizer files beside it (tokenizer.json or vocab.txt).

import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Backend } from "../backend/backend.js";
import { jsBackend } from "../backend/js/index.js";
import { ModelFormatError } from "../errors.js";
import type { JsonObject } from "../models/config-reader.js";
import type { EncoderNetwork } from "../models/encoder.js";
import { ENCODER_MODEL_TYPES, encoderBlueprintFor } from "../models/encoder/registry.js";
import { loadTokenizer } from "../tokenizers/index.js";
import type { TextTokenizer } from "../tokenizers/tokenizer.js";
import { readJsonObject } from "./json-file.js";
import type { ModelSource } from "./load-decoder.js";
import { readSafetensorsDir } from "./safetensors-index.js";
import { checkWeightsFit, safetensorsFolderBytes } from "./weight-budget.js";

export { ENCODER_MODEL_TYPES, encoderBlueprintFor, type EncoderBlueprint } from "../models/encoder/registry.js";

export interface LoadedEncoder {
  readonly network: EncoderNetwork;
  readonly tokenizer: TextTokenizer | null;
  readonly source: ModelSource;
  /** The model's config.json fields. */
  readonly config: JsonObject;
}

export interface EncoderLoadOptions {
  backend?: Backend;
  /** A tokenizer file or folder to use instead of the one found beside the model. */
  tokenizer?: string;
}

const TOKENIZER_FILES = ["tokenizer.json", "vocab.txt"];

/**
 * Whether `path` is a Hugging Face folder whose config.json names an encoder
 * model_type (what `loadModel` checks to hand the folder to loadEncoder).
 */
export async function isEncoderFolder(path: string): Promise<boolean> {
  const configPath = join(path, "config.json");
  if (!(await exists(configPath))) return false;
  return isEncoderModelType((await readJsonObject(configPath))["model_type"]);
}

/** Whether a config.json model_type names an encoder family. */
export function isEncoderModelType(modelType: unknown): boolean {
  return typeof modelType === "string" && ENCODER_MODEL_TYPES.includes(modelType);
}

export async function loadEncoder(dir: string, options: EncoderLoadOptions = {}): Promise<LoadedEncoder> {
  const backend = options.backend ?? jsBackend;
  const info = await stat(dir).catch(() => {
    throw new ModelFormatError(dir, "no such file or folder");
  });
  if (!info.isDirectory()) throw new ModelFormatError(dir, "an encoder is loaded from a Hugging Face folder (config.json + model.safetensors)");
  const configPath = join(dir, "config.json");
  if (!(await exists(configPath))) throw new ModelFormatError(dir, "has no config.json");
  const config = await readJsonObject(configPath);
  const blueprint = encoderBlueprintFor(config, configPath);
  checkWeightsFit(backend, await safetensorsFolderBytes(dir), dir);
  const tensors = await readSafetensorsDir(dir);
  const network = blueprint.build(tensors, dir, backend);
  let tokenizer: TextTokenizer | null = null;
  if (options.tokenizer !== undefined) tokenizer = asTextTokenizer(await loadTokenizer(options.tokenizer), options.tokenizer);
  else if (await anyExists(dir, TOKENIZER_FILES)) tokenizer = asTextTokenizer(await loadTokenizer(dir), dir);
  if (tokenizer !== null && tokenizer.vocabSize > network.config.vocabSize) {
    throw new ModelFormatError(tokenizer.source, `the tokenizer has ${tokenizer.vocabSize} ids but the model's vocab_size is ${network.config.vocabSize}`);
  }
  const dtypes = new Set<string>();
  for (const t of tensors.values()) dtypes.add(t.dtype);
  let fileBytes = 0;
  for (const name of await readdir(dir)) if (name.endsWith(".safetensors")) fileBytes += (await stat(join(dir, name))).size;
  return { network, tokenizer, source: { path: dir, format: "huggingface", dtypes: [...dtypes], fileBytes }, config };
}

/** The tokenizer as an encoder needs it (pairs, batches with padding), or an error naming `path`. */
export function asTextTokenizer(tokenizer: unknown, path: string): TextTokenizer {
  const t = tokenizer as Partial<TextTokenizer>;
  if (typeof t.encodeBatch !== "function" || typeof t.isSpecialToken !== "function") {
    throw new ModelFormatError(path, "is not a tokenizer an encoder can use (expected tokenizer.json or a WordPiece vocab.txt)");
  }
  return tokenizer as TextTokenizer;
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
