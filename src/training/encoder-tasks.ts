// The encoder training tasks, from the data readers' records to padded batches
// and back to metrics:
//   sequence classification  text[, text_pair] + label  → [CLS] a [SEP] (b [SEP]), labels [B]
//   token classification     words + tags → sub-words, the tag on each word's first
//                            sub-token and −100 on the rest (HF run_ner.py), labels [B][T]
//   MLM + NSP pretraining    sentence pairs (50% random second sentence) → [CLS] a [SEP] b [SEP],
//                            masked afresh for every batch (HF DataCollatorForLanguageModeling),
//                            labels [B][T] + nextSentenceLabel [B]
// Rows are right-padded with the pad id (attention mask 0, labels −100), as HF's
// collators do. Evaluation runs the inference forward pass and scores the logits:
// mean cross-entropy over everything scored in the whole set, accuracy, and for
// token classification entity-level precision / recall / F1 over the scored
// (first sub-token) positions, as run_ner.py's compute_metrics.

import type { EncoderBatch, EncoderModel } from "../encoder-model.js";
import { InputError } from "../errors.js";
import { Rng } from "../tensor/random.js";
import type { TextTokenizer } from "../tokenizers/tokenizer.js";
import { IGNORE_INDEX, maskTokens, type MaskingOptions } from "./data/masking.js";
import type { SentencePair } from "./data/sentence-pairs.js";
import type { TextExample } from "./data/text-classification.js";
import { alignWordLabels, type TaggedSentence } from "./data/token-classification.js";
import { accuracy, entityScores } from "./metrics.js";

/** The fine-tuning tasks and the HF class each trains. */
export type EncoderTask = "seqcls" | "tokencls";

export const TASK_ARCHITECTURES = {
  seqcls: "BertForSequenceClassification",
  tokencls: "BertForTokenClassification",
  pretraining: "BertForPreTraining",
} as const;

/** One encoded row before padding. */
export interface EncodedRow {
  readonly inputIds: readonly number[];
  readonly tokenTypeIds: readonly number[];
}

export interface SequenceExample extends EncodedRow {
  readonly label: number;
}

export interface TokenExample extends EncodedRow {
  /** The word's label id on its first sub-token, −100 elsewhere. */
  readonly labels: readonly number[];
}

export interface PairExample extends EncodedRow {
  /** 0: the second sentence follows the first; 1: random. */
  readonly nextSentenceLabel: number;
}

/** Labels in a stable order: numerically when every label is a number, else by code unit. */
export function sortLabels(labels: Iterable<string>): string[] {
  const distinct = [...new Set(labels)];
  const numeric = distinct.every((l) => l.trim() !== "" && Number.isFinite(Number(l)));
  return distinct.sort((a, b) => (numeric ? Number(a) - Number(b) : a < b ? -1 : a > b ? 1 : 0));
}

/** config.json's id2label and label2id for a label list. */
export function labelMaps(labels: readonly string[]): { id2label: Record<string, string>; label2id: Record<string, number> } {
  return {
    id2label: Object.fromEntries(labels.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(labels.map((l, i) => [l, i])),
  };
}

function labelIndex(labels: readonly string[]): Map<string, number> {
  return new Map(labels.map((l, i) => [l, i]));
}

// ── encoding ────────────────────────────────────────────────────────────────

export function encodeTextExamples(
  tokenizer: TextTokenizer,
  examples: readonly TextExample[],
  labels: readonly string[],
  options: { maxLength: number },
): SequenceExample[] {
  const label2id = labelIndex(labels);
  const encodings = tokenizer.encodeBatch(
    examples.map((e) => (e.textPair === undefined ? e.text : ([e.text, e.textPair] as const))),
    { truncation: true, maxLength: options.maxLength },
  );
  return examples.map((e, i) => {
    const label = label2id.get(e.label);
    if (label === undefined) throw new InputError(`example ${i + 1} has the label ${JSON.stringify(e.label)}, which is not one of the model's labels (${labels.join(", ")})`);
    return { inputIds: encodings[i]!.ids, tokenTypeIds: encodings[i]!.tokenTypeIds, label };
  });
}

/**
 * Words and tags → sub-word rows. With `labelAllTokens` (HF run_ner.py's
 * --label_all_tokens) a word's other sub-tokens carry its label too, B-X turned
 * into I-X when the labels hold it, so that pipelines grouping every token
 * ("simple" aggregation) see whole words tagged; score such a model on rows
 * encoded without it.
 */
export function encodeTaggedSentences(
  tokenizer: TextTokenizer,
  sentences: readonly TaggedSentence[],
  labels: readonly string[],
  options: { maxLength: number; labelAllTokens?: boolean },
): TokenExample[] {
  const label2id = labelIndex(labels);
  const inside = labels.map((l) => (l.startsWith("B-") ? (label2id.get(`I-${l.slice(2)}`) ?? label2id.get(l)!) : label2id.get(l)!));
  return sentences.map((s, i) => {
    try {
      const aligned = alignWordLabels(tokenizer, s, label2id, { maxLength: options.maxLength });
      let rowLabels = aligned.labels;
      if (options.labelAllTokens === true) {
        rowLabels = aligned.labels.map((label, t) => {
          const word = aligned.wordIds[t];
          if (label !== IGNORE_INDEX || word === null || word === undefined) return label;
          return inside[label2id.get(s.tags[word]!)!]!;
        });
      }
      return { inputIds: aligned.inputIds, tokenTypeIds: aligned.tokenTypeIds, labels: rowLabels };
    } catch (error) {
      if (error instanceof InputError) throw new InputError(`sentence ${i + 1}: ${error.message}`);
      throw error;
    }
  });
}

export function encodeSentencePairs(tokenizer: TextTokenizer, pairs: readonly SentencePair[], options: { maxLength: number }): PairExample[] {
  const encodings = tokenizer.encodeBatch(
    pairs.map((p) => [p.a, p.b] as const),
    { truncation: true, maxLength: options.maxLength },
  );
  return pairs.map((p, i) => ({ inputIds: encodings[i]!.ids, tokenTypeIds: encodings[i]!.tokenTypeIds, nextSentenceLabel: p.label }));
}

// ── batching ────────────────────────────────────────────────────────────────

/** Right-pads rows to the longest: ids with `padId`, token types 0, mask 0. */
export function padRows(rows: readonly EncodedRow[], padId: number): Required<Pick<EncoderBatch, "inputIds" | "attentionMask" | "tokenTypeIds">> {
  if (rows.length === 0) throw new InputError("a batch needs at least one row");
  const seq = Math.max(...rows.map((r) => r.inputIds.length));
  const pad = <T>(row: readonly T[], value: T): T[] => [...row, ...new Array<T>(seq - row.length).fill(value)];
  return {
    inputIds: rows.map((r) => pad(r.inputIds, padId)),
    attentionMask: rows.map((r) => pad(r.inputIds.map(() => 1), 0)),
    tokenTypeIds: rows.map((r) => pad(r.tokenTypeIds, 0)),
  };
}

export function collateSequences(examples: readonly SequenceExample[], padId: number): EncoderBatch {
  return { ...padRows(examples, padId), labels: examples.map((e) => e.label) };
}

export function collateTokens(examples: readonly TokenExample[], padId: number): EncoderBatch {
  const padded = padRows(examples, padId);
  const seq = padded.inputIds[0]!.length;
  return { ...padded, labels: examples.map((e) => [...e.labels, ...new Array<number>(seq - e.labels.length).fill(IGNORE_INDEX)]) };
}

/**
 * Masks a batch of sentence pairs for MLM + NSP. When no token of the batch is
 * selected (short rows), one is chosen at random, so the MLM loss has a term.
 */
export function collatePretraining(examples: readonly PairExample[], padId: number, random: Rng, masking: MaskingOptions): EncoderBatch {
  const padded = padRows(examples, padId);
  const masked = padded.inputIds.map((row, b) => maskTokens(row, random, masking, padded.attentionMask[b]));
  if (masked.every((m) => m.labels.every((l) => l === IGNORE_INDEX))) {
    const candidates: [number, number][] = [];
    padded.inputIds.forEach((row, b) => row.forEach((id, t) => {
      if (padded.attentionMask[b]![t] === 1 && !masking.isSpecial(id)) candidates.push([b, t]);
    }));
    if (candidates.length === 0) throw new InputError("a pretraining batch has no token to mask (only special tokens)");
    const [b, t] = candidates[Math.floor(random.nextFloat() * candidates.length)]!;
    masked[b]!.labels[t] = padded.inputIds[b]![t]!;
    masked[b]!.inputIds[t] = masking.maskTokenId;
  }
  return {
    inputIds: masked.map((m) => m.inputIds),
    attentionMask: padded.attentionMask,
    tokenTypeIds: padded.tokenTypeIds,
    labels: masked.map((m) => m.labels),
    nextSentenceLabel: examples.map((e) => e.nextSentenceLabel),
  };
}

/** MLM masking for a tokenizer: its [MASK] id, and every special token or padding never selected. */
export function maskingFor(tokenizer: TextTokenizer, vocabSize: number, probability = 0.15): MaskingOptions {
  const maskTokenId = tokenizer.tokenToId("[MASK]");
  if (maskTokenId === undefined) throw new InputError(`the tokenizer ${tokenizer.source} has no [MASK] token, which masked-LM training needs`);
  const padId = tokenizer.padTokenId;
  return { maskTokenId, vocabSize, probability, isSpecial: (id) => id === padId || tokenizer.isSpecialToken(id) };
}

/** The pad id of a tokenizer, or the model's pad_token_id when the tokenizer names none. */
export function padIdFor(model: EncoderModel): number {
  return model.hasTokenizer ? (model.tokenizer.padTokenId ?? model.config.padTokenId) : model.config.padTokenId;
}

// ── evaluation ──────────────────────────────────────────────────────────────

export interface ClassificationMetrics {
  /** Mean cross-entropy over the set. */
  readonly loss: number;
  readonly accuracy: number;
  /** The predicted label id of each example. */
  readonly predictions: number[];
}

export interface TokenClassificationMetrics {
  readonly loss: number;
  /** Over scored (first sub-token) positions. */
  readonly accuracy: number;
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** The predicted and gold tags of each sentence's scored positions. */
  readonly predictedTags: string[][];
  readonly goldTags: string[][];
}

export interface PretrainingMetrics {
  /** MLM loss + NSP loss (BertForPreTraining's total). */
  readonly loss: number;
  readonly mlmLoss: number;
  readonly nspLoss: number;
  readonly mlmAccuracy: number;
  readonly nspAccuracy: number;
}

/** −log softmax(row)[target] of logits[offset .. offset + width). */
function rowCrossEntropy(logits: Float32Array, offset: number, width: number, target: number): number {
  let max = -Infinity;
  for (let j = 0; j < width; j++) max = Math.max(max, logits[offset + j]!);
  let sum = 0;
  for (let j = 0; j < width; j++) sum += Math.exp(logits[offset + j]! - max);
  return Math.log(sum) + max - logits[offset + target]!;
}

function rowArgmax(logits: Float32Array, offset: number, width: number): number {
  let best = 0;
  for (let j = 1; j < width; j++) if (logits[offset + j]! > logits[offset + best]!) best = j;
  return best;
}

function* chunks<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

export async function evaluateSequenceClassification(model: EncoderModel, examples: readonly SequenceExample[], options: { batchSize?: number } = {}): Promise<ClassificationMetrics> {
  const width = model.config.labels.length;
  const predictions: number[] = [];
  let lossSum = 0;
  for (const chunk of chunks(examples, options.batchSize ?? 32)) {
    const { logits } = await model.forward(padRows(chunk, padIdFor(model)));
    chunk.forEach((e, b) => {
      predictions.push(rowArgmax(logits!.data, b * width, width));
      lossSum += rowCrossEntropy(logits!.data, b * width, width, e.label);
    });
  }
  return { loss: lossSum / Math.max(1, examples.length), accuracy: accuracy(predictions, examples.map((e) => e.label)), predictions };
}

export async function evaluateTokenClassification(model: EncoderModel, examples: readonly TokenExample[], options: { batchSize?: number } = {}): Promise<TokenClassificationMetrics> {
  const labels = model.config.labels;
  const width = labels.length;
  const predictedTags: string[][] = [];
  const goldTags: string[][] = [];
  const predictedIds: number[] = [];
  const goldIds: number[] = [];
  let lossSum = 0;
  for (const chunk of chunks(examples, options.batchSize ?? 32)) {
    const { logits } = await model.forward(padRows(chunk, padIdFor(model)));
    const seq = logits!.shape[1]!;
    chunk.forEach((e, b) => {
      const predicted: string[] = [];
      const gold: string[] = [];
      e.labels.forEach((label, t) => {
        if (label === IGNORE_INDEX) return;
        const offset = (b * seq + t) * width;
        const best = rowArgmax(logits!.data, offset, width);
        lossSum += rowCrossEntropy(logits!.data, offset, width, label);
        predictedIds.push(best);
        goldIds.push(label);
        predicted.push(labels[best]!);
        gold.push(labels[label]!);
      });
      predictedTags.push(predicted);
      goldTags.push(gold);
    });
  }
  const scores = entityScores(goldTags, predictedTags);
  return {
    loss: lossSum / Math.max(1, goldIds.length),
    accuracy: accuracy(predictedIds, goldIds),
    precision: scores.precision,
    recall: scores.recall,
    f1: scores.f1,
    predictedTags,
    goldTags,
  };
}

/** Masks the set with a fixed seed (the same masks every evaluation) and scores both heads. */
export async function evaluatePretraining(
  model: EncoderModel,
  examples: readonly PairExample[],
  masking: MaskingOptions,
  options: { batchSize?: number; seed?: number } = {},
): Promise<PretrainingMetrics> {
  const random = new Rng(options.seed ?? 0);
  const vocab = model.config.vocabSize;
  let mlmSum = 0;
  let mlmCount = 0;
  let mlmCorrect = 0;
  let nspSum = 0;
  let nspCorrect = 0;
  for (const chunk of chunks(examples, options.batchSize ?? 32)) {
    const batch = collatePretraining(chunk, padIdFor(model), random, masking);
    const { predictionLogits, seqRelationshipLogits } = await model.forward(batch);
    const seq = predictionLogits!.shape[1]!;
    (batch.labels as number[][]).forEach((row, b) => row.forEach((label, t) => {
      if (label === IGNORE_INDEX) return;
      const offset = (b * seq + t) * vocab;
      mlmSum += rowCrossEntropy(predictionLogits!.data, offset, vocab, label);
      mlmCount++;
      if (rowArgmax(predictionLogits!.data, offset, vocab) === label) mlmCorrect++;
    }));
    chunk.forEach((e, b) => {
      nspSum += rowCrossEntropy(seqRelationshipLogits!.data, b * 2, 2, e.nextSentenceLabel);
      if (rowArgmax(seqRelationshipLogits!.data, b * 2, 2) === e.nextSentenceLabel) nspCorrect++;
    });
  }
  const mlmLoss = mlmSum / Math.max(1, mlmCount);
  const nspLoss = nspSum / Math.max(1, examples.length);
  return {
    loss: mlmLoss + nspLoss,
    mlmLoss,
    nspLoss,
    mlmAccuracy: mlmCount === 0 ? 0 : mlmCorrect / mlmCount,
    nspAccuracy: examples.length === 0 ? 0 : nspCorrect / examples.length,
  };
}
