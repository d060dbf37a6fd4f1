// The named-entity pipeline (HF TokenClassificationPipeline): per-token label
// probabilities from a token-classification head, grouped into entities by
// their B-/I- tags, each with its character span in the original text.
//
// Aggregation, as HF's aggregation_strategy:
//  - "none": one result per token whose label is not O (the full label, e.g. "B-PER");
//  - "simple": tokens with the same entity type join unless a B- tag starts a new one;
//  - "first" (default): a word (a token and its "##" continuations) takes its first token's
//    label, then as "simple". The default because token classifiers are trained with the
//    label on each word's first sub-token (-100 on the rest), as lmscope's fine-tuning does.
// The entity text is the original text's slice [start, end), not the decoded
// tokens, so accents, case and CJK come back exactly as given.

import { InputError, OptionError } from "../errors.js";
import type { EncoderNetwork } from "../models/encoder.js";
import type { TextTokenizer } from "../tokenizers/tokenizer.js";
import { argmax, softmaxRow } from "./scores.js";
import { alignTokenSpans, type CharSpan } from "./token-spans.js";

export type Aggregation = "none" | "simple" | "first";

export interface NamedEntity {
  /** The entity type ("PER", "LOC"), or the token's full label with aggregation "none". */
  readonly entityGroup: string;
  /** Mean probability of the grouped tokens' labels. */
  readonly score: number;
  /** text.slice(start, end) */
  readonly word: string;
  /** UTF-16 offsets in the original text, end exclusive. */
  readonly start: number;
  readonly end: number;
}

/** One token of the text with its label probabilities. */
export interface ScoredToken {
  readonly span: CharSpan;
  /** A "##" continuation of the previous token's word. */
  readonly continuation: boolean;
  /** [labels] */
  readonly probabilities: ArrayLike<number>;
}

export interface NerOptions {
  aggregation?: Aggregation;
}

export function ner(network: EncoderNetwork, tokenizer: TextTokenizer, text: string, options: NerOptions = {}): NamedEntity[] {
  const { head, labels, architecture } = network.config;
  const maxPositions = network.maxLength;
  if (head !== "token-classification") throw new InputError(`ner needs a token-classification head; this model is ${architecture}`);
  const aggregation = checkAggregation(options.aggregation ?? "first");
  const ids = tokenizer.encode(text);
  if (ids.length > maxPositions) throw new InputError(`the text is ${ids.length} tokens long, more than the model's ${maxPositions}`);
  const spans = alignTokenSpans(tokenizer, text, ids);
  const logits = network.forward({ inputIds: [ids] }).logits!.data; // [1, T, labels]
  const tokens: ScoredToken[] = [];
  ids.forEach((id, i) => {
    const span = spans[i];
    if (span === null || span === undefined) return; // [CLS], [SEP]: not in the text
    const token = tokenizer.idToToken(id) ?? "";
    tokens.push({ span, continuation: token.startsWith("##"), probabilities: softmaxRow(logits, i * labels.length, labels.length) });
  });
  return aggregateEntities(text, tokens, labels, aggregation);
}

export function checkAggregation(value: unknown): Aggregation {
  if (value !== "none" && value !== "simple" && value !== "first") {
    throw new OptionError("aggregation", `expected "none", "simple" or "first", got ${JSON.stringify(value)}`);
  }
  return value;
}

interface Labelled {
  label: string;
  score: number;
  start: number;
  end: number;
}

/** Groups scored tokens into entities (pure: the pipeline's second half). */
export function aggregateEntities(text: string, tokens: readonly ScoredToken[], labels: readonly string[], aggregation: Aggregation): NamedEntity[] {
  const labelled: Labelled[] = [];
  for (const token of tokens) {
    const best = argmax(token.probabilities);
    const item = { label: labels[best]!, score: token.probabilities[best]!, start: token.span.start, end: token.span.end };
    const previous = labelled[labelled.length - 1];
    if (aggregation === "first" && token.continuation && previous !== undefined) previous.end = item.end;
    else labelled.push(item);
  }
  if (aggregation === "none") {
    return labelled.filter((t) => t.label !== "O").map((t) => ({ entityGroup: t.label, score: t.score, word: text.slice(t.start, t.end), start: t.start, end: t.end }));
  }
  const entities: NamedEntity[] = [];
  let group: Labelled[] = [];
  const flush = (): void => {
    if (group.length === 0) return;
    const type = splitTag(group[0]!.label).type;
    if (type !== "O") {
      const start = group[0]!.start;
      const end = group[group.length - 1]!.end;
      const score = group.reduce((s, t) => s + t.score, 0) / group.length;
      entities.push({ entityGroup: type, score, word: text.slice(start, end), start, end });
    }
    group = [];
  };
  for (const item of labelled) {
    const { position, type } = splitTag(item.label);
    const last = group[group.length - 1];
    if (last !== undefined && (splitTag(last.label).type !== type || position === "B")) flush();
    group.push(item);
  }
  flush();
  return entities;
}

/** "B-PER" → B, PER; "I-PER" → I, PER; any other label (O, PER) → I, the label. */
function splitTag(label: string): { position: "B" | "I"; type: string } {
  if (label.startsWith("B-")) return { position: "B", type: label.slice(2) };
  if (label.startsWith("I-")) return { position: "I", type: label.slice(2) };
  return { position: "I", type: label };
}
