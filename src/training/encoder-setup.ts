// Getting an encoder ready to train for a task, and saving it afterwards:
//  - from a Hugging Face folder: its weights with the task's head, as HF's
//    `BertForTokenClassification.from_pretrained(pretrained_dir, num_labels=…)`
//    does it: the encoder is kept, heads the task does not use are dropped, and
//    heads it needs but the folder lacks (or holds for other labels) start from
//    seeded initial weights;
//  - from config.json fields: a new, randomly initialised model (createModel)
//    sized to the tokenizer's vocabulary;
//  - saved with `id2label` / `label2id` in config.json and the tokenizer's files
//    beside the weights, so `loadModel`, `lmscope classify` and `lmscope ner` load it.

import { copyFile, readdir, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { jsBackend } from "../backend/js/index.js";
import { EncoderModel } from "../encoder-model.js";
import { ConfigError, ModelFormatError } from "../errors.js";
import { readJsonObject } from "../io/json-file.js";
import { asTextTokenizer, encoderBlueprintFor } from "../io/load-encoder.js";
import { readSafetensorsDir } from "../io/safetensors-index.js";
import { createModel } from "../language-model.js";
import type { JsonObject } from "../models/config-reader.js";
import { gpt2StyleInitializer } from "../models/initialize.js";
import { loadTokenizer } from "../tokenizers/load.js";
import type { TextTokenizer } from "../tokenizers/tokenizer.js";
import { labelMaps } from "./encoder-tasks.js";

export type EncoderArchitecture = "BertForSequenceClassification" | "BertForTokenClassification" | "BertForPreTraining";

/** A small BERT for training from scratch; config fields given by the user override these. */
export const DEFAULT_ENCODER_CONFIG: Readonly<JsonObject> = {
  model_type: "bert",
  hidden_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 128,
  max_position_embeddings: 128,
  type_vocab_size: 2,
  layer_norm_eps: 1e-12,
  hidden_act: "gelu",
  hidden_dropout_prob: 0.1,
  pad_token_id: 0,
};

export interface TaskHead {
  architecture: EncoderArchitecture;
  /** The labels of a classification head (id order). */
  labels?: readonly string[];
}

const TOKENIZER_FILES = ["tokenizer.json", "vocab.txt", "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json"];

/** A tokenizer file or folder, as an encoder uses it. */
export async function loadEncoderTokenizer(path: string): Promise<TextTokenizer> {
  return asTextTokenizer(await loadTokenizer(path), path);
}

/** config.json fields for `head`: architectures, id2label / label2id (num_labels dropped: it follows id2label). */
function configForHead(config: JsonObject, head: TaskHead): JsonObject {
  const { num_labels: _numLabels, ...rest } = config;
  return head.labels === undefined ? { ...config, architectures: [head.architecture] } : { ...rest, architectures: [head.architecture], ...labelMaps(head.labels) };
}

/** A new encoder with seeded initial weights, its vocab_size and pad_token_id taken from the tokenizer. */
export async function createEncoderForTask(config: JsonObject, head: TaskHead, tokenizer: TextTokenizer, seed = 0): Promise<EncoderModel> {
  const given = { ...DEFAULT_ENCODER_CONFIG, ...config };
  const vocabSize = typeof given["vocab_size"] === "number" && given["vocab_size"] >= tokenizer.vocabSize ? given["vocab_size"] : tokenizer.vocabSize;
  const fields = configForHead({ ...given, vocab_size: vocabSize, pad_token_id: tokenizer.padTokenId ?? given["pad_token_id"] ?? 0 }, head);
  return createModel<EncoderModel>(fields, { seed, tokenizer });
}

/**
 * The encoder of a Hugging Face folder with `head` on top. When the folder's
 * model already has this head and every label asked for, its labels (and
 * classifier) are kept; the labels actually used are `model.config.labels`.
 */
export async function loadEncoderForTask(dir: string, head: TaskHead, options: { tokenizer?: string; seed?: number } = {}): Promise<EncoderModel> {
  const configPath = join(dir, "config.json");
  const saved = await readJsonObject(configPath).catch((error: unknown) => {
    if (error instanceof ModelFormatError) throw error;
    throw new ModelFormatError(dir, "has no readable config.json");
  });
  const savedBlueprint = encoderBlueprintFor(saved, configPath);
  const tensors = await readSafetensorsDir(dir);
  let labels = head.labels;
  const sameHead = savedBlueprint.config.architecture === head.architecture;
  if (sameHead && (labels === undefined || labels.every((l) => savedBlueprint.config.labels.includes(l)))) {
    labels = head.labels === undefined ? undefined : savedBlueprint.config.labels;
  } else {
    // Another head or other labels: the classifier starts afresh.
    for (const name of ["classifier.weight", "classifier.bias"]) tensors.delete(name);
  }
  const config = configForHead(saved, { architecture: head.architecture, ...(labels === undefined ? {} : { labels }) });
  const blueprint = encoderBlueprintFor(config, configPath);
  const network = blueprint.build(tensors, dir, jsBackend, gpt2StyleInitializer(options.seed ?? 0, blueprint.config.numLayers));
  const tokenizerPath = options.tokenizer ?? dir;
  let tokenizer: TextTokenizer;
  try {
    tokenizer = await loadEncoderTokenizer(tokenizerPath);
  } catch (error) {
    if (options.tokenizer === undefined && error instanceof ModelFormatError) {
      throw new ModelFormatError(dir, "has no tokenizer (tokenizer.json or vocab.txt); give one with --tokenizer");
    }
    throw error;
  }
  if (tokenizer.vocabSize > blueprint.config.vocabSize) {
    throw new ConfigError(configPath, `vocab_size ${blueprint.config.vocabSize} is smaller than the tokenizer's ${tokenizer.vocabSize} ids (${tokenizer.source})`);
  }
  let fileBytes = 0;
  for (const name of await readdir(dir)) if (name.endsWith(".safetensors")) fileBytes += (await stat(join(dir, name))).size;
  const dtypes = [...new Set([...tensors.values()].map((t) => t.dtype))];
  return new EncoderModel({ network, tokenizer, source: { path: dir, format: "huggingface", dtypes, fileBytes }, config });
}

/**
 * Writes the model (config.json with its labels, model.safetensors) and makes
 * sure the folder holds the tokenizer: the source folder's files are copied by
 * `save`; otherwise the tokenizer file and the configs beside it are copied.
 */
export async function saveEncoder(model: EncoderModel, outDir: string): Promise<void> {
  await model.save(outDir);
  if (!model.hasTokenizer) return;
  const present = await Promise.all(TOKENIZER_FILES.map((f) => fileExists(join(outDir, f))));
  if (present.some((p, i) => p && TOKENIZER_FILES[i] !== "tokenizer_config.json" && TOKENIZER_FILES[i] !== "special_tokens_map.json")) return;
  const source = resolve(model.tokenizer.source);
  const sourceDir = (await stat(source).then((s) => s.isDirectory(), () => false)) ? source : dirname(source);
  const names = sourceDir === source ? TOKENIZER_FILES : [basename(source), "tokenizer_config.json", "special_tokens_map.json", ...(basename(source) === "vocab.json" ? ["merges.txt"] : [])];
  for (const name of names) {
    const from = join(sourceDir, name);
    const to = join(outDir, name === basename(source) && sourceDir !== source ? canonicalTokenizerName(name) : name);
    if (resolve(from) === resolve(to) || !(await fileExists(from))) continue;
    await copyFile(from, to);
  }
}

/** A tokenizer file under the name the loaders look for in a folder. */
function canonicalTokenizerName(name: string): string {
  if (name.endsWith(".txt")) return "vocab.txt";
  if (name === "vocab.json") return name;
  return "tokenizer.json";
}

async function fileExists(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}
