// Finds, validates and loads a decoder model from the files people share:
//  - a Hugging Face folder: config.json + model.safetensors (or sharded) + tokenizer files;
//  - a llama2.c checkpoint: a .bin file, or a folder holding one, with its tokenizer.bin;
//  - a GGUF file (gguf-model.ts), its tokenizer read from the metadata.
// The model_type registry builds the network; the tokenizer comes from the tokenizer layer.

import { readdir, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Backend, RopeLayout } from "../backend/backend.js";
import { jsBackend } from "../backend/js/index.js";
import { ModelFormatError } from "../errors.js";
import type { JsonObject } from "../models/config-reader.js";
import type { DecoderOnlyModel } from "../models/decoder-only.js";
import { blueprintFor } from "../models/registry.js";
import type { Tokenizer } from "../tokenizers/tokenizer.js";
import { loadLlama2cTokenizer, loadTokenizer } from "../tokenizers/index.js";
import { loadGgufDecoder } from "./gguf-model.js";
import { readJsonObject } from "./json-file.js";
import { readLlama2c, type Llama2cConfig } from "./llama2c.js";
import { readSafetensorsDir } from "./safetensors-index.js";
import { readTokenizerConfig } from "./tokenizer-config.js";
import { checkWeightsFit, safetensorsFolderBytes } from "./weight-budget.js";

/** Where a model came from; "created" is a new model made by createModel. */
export type ModelFormat = "huggingface" | "llama2c" | "gguf" | "created";

export interface ModelSource {
  /** The folder or file given. */
  readonly path: string;
  readonly format: ModelFormat;
  /** Storage dtypes of the weights in the files (before widening to f32). */
  readonly dtypes: readonly string[];
  /** Bytes of the weight files. */
  readonly fileBytes: number;
}

export interface LoadedDecoder {
  readonly network: DecoderOnlyModel;
  readonly tokenizer: Tokenizer | null;
  readonly source: ModelSource;
  /** The model's config.json fields (for llama2.c files, the equivalent HF config). */
  readonly config: JsonObject;
  /** Row layout of the q/k projections as loaded (saving writes HF's "half" layout). */
  readonly ropeLayout: RopeLayout;
  /** tokenizer_config.json with its chat templates (tokenizer-config.ts; for GGUF, from the metadata); null when there is none. */
  readonly tokenizerConfig?: JsonObject | null;
}

export interface LoadOptions {
  backend?: Backend;
  /** A tokenizer file or folder to use instead of the one found beside the model. */
  tokenizer?: string;
  /** A PEFT LoRA adapter folder to attach after loading. */
  adapter?: string;
  /** Receives what a load notices but tolerates (unused tensors of the checkpoint); default: console.warn. */
  onWarning?: (message: string) => void;
}

const HF_TOKENIZER_FILES = ["tokenizer.json", "vocab.json", "vocab.txt"];

export async function loadDecoder(path: string, options: LoadOptions = {}): Promise<LoadedDecoder> {
  const backend = options.backend ?? jsBackend;
  const info = await stat(path).catch(() => {
    throw new ModelFormatError(path, "no such file or folder");
  });
  if (info.isDirectory()) {
    if (await exists(join(path, "config.json"))) return loadHuggingFace(path, backend, options.tokenizer);
    return loadLlama2c(await findLlama2cCheckpoint(path), backend, options.tokenizer);
  }
  if (path.endsWith(".gguf")) return loadGgufDecoder(path, options);
  return loadLlama2c(path, backend, options.tokenizer);
}

async function loadHuggingFace(dir: string, backend: Backend, tokenizerPath: string | undefined): Promise<LoadedDecoder> {
  const configPath = join(dir, "config.json");
  const config = await mergeGenerationConfig(dir, await readJsonObject(configPath));
  const blueprint = blueprintFor(config, configPath);
  checkWeightsFit(backend, await safetensorsFolderBytes(dir), dir);
  const tensors = await readSafetensorsDir(dir);
  const network = blueprint.build(tensors, dir, { backend, ropeLayout: "half" });
  let tokenizer: Tokenizer | null = null;
  if (tokenizerPath !== undefined) tokenizer = await loadTokenizer(tokenizerPath);
  else if (await anyExists(dir, HF_TOKENIZER_FILES)) tokenizer = await loadTokenizer(dir);
  const dtypes = new Set<string>();
  let fileBytes = 0;
  for (const t of tensors.values()) dtypes.add(t.dtype);
  for (const name of await readdir(dir)) if (name.endsWith(".safetensors")) fileBytes += (await stat(join(dir, name))).size;
  return {
    network,
    tokenizer,
    source: { path: dir, format: "huggingface", dtypes: [...dtypes], fileBytes },
    config,
    ropeLayout: "half",
    tokenizerConfig: await tokenizerConfigOf(tokenizerPath ?? dir),
  };
}

/** generation_config.json's eos_token_id (often a list) takes precedence over config.json's. */
async function mergeGenerationConfig(dir: string, config: JsonObject): Promise<JsonObject> {
  const path = join(dir, "generation_config.json");
  if (!(await exists(path))) return config;
  const generation = await readJsonObject(path);
  const merged: Record<string, unknown> = { ...config };
  for (const key of ["eos_token_id", "bos_token_id"]) {
    if (generation[key] !== undefined && generation[key] !== null) merged[key] = generation[key];
  }
  return merged;
}

async function loadLlama2c(file: string, backend: Backend, tokenizerPath: string | undefined): Promise<LoadedDecoder> {
  const checkpoint = await readLlama2c(file);
  const config = llama2cAsHfConfig(checkpoint.config);
  const blueprint = blueprintFor(config, file, "llama2c");
  const network = blueprint.build(checkpoint.tensors, file, { backend, ropeLayout: "interleaved" });
  const tokenizerFile = tokenizerPath ?? (await findLlama2cTokenizer(dirname(file), file));
  const tokenizer = tokenizerFile === null ? null : await loadTokenizerFile(tokenizerFile);
  const dtype = checkpoint.config.version === 2 ? "Q8_0 (dequantized)" : "F32";
  return {
    network,
    tokenizer,
    source: { path: file, format: "llama2c", dtypes: [dtype], fileBytes: (await stat(file)).size },
    config,
    ropeLayout: "interleaved",
    tokenizerConfig: tokenizerFile === null ? null : await tokenizerConfigOf(tokenizerFile),
  };
}

/** The tokenizer config of a tokenizer folder, or of the folder a tokenizer file is in. */
export async function tokenizerConfigOf(tokenizerPath: string): Promise<JsonObject | null> {
  const info = await stat(tokenizerPath);
  return readTokenizerConfig(info.isDirectory() ? tokenizerPath : dirname(tokenizerPath));
}

async function loadTokenizerFile(path: string): Promise<Tokenizer> {
  return path.endsWith(".bin") ? loadLlama2cTokenizer(path) : loadTokenizer(path);
}

/** The config.json a llama2.c checkpoint's header describes (llama2.c model.py ModelArgs defaults). */
function llama2cAsHfConfig(c: Llama2cConfig): JsonObject {
  return {
    model_type: "llama",
    hidden_size: c.dim,
    intermediate_size: c.hiddenDim,
    num_hidden_layers: c.nLayers,
    num_attention_heads: c.nHeads,
    num_key_value_heads: c.nKvHeads,
    vocab_size: c.vocabSize,
    max_position_embeddings: c.seqLen,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    tie_word_embeddings: c.sharedClassifier,
    bos_token_id: 1,
    eos_token_id: 2,
  };
}

function isTokenizerName(name: string): boolean {
  return name === "tokenizer.bin" || /^tok.*\.bin$/.test(name);
}

/** In a folder without config.json: the one .bin that is not a tokenizer. */
async function findLlama2cCheckpoint(dir: string): Promise<string> {
  const bins = (await readdir(dir)).filter((n) => n.endsWith(".bin") && !isTokenizerName(n));
  if (bins.length !== 1) {
    throw new ModelFormatError(
      dir,
      bins.length === 0
        ? "holds neither config.json (Hugging Face) nor a llama2.c .bin checkpoint"
        : `holds several llama2.c checkpoints (${bins.join(", ")}); name the file`,
    );
  }
  return join(dir, bins[0]!);
}

/** tokenizer.bin or tok*.bin beside the checkpoint, as llama2.c's run.c expects. */
async function findLlama2cTokenizer(dir: string, checkpoint: string): Promise<string | null> {
  const candidates = (await readdir(dir)).filter((n) => isTokenizerName(n) && n !== basename(checkpoint)).sort();
  if (candidates.includes("tokenizer.bin")) return join(dir, "tokenizer.bin");
  return candidates.length > 0 ? join(dir, candidates[0]!) : null;
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
