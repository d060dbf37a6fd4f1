// Tiny random BERTs for the encoder unit tests, built in memory or written to a
// temporary folder with a small WordPiece vocab.txt (no files from ../shared).
// Projections use stds that keep attention far from uniform, as the shared
// fixtures do; the last layer's output LayerNorm bias is large, so sentence
// embeddings share a common component (the anisotropy z-scoring removes).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jsBackend } from "../../../src/backend/js/index.js";
import { EncoderModel } from "../../../src/encoder-model.js";
import { writeSafetensors } from "../../../src/io/safetensors.js";
import { buildBert, parseBertConfig } from "../../../src/models/encoder/bert.js";
import type { JsonObject } from "../../../src/models/config-reader.js";
import type { Tensor } from "../../../src/tensor/tensor.js";
import { randomNormal, seededRandom } from "../../helpers/random.js";

const LETTERS = "abcdefghijklmnopqrstuvwxyz".split("");

/** [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4, whole words, CJK, punctuation, then letters and ##letters. */
const WORDS = [
  "the", "a", "cat", "dog", "sat", "on", "mat", "jose", "visited", "with", "zo", "paris", "is", "capital", "of",
  "france", "john", "lives", "in", "london", "red", "blue", "green", "car", "runs", "fast", "slow", "big", "small",
  "bird", "sings", "tree", "house", "river", "music", "plays", "loud", "quiet", "book", "reads", "old", "new",
  "東", "京", ".", ",", "!", "?", "'",
  "##s", "##ing", "##ed",
];
export const VOCAB: readonly string[] = [
  "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
  ...WORDS,
  ...LETTERS.filter((l) => !WORDS.includes(l)),
  ...LETTERS.map((l) => `##${l}`),
];

export function bertConfig(architecture: string, extra: JsonObject = {}): JsonObject {
  return {
    model_type: "bert",
    architectures: [architecture],
    vocab_size: VOCAB.length,
    hidden_size: 32,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    intermediate_size: 48,
    max_position_embeddings: 40,
    type_vocab_size: 2,
    layer_norm_eps: 1e-12,
    hidden_act: "gelu",
    pad_token_id: 0,
    ...extra,
  };
}

export const NER_LABELS = ["B-PER", "I-PER", "B-LOC", "I-LOC", "O"];
export const SENTIMENT_LABELS = ["negative", "neutral", "positive"];

const id2label = (labels: readonly string[]) => Object.fromEntries(labels.map((l, i) => [String(i), l]));

/** The config of each architecture the tests build. */
export function configFor(architecture: string): JsonObject {
  if (architecture === "BertForTokenClassification") return bertConfig(architecture, { id2label: id2label(NER_LABELS) });
  if (architecture === "BertForSequenceClassification") return bertConfig(architecture, { id2label: id2label(SENTIMENT_LABELS) });
  return bertConfig(architecture);
}

export function randomBertTensors(config: JsonObject, seed = 7, options: { pooler?: boolean } = {}): Map<string, Tensor> {
  const random = seededRandom(seed);
  const t = (shape: number[], std: number, mean = 0): Tensor => ({ data: randomNormal(random, shape.reduce((a, b) => a * b, 1), std, mean), shape });
  const d = config["hidden_size"] as number;
  const ffn = config["intermediate_size"] as number;
  const v = config["vocab_size"] as number;
  const layers = config["num_hidden_layers"] as number;
  const architecture = (config["architectures"] as string[])[0]!;
  const out = new Map<string, Tensor>();
  const linear = (name: string, outF: number, inF: number, std: number) => {
    out.set(`${name}.weight`, t([outF, inF], std));
    out.set(`${name}.bias`, t([outF], 0.05));
  };
  const norm = (name: string, biasStd = 0.1) => {
    out.set(`${name}.weight`, t([d], 0.2, 1));
    out.set(`${name}.bias`, t([d], biasStd));
  };
  out.set("bert.embeddings.word_embeddings.weight", t([v, d], 0.5));
  out.set("bert.embeddings.position_embeddings.weight", t([config["max_position_embeddings"] as number, d], 0.3));
  out.set("bert.embeddings.token_type_embeddings.weight", t([config["type_vocab_size"] as number, d], 0.5));
  norm("bert.embeddings.LayerNorm");
  for (let l = 0; l < layers; l++) {
    const p = `bert.encoder.layer.${l}`;
    linear(`${p}.attention.self.query`, d, d, Math.sqrt(1.5 / d));
    linear(`${p}.attention.self.key`, d, d, Math.sqrt(1.5 / d));
    linear(`${p}.attention.self.value`, d, d, 1 / Math.sqrt(d));
    linear(`${p}.attention.output.dense`, d, d, 0.5 / Math.sqrt(d));
    norm(`${p}.attention.output.LayerNorm`);
    linear(`${p}.intermediate.dense`, ffn, d, 1.5 / Math.sqrt(d));
    linear(`${p}.output.dense`, d, ffn, 0.5 / Math.sqrt(ffn));
    norm(`${p}.output.LayerNorm`, l === layers - 1 ? 1.5 : 0.1);
  }
  const withPooler = options.pooler ?? !["BertForTokenClassification", "BertForMaskedLM"].includes(architecture);
  if (withPooler) linear("bert.pooler.dense", d, d, 1 / Math.sqrt(d));
  if (architecture === "BertForPreTraining" || architecture === "BertForMaskedLM") {
    linear("cls.predictions.transform.dense", d, d, 1.5 / Math.sqrt(d));
    norm("cls.predictions.transform.LayerNorm");
    out.set("cls.predictions.bias", t([v], 0.05));
  }
  if (architecture === "BertForPreTraining" || architecture === "BertForNextSentencePrediction") linear("cls.seq_relationship", 2, d, 0.5);
  if (architecture === "BertForSequenceClassification") linear("classifier", SENTIMENT_LABELS.length, d, 0.5);
  if (architecture === "BertForTokenClassification") linear("classifier", NER_LABELS.length, d, 0.5);
  return out;
}

/** An EncoderModel built in memory (no tokenizer). */
export function randomBert(architecture: string, seed = 7): EncoderModel {
  const config = parseBertConfig(configFor(architecture), "config.json");
  const network = buildBert(config, randomBertTensors(configFor(architecture), seed), "memory", jsBackend);
  const source = { path: "memory", format: "huggingface" as const, dtypes: ["F32"], fileBytes: 0 };
  return new EncoderModel({ network, tokenizer: null, source, config: configFor(architecture) });
}

/** Writes config.json, model.safetensors and vocab.txt of a random BERT to a new temporary folder. */
export async function writeRandomBert(architecture: string, options: { seed?: number; tokenizerConfig?: JsonObject } = {}): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "lmscope-bert-"));
  const config = configFor(architecture);
  await writeFile(join(dir, "config.json"), JSON.stringify(config));
  await writeSafetensors(join(dir, "model.safetensors"), [...randomBertTensors(config, options.seed)].map(([name, t]) => ({ name, shape: t.shape, data: t.data })));
  await writeFile(join(dir, "vocab.txt"), `${VOCAB.join("\n")}\n`);
  if (options.tokenizerConfig !== undefined) await writeFile(join(dir, "tokenizer_config.json"), JSON.stringify(options.tokenizerConfig));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
