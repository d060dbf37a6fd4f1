// What BERT, RoBERTa and DistilBERT configs share: the class in `architectures[0]`
// chooses the task heads (BertForMaskedLM → the MLM head, …), id2label names the
// classes, and the sizes are read under each family's own field names.

import { ConfigError } from "../../errors.js";
import type { Activation } from "../../nn/mlp.js";
import { ConfigReader, type JsonObject } from "../config-reader.js";
import type { EncoderConfig, EncoderHead, PositionIds } from "../encoder.js";
import { ACTIVATIONS } from "../decoder/layers.js";

/** The heads each class builds: pooler, MLM, NSP, classifier. */
export const HEAD_PARTS: Record<EncoderHead, { pooler: "yes" | "no" | "optional"; maskedLm: boolean; nextSentence: boolean; classifier: boolean }> = {
  base: { pooler: "optional", maskedLm: false, nextSentence: false, classifier: false },
  pretraining: { pooler: "yes", maskedLm: true, nextSentence: true, classifier: false },
  "masked-lm": { pooler: "no", maskedLm: true, nextSentence: false, classifier: false },
  "next-sentence": { pooler: "yes", maskedLm: false, nextSentence: true, classifier: false },
  "sequence-classification": { pooler: "yes", maskedLm: false, nextSentence: false, classifier: true },
  "token-classification": { pooler: "no", maskedLm: false, nextSentence: false, classifier: true },
};

const CLASS_SUFFIXES: Record<string, EncoderHead> = {
  Model: "base",
  ForPreTraining: "pretraining",
  ForMaskedLM: "masked-lm",
  ForNextSentencePrediction: "next-sentence",
  ForSequenceClassification: "sequence-classification",
  ForTokenClassification: "token-classification",
};

/** How one family spells its config fields and which heads it has. */
export interface EncoderFamilyFields {
  /** The class-name prefix: "Bert", "Roberta", "DistilBert". */
  readonly classPrefix: string;
  readonly heads: readonly EncoderHead[];
  readonly hiddenSize: string;
  readonly numHeads: string;
  readonly numLayers: string;
  readonly intermediateSize: string;
  readonly activation: string;
  /** The field of the LayerNorm epsilon, or a fixed value (DistilBERT's 1e-12 is not in its config). */
  readonly layerNormEps: string | number;
  /** false: no token-type embedding (DistilBERT). */
  readonly tokenTypes: boolean;
  readonly positionIds: PositionIds;
  readonly defaultPadTokenId: number;
}

export function parseEncoderConfig(json: JsonObject, source: string, fields: EncoderFamilyFields): EncoderConfig {
  const c = new ConfigReader(json, source);
  const modelType = c.string("model_type");
  const architectures = json["architectures"];
  let architecture = `${fields.classPrefix}Model`;
  if (architectures !== undefined && architectures !== null) {
    if (!Array.isArray(architectures) || typeof architectures[0] !== "string") {
      throw new ConfigError(source, `"architectures" must be a list of class names, got ${JSON.stringify(architectures)}`);
    }
    architecture = architectures[0];
  }
  const suffix = architecture.startsWith(fields.classPrefix) ? architecture.slice(fields.classPrefix.length) : "";
  const head = CLASS_SUFFIXES[suffix];
  if (head === undefined || !fields.heads.includes(head)) {
    const known = Object.entries(CLASS_SUFFIXES).filter(([, h]) => fields.heads.includes(h)).map(([s]) => `${fields.classPrefix}${s}`);
    throw new ConfigError(source, `architecture "${architecture}" is not supported (supported: ${known.join(", ")})`);
  }
  const hiddenSize = c.positiveInt(fields.hiddenSize);
  const numHeads = c.positiveInt(fields.numHeads);
  c.requireDivisible(fields.hiddenSize, hiddenSize, fields.numHeads, numHeads);
  const activationName = c.string(fields.activation, "gelu");
  const activation: Activation | undefined = ACTIVATIONS[activationName];
  if (activation === undefined || activation === "silu") {
    throw new ConfigError(source, `"${fields.activation}" "${activationName}" is not supported (known: gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu)`);
  }
  const positionType = c.string("position_embedding_type", "absolute");
  if (positionType !== "absolute") {
    throw new ConfigError(source, `"position_embedding_type" "${positionType}" is not supported (only "absolute")`);
  }
  if (c.boolean("sinusoidal_pos_embds", false)) throw new ConfigError(source, `"sinusoidal_pos_embds": true is not supported`);
  if (c.boolean("is_decoder", false)) throw new ConfigError(source, `"is_decoder": true (an encoder used as a decoder) is not supported`);
  const padTokenId = c.json["pad_token_id"] ?? fields.defaultPadTokenId;
  if (typeof padTokenId !== "number" || !Number.isSafeInteger(padTokenId) || padTokenId < 0) {
    throw new ConfigError(source, `"pad_token_id" must be a token id, got ${JSON.stringify(padTokenId)}`);
  }
  const maxPositions = c.positiveInt("max_position_embeddings");
  if (fields.positionIds === "after-padding" && maxPositions <= padTokenId + 1) {
    throw new ConfigError(source, `"max_position_embeddings" (${maxPositions}) leaves no position after the padding id ${padTokenId}`);
  }
  return {
    modelType,
    architecture,
    head,
    vocabSize: c.positiveInt("vocab_size"),
    hiddenSize,
    numLayers: c.positiveInt(fields.numLayers),
    numHeads,
    headDim: hiddenSize / numHeads,
    intermediateSize: c.positiveInt(fields.intermediateSize),
    maxPositions,
    positionIds: fields.positionIds,
    typeVocabSize: fields.tokenTypes ? c.positiveInt("type_vocab_size", 2) : 0,
    layerNormEps: typeof fields.layerNormEps === "number" ? fields.layerNormEps : c.positiveNumber(fields.layerNormEps, 1e-12),
    activation,
    padTokenId,
    tieWordEmbeddings: c.boolean("tie_word_embeddings", true),
    labels: HEAD_PARTS[head].classifier ? parseLabels(c) : [],
    problemType: c.has("problem_type") ? c.string("problem_type") : null,
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
