// The text-classification pipeline (HF TextClassificationPipeline): label
// probabilities of texts or sentence pairs from a sequence-classification head
// (softmax over id2label; sigmoid per label for multi-label models or a single label).

import { InputError } from "../errors.js";
import type { EncoderNetwork } from "../models/encoder.js";
import type { TextTokenizer } from "../tokenizers/tokenizer.js";
import { sigmoidRow, softmaxRow } from "./scores.js";

export type ClassificationInput = string | readonly [string, string];

export interface LabelScore {
  readonly label: string;
  readonly score: number;
}

export interface Classification {
  /** The most likely label and its score. */
  readonly label: string;
  readonly score: number;
  /** Every label, best first. */
  readonly scores: readonly LabelScore[];
}

export interface ClassifyOptions {
  /** Texts per forward pass (default 16). */
  batchSize?: number;
}

export function classify(network: EncoderNetwork, tokenizer: TextTokenizer, inputs: readonly ClassificationInput[], options: ClassifyOptions = {}): Classification[] {
  const { head, labels, problemType, architecture } = network.config;
  if (head !== "sequence-classification") throw new InputError(`classify needs a sequence-classification head; this model is ${architecture}`);
  const sigmoid = problemType === "multi_label_classification" || labels.length === 1;
  const batchSize = options.batchSize ?? 16;
  const results: Classification[] = [];
  for (let first = 0; first < inputs.length; first += batchSize) {
    const chunk = inputs.slice(first, first + batchSize);
    const encodings = tokenizer.encodeBatch(chunk, { padding: true, truncation: true, maxLength: maxLengthFor(network, tokenizer) });
    const out = network.forward({
      inputIds: encodings.map((e) => e.ids),
      attentionMask: encodings.map((e) => e.attentionMask),
      tokenTypeIds: encodings.map((e) => e.tokenTypeIds),
    });
    const logits = out.logits!.data; // [B, labels]
    chunk.forEach((_, b) => {
      const p = sigmoid ? sigmoidRow(logits, b * labels.length, labels.length) : softmaxRow(logits, b * labels.length, labels.length);
      const scores = labels.map((label, i) => ({ label, score: p[i]! })).sort((x, y) => y.score - x.score);
      results.push({ label: scores[0]!.label, score: scores[0]!.score, scores });
    });
  }
  return results;
}

/** The longest encoding the model takes: max_position_embeddings, or the tokenizer's model_max_length if smaller. */
export function maxLengthFor(network: EncoderNetwork, tokenizer: TextTokenizer): number {
  return Math.min(network.maxLength, tokenizer.modelMaxLength ?? Infinity);
}
