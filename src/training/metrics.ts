// Evaluation metrics: accuracy (positions labelled −100 skipped) and
// entity-level precision / recall / F1 over B-/I-/O tag sequences with exact
// span matching, as conlleval and seqeval's default mode count them: an entity
// starts at B-X, or at I-X after O or after another type, and runs while I-X follows.

import { InputError } from "../errors.js";
import { IGNORE_INDEX } from "./data/masking.js";

/** Share of positions where prediction = label, over positions whose label is not `ignoreIndex`. */
export function accuracy(predictions: ArrayLike<number>, labels: ArrayLike<number>, ignoreIndex = IGNORE_INDEX): number {
  if (predictions.length !== labels.length) throw new InputError(`${predictions.length} predictions for ${labels.length} labels`);
  let correct = 0;
  let counted = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] === ignoreIndex) continue;
    counted++;
    if (predictions[i] === labels[i]) correct++;
  }
  return counted === 0 ? 0 : correct / counted;
}

/** An entity: its type and token range [start, end). */
export interface EntitySpan {
  readonly type: string;
  readonly start: number;
  readonly end: number;
}

function parseTag(tag: string): { prefix: "B" | "I" | "O"; type: string } {
  if (tag === "O" || tag === "") return { prefix: "O", type: "" };
  if (tag.startsWith("B-")) return { prefix: "B", type: tag.slice(2) };
  if (tag.startsWith("I-")) return { prefix: "I", type: tag.slice(2) };
  return { prefix: "I", type: tag };
}

export function extractEntities(tags: readonly string[]): EntitySpan[] {
  const entities: EntitySpan[] = [];
  let type = ""; // of the open entity; "" when none is open
  let start = 0;
  for (let i = 0; i <= tags.length; i++) {
    const tag = i < tags.length ? parseTag(tags[i]!) : { prefix: "O" as const, type: "" };
    if (type !== "" && tag.prefix === "I" && tag.type === type) continue;
    if (type !== "") entities.push({ type, start, end: i });
    type = tag.prefix === "O" ? "" : tag.type;
    start = i;
  }
  return entities;
}

export interface PrecisionRecall {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
  /** Gold entities of this type. */
  readonly support: number;
}

export interface EntityScores extends PrecisionRecall {
  readonly truePositives: number;
  readonly predicted: number;
  readonly perType: Readonly<Record<string, PrecisionRecall>>;
}

function score(truePositives: number, predicted: number, gold: number): PrecisionRecall {
  const precision = predicted === 0 ? 0 : truePositives / predicted;
  const recall = gold === 0 ? 0 : truePositives / gold;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1, support: gold };
}

/** Micro-averaged entity scores over sentences; an entity counts only when type, start and end all match. */
export function entityScores(gold: readonly (readonly string[])[], predicted: readonly (readonly string[])[]): EntityScores {
  if (gold.length !== predicted.length) throw new InputError(`${predicted.length} predicted sentences for ${gold.length} gold ones`);
  const counts = new Map<string, { tp: number; predicted: number; gold: number }>();
  const entry = (type: string) => {
    let c = counts.get(type);
    if (c === undefined) counts.set(type, (c = { tp: 0, predicted: 0, gold: 0 }));
    return c;
  };
  gold.forEach((goldTags, s) => {
    const predictedTags = predicted[s]!;
    if (predictedTags.length !== goldTags.length) throw new InputError(`sentence ${s}: ${predictedTags.length} predicted tags for ${goldTags.length} gold tags`);
    const goldEntities = extractEntities(goldTags);
    const key = (e: EntitySpan) => `${e.type}\u0000${e.start}\u0000${e.end}`;
    const goldKeys = new Set(goldEntities.map(key));
    for (const e of goldEntities) entry(e.type).gold++;
    for (const e of extractEntities(predictedTags)) {
      const c = entry(e.type);
      c.predicted++;
      if (goldKeys.has(key(e))) c.tp++;
    }
  });
  let tp = 0;
  let predictedTotal = 0;
  let goldTotal = 0;
  const perType: Record<string, PrecisionRecall> = {};
  for (const [type, c] of [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    perType[type] = score(c.tp, c.predicted, c.gold);
    tp += c.tp;
    predictedTotal += c.predicted;
    goldTotal += c.gold;
  }
  return { ...score(tp, predictedTotal, goldTotal), truePositives: tp, predicted: predictedTotal, perType };
}
