// BERT (Devlin et al. 2019) from Hugging Face checkpoints: word + position +
// token-type embeddings, LayerNorm, post-norm blocks with bidirectional
// attention, exact-erf GELU, and the heads of BertModel (pooler),
// BertForPreTraining, BertForMaskedLM, BertForNextSentencePrediction,
// BertForSequenceClassification and BertForTokenClassification, chosen by
// config.json's architectures[0]. Follows HF modeling_bert.py.
//
// Checkpoint quirks handled by `sanitizeBert`:
//  - files saved from BertModel name tensors without the "bert." prefix;
//  - TF-converted files name LayerNorm parameters gamma/beta;
//  - older files carry the buffers bert.embeddings.position_ids / token_type_ids;
//  - the MLM decoder is tied to the word embeddings and absent from modern files,
//    but older ones store cls.predictions.decoder.weight and .bias explicitly;
//  - checkpoints often carry heads the chosen class does not use (bert-base-uncased
//    is BertForMaskedLM with the pooler and NSP head in the file): HF drops them
//    with a warning, and so do we; any other unknown tensor is an error.

import type { Backend } from "../backend/backend.js";
import { ConfigError } from "../errors.js";
import { SelfAttention } from "../nn/attention.js";
import { Embedding } from "../nn/embedding.js";
import { Linear } from "../nn/linear.js";
import { Mlp, type Activation } from "../nn/mlp.js";
import { LayerNorm } from "../nn/norm.js";
import { PostNormBlock } from "../nn/post-norm-block.js";
import type { NamedTensors, Tensor } from "../tensor/tensor.js";
import { f32Matrix } from "../tensor/weights.js";
import { ConfigReader, type JsonObject } from "./config-reader.js";
import { EncoderNetwork, type EncoderConfig, type EncoderHead, type MaskedLmHead } from "./encoder.js";
import { WeightStore, type Initializer } from "./weight-store.js";

const ARCHITECTURES: Record<string, EncoderHead> = {
  BertModel: "base",
  BertForPreTraining: "pretraining",
  BertForMaskedLM: "masked-lm",
  BertForNextSentencePrediction: "next-sentence",
  BertForSequenceClassification: "sequence-classification",
  BertForTokenClassification: "token-classification",
};

const ACTIVATIONS: Record<string, Activation> = {
  gelu: "gelu_erf",
  gelu_new: "gelu_tanh",
  gelu_pytorch_tanh: "gelu_tanh",
  gelu_fast: "gelu_tanh",
};

/** The heads each class builds: pooler, MLM, NSP, classifier. */
const HEAD_PARTS: Record<EncoderHead, { pooler: "yes" | "no" | "optional"; maskedLm: boolean; nextSentence: boolean; classifier: boolean }> = {
  base: { pooler: "optional", maskedLm: false, nextSentence: false, classifier: false },
  pretraining: { pooler: "yes", maskedLm: true, nextSentence: true, classifier: false },
  "masked-lm": { pooler: "no", maskedLm: true, nextSentence: false, classifier: false },
  "next-sentence": { pooler: "yes", maskedLm: false, nextSentence: true, classifier: false },
  "sequence-classification": { pooler: "yes", maskedLm: false, nextSentence: false, classifier: true },
  "token-classification": { pooler: "no", maskedLm: false, nextSentence: false, classifier: true },
};

export function parseBertConfig(json: JsonObject, source: string): EncoderConfig {
  const c = new ConfigReader(json, source);
  const modelType = c.string("model_type");
  const architectures = json["architectures"];
  let architecture = "BertModel";
  if (architectures !== undefined && architectures !== null) {
    if (!Array.isArray(architectures) || typeof architectures[0] !== "string") {
      throw new ConfigError(source, `"architectures" must be a list of class names, got ${JSON.stringify(architectures)}`);
    }
    architecture = architectures[0];
  }
  const head = ARCHITECTURES[architecture];
  if (head === undefined) {
    throw new ConfigError(source, `architecture "${architecture}" is not supported (supported: ${Object.keys(ARCHITECTURES).join(", ")})`);
  }
  const hiddenSize = c.positiveInt("hidden_size");
  const numHeads = c.positiveInt("num_attention_heads");
  c.requireDivisible("hidden_size", hiddenSize, "num_attention_heads", numHeads);
  const activationName = c.string("hidden_act", "gelu");
  const activation = ACTIVATIONS[activationName];
  if (activation === undefined) {
    throw new ConfigError(source, `"hidden_act" "${activationName}" is not supported (known: ${Object.keys(ACTIVATIONS).join(", ")})`);
  }
  const positionType = c.string("position_embedding_type", "absolute");
  if (positionType !== "absolute") {
    throw new ConfigError(source, `"position_embedding_type" "${positionType}" is not supported (only "absolute")`);
  }
  if (c.boolean("is_decoder", false)) throw new ConfigError(source, `"is_decoder": true (BERT as a decoder) is not supported`);
  const padTokenId = c.json["pad_token_id"] ?? 0;
  if (typeof padTokenId !== "number" || !Number.isSafeInteger(padTokenId) || padTokenId < 0) {
    throw new ConfigError(source, `"pad_token_id" must be a token id, got ${JSON.stringify(padTokenId)}`);
  }
  const problemType = c.has("problem_type") ? c.string("problem_type") : null;
  return {
    modelType,
    architecture,
    head,
    vocabSize: c.positiveInt("vocab_size"),
    hiddenSize,
    numLayers: c.positiveInt("num_hidden_layers"),
    numHeads,
    headDim: hiddenSize / numHeads,
    intermediateSize: c.positiveInt("intermediate_size"),
    maxPositions: c.positiveInt("max_position_embeddings"),
    typeVocabSize: c.positiveInt("type_vocab_size", 2),
    layerNormEps: c.positiveNumber("layer_norm_eps", 1e-12),
    activation,
    padTokenId,
    tieWordEmbeddings: c.boolean("tie_word_embeddings", true),
    labels: HEAD_PARTS[head].classifier ? parseLabels(c) : [],
    problemType,
  };
}

/** id2label as a list in id order; without it, num_labels (default 2) names LABEL_0, LABEL_1, … as HF does. */
function parseLabels(c: ConfigReader): string[] {
  const raw = c.json["id2label"];
  if (raw === undefined || raw === null) {
    const count = c.positiveInt("num_labels", 2);
    return Array.from({ length: count }, (_, i) => `LABEL_${i}`);
  }
  if (typeof raw !== "object" || Array.isArray(raw)) throw new ConfigError(c.source, `"id2label" must be an object {"0": "label", …}`);
  const entries = Object.entries(raw as Record<string, unknown>);
  const labels: string[] = new Array<string>(entries.length);
  for (const [key, label] of entries) {
    const id = Number(key);
    if (!Number.isInteger(id) || id < 0 || id >= entries.length || String(id) !== key || typeof label !== "string") {
      throw new ConfigError(c.source, `"id2label" must map the ids 0..${entries.length - 1} to label strings; got ${JSON.stringify(key)}: ${JSON.stringify(label)}`);
    }
    labels[id] = label;
  }
  if (entries.length === 0) throw new ConfigError(c.source, `"id2label" is empty`);
  if (c.has("num_labels") && c.positiveInt("num_labels") !== entries.length) {
    throw new ConfigError(c.source, `"num_labels" (${String(c.json["num_labels"])}) disagrees with the ${entries.length} entries of "id2label"`);
  }
  return labels;
}

/** Buffers some BERT files carry that are not parameters. */
const BERT_BUFFERS = String.raw`bert\.embeddings\.(position_ids|token_type_ids)`;

/** Canonical HF names: "bert." prefix for files saved from BertModel, LayerNorm weight/bias for gamma/beta. */
export function sanitizeBert(tensors: NamedTensors): NamedTensors {
  const out = new Map<string, Tensor>();
  for (const [name, tensor] of tensors) {
    let canonical = /^(embeddings|encoder|pooler)\./.test(name) ? `bert.${name}` : name;
    canonical = canonical.replace(/\.LayerNorm\.gamma$/, ".LayerNorm.weight").replace(/\.LayerNorm\.beta$/, ".LayerNorm.bias");
    out.set(canonical, tensor);
  }
  return out;
}

export function buildBert(
  config: EncoderConfig,
  tensors: NamedTensors,
  source: string,
  backend: Backend,
  initializer: Initializer | null = null,
): EncoderNetwork {
  const weights = new WeightStore(sanitizeBert(tensors), source, backend, initializer);
  const { hiddenSize: dim, vocabSize, intermediateSize: ffn, numLayers, layerNormEps: eps, head } = config;
  const parts = HEAD_PARTS[head];
  const layerNorm = (prefix: string) => new LayerNorm(weights.take(`${prefix}.weight`, [dim]), weights.take(`${prefix}.bias`, [dim]), eps);
  const linear = (prefix: string, outF: number, inF: number) =>
    new Linear(weights.matrix(`${prefix}.weight`, outF, inF), weights.take(`${prefix}.bias`, [outF]));

  const wordTable = weights.take("bert.embeddings.word_embeddings.weight", [vocabSize, dim]);
  const wordEmbedding = new Embedding(wordTable, vocabSize, dim);
  const positionEmbedding = new Embedding(weights.take("bert.embeddings.position_embeddings.weight", [config.maxPositions, dim]), config.maxPositions, dim);
  const tokenTypeEmbedding = new Embedding(weights.take("bert.embeddings.token_type_embeddings.weight", [config.typeVocabSize, dim]), config.typeVocabSize, dim);
  const embeddingNorm = layerNorm("bert.embeddings.LayerNorm");

  const blocks: PostNormBlock[] = [];
  for (let l = 0; l < numLayers; l++) {
    const p = `bert.encoder.layer.${l}`;
    const attention = new SelfAttention({
      heads: { nHeads: config.numHeads, nKvHeads: config.numHeads, headDim: config.headDim },
      projection: {
        kind: "separate",
        query: linear(`${p}.attention.self.query`, dim, dim),
        key: linear(`${p}.attention.self.key`, dim, dim),
        value: linear(`${p}.attention.self.value`, dim, dim),
      },
      output: linear(`${p}.attention.output.dense`, dim, dim),
      rotary: null,
      causal: false,
      scale: 1 / Math.sqrt(config.headDim),
    });
    const mlp = new Mlp(linear(`${p}.intermediate.dense`, ffn, dim), linear(`${p}.output.dense`, dim, ffn), config.activation);
    blocks.push(new PostNormBlock(l, attention, layerNorm(`${p}.attention.output.LayerNorm`), mlp, layerNorm(`${p}.output.LayerNorm`)));
  }

  const hasPooler = weights.has("bert.pooler.dense.weight");
  const pooler = parts.pooler === "yes" || (parts.pooler === "optional" && hasPooler) ? linear("bert.pooler.dense", dim, dim) : null;

  let maskedLm: MaskedLmHead | null = null;
  if (parts.maskedLm) {
    // The decoder is tied to the word embeddings; an explicit copy (older files) takes precedence.
    const decoderWeight =
      weights.has("cls.predictions.decoder.weight") || !config.tieWordEmbeddings
        ? weights.matrix("cls.predictions.decoder.weight", vocabSize, dim)
        : f32Matrix(wordTable, vocabSize, dim); // tied: the word table itself, one copy
    const bias = weights.has("cls.predictions.bias") ? "cls.predictions.bias" : "cls.predictions.decoder.bias";
    const decoderBias = weights.take(bias, [vocabSize]);
    if (bias === "cls.predictions.bias" && weights.has("cls.predictions.decoder.bias")) weights.raw("cls.predictions.decoder.bias", [vocabSize]);
    maskedLm = {
      transform: linear("cls.predictions.transform.dense", dim, dim),
      activation: config.activation,
      norm: layerNorm("cls.predictions.transform.LayerNorm"),
      decoder: new Linear(decoderWeight, decoderBias),
    };
  }
  const nextSentence = parts.nextSentence ? linear("cls.seq_relationship", 2, dim) : null;
  const classifier = parts.classifier ? linear("classifier", config.labels.length, dim) : null;

  // Heads the checkpoint holds but this class does not use, as HF's from_pretrained drops them.
  const ignorable = [BERT_BUFFERS];
  if (pooler === null) ignorable.push(String.raw`bert\.pooler\.dense\.(weight|bias)`);
  if (!parts.maskedLm) ignorable.push(String.raw`cls\.predictions\..+`);
  if (!parts.nextSentence) ignorable.push(String.raw`cls\.seq_relationship\.(weight|bias)`);
  weights.assertAllUsed(new RegExp(`^(${ignorable.join("|")})$`));
  return new EncoderNetwork(config, { wordEmbedding, positionEmbedding, tokenTypeEmbedding, embeddingNorm, blocks, pooler, maskedLm, nextSentence, classifier }, backend, weights.parameterCount, weights.parameters);
}
