// Token-classification (NER) data: CoNLL-style files (one token per line, the
// token in the first column and its tag in the last, blank lines between
// sentences, -DOCSTART- lines skipped) and JSONL ({"tokens": [...], "tags": [...]},
// or "ner_tags"), and the alignment of word labels to sub-word tokens as HF's
// run_ner.py does it: a word's label goes on its first sub-token, −100 on its
// other sub-tokens and on the special tokens.

import { readFile } from "node:fs/promises";
import { InputError, ModelFormatError } from "../../errors.js";
import type { TextTokenizer } from "../../tokenizers/tokenizer.js";
import { IGNORE_INDEX } from "./masking.js";

export interface TaggedSentence {
  readonly tokens: readonly string[];
  readonly tags: readonly string[];
}

export function parseConll(text: string, source: string): TaggedSentence[] {
  const sentences: TaggedSentence[] = [];
  let tokens: string[] = [];
  let tags: string[] = [];
  const flush = (): void => {
    if (tokens.length > 0) sentences.push({ tokens, tags });
    tokens = [];
    tags = [];
  };
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "") return flush();
    const columns = line.split(/\s+/);
    if (columns[0] === "-DOCSTART-") return flush();
    if (columns.length < 2) throw new ModelFormatError(source, `line ${i + 1}: expected "token … tag", got ${JSON.stringify(line.slice(0, 60))}`);
    tokens.push(columns[0]!);
    tags.push(columns[columns.length - 1]!);
  });
  flush();
  return sentences;
}

/** JSONL lines {"tokens": [...], "tags" | "ner_tags": [...]}; numeric tags are looked up in `labels` (id2label). */
export function parseTokenTagJsonl(text: string, source: string, labels?: readonly string[]): TaggedSentence[] {
  const sentences: TaggedSentence[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === "") return;
    const where = `line ${i + 1}`;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(raw) as Record<string, unknown>;
    } catch (error) {
      throw new ModelFormatError(source, `${where}: not valid JSON (${(error as Error).message})`);
    }
    const tokens = o?.["tokens"];
    const rawTags = o?.["tags"] ?? o?.["ner_tags"];
    if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === "string")) throw new ModelFormatError(source, `${where}: "tokens" must be a list of strings`);
    if (!Array.isArray(rawTags) || rawTags.length !== tokens.length) throw new ModelFormatError(source, `${where}: "tags" must be a list as long as "tokens" (${tokens.length})`);
    const tags = rawTags.map((t, j) => {
      if (typeof t === "string") return t;
      if (typeof t === "number" && labels?.[t] !== undefined) return labels[t]!;
      throw new ModelFormatError(source, `${where}: tag ${j} is ${JSON.stringify(t)}; expected a label string${labels === undefined ? "" : " or an id in [0, " + labels.length + ")"}`);
    });
    sentences.push({ tokens: tokens as string[], tags });
  });
  return sentences;
}

/** A .jsonl / .json file as JSONL, anything else as CoNLL. */
export async function readTokenClassificationFile(path: string, labels?: readonly string[]): Promise<TaggedSentence[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new ModelFormatError(path, "cannot read the file");
  }
  return /\.jsonl?$/.test(path) ? parseTokenTagJsonl(text, path, labels) : parseConll(text, path);
}

export interface AlignedExample {
  inputIds: number[];
  tokenTypeIds: number[];
  attentionMask: number[];
  /** The word's label id on its first sub-token, IGNORE_INDEX elsewhere. */
  labels: number[];
  /** Which word each token came from; null for special tokens. */
  wordIds: (number | null)[];
}

/** The special ids the tokenizer puts before and after one sequence ([CLS] … [SEP] for BERT). */
function specialWrapping(tokenizer: TextTokenizer): { before: number[]; after: number[] } {
  const probe = tokenizer.encode("a", { addSpecialTokens: false });
  const full = tokenizer.encode("a");
  for (let at = 0; at + probe.length <= full.length; at++) {
    if (probe.every((id, k) => full[at + k] === id)) return { before: full.slice(0, at), after: full.slice(at + probe.length) };
  }
  return { before: [], after: [] };
}

/**
 * Encodes a pre-split sentence word by word and aligns its labels. `label2id`
 * maps tags to ids; `maxLength` (optional) drops the last words' tokens to fit.
 */
export function alignWordLabels(
  tokenizer: TextTokenizer,
  sentence: TaggedSentence,
  label2id: ReadonlyMap<string, number>,
  options: { maxLength?: number } = {},
): AlignedExample {
  if (sentence.tokens.length !== sentence.tags.length) {
    throw new InputError(`a sentence has ${sentence.tokens.length} tokens but ${sentence.tags.length} tags`);
  }
  const { before, after } = specialWrapping(tokenizer);
  const room = (options.maxLength ?? Infinity) - before.length - after.length;
  const ids: number[] = [];
  const labels: number[] = [];
  const wordIds: (number | null)[] = [];
  sentence.tokens.forEach((word, w) => {
    const tag = sentence.tags[w]!;
    const label = label2id.get(tag);
    if (label === undefined) throw new InputError(`tag ${JSON.stringify(tag)} of word ${JSON.stringify(word)} is not a label of the model (${[...label2id.keys()].join(", ")})`);
    tokenizer.encode(word, { addSpecialTokens: false }).forEach((id, k) => {
      if (ids.length >= room) return;
      ids.push(id);
      labels.push(k === 0 ? label : IGNORE_INDEX);
      wordIds.push(w);
    });
  });
  const inputIds = [...before, ...ids, ...after];
  return {
    inputIds,
    tokenTypeIds: inputIds.map(() => 0),
    attentionMask: inputIds.map(() => 1),
    labels: [...before.map(() => IGNORE_INDEX), ...labels, ...after.map(() => IGNORE_INDEX)],
    wordIds: [...before.map(() => null), ...wordIds, ...after.map(() => null)],
  };
}

/** label → id for the tags of a data set, in order of first appearance (or sorted with `sorted`). */
export function labelMapFromTags(sentences: readonly TaggedSentence[], sorted = false): Map<string, number> {
  const seen: string[] = [];
  for (const s of sentences) for (const t of s.tags) if (!seen.includes(t)) seen.push(t);
  if (sorted) seen.sort();
  return new Map(seen.map((t, i) => [t, i]));
}
