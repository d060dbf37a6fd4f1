// A WordPiece vocabulary builder in the manner of huggingface/tokenizers
// `WordPieceTrainer` (which runs its BPE trainer with the "##" continuing-subword
// prefix): the corpus is normalized and pre-tokenized as BERT does (BertNormalizer,
// BertPreTokenizer), words are counted, the alphabet is every first character
// and every "##"-prefixed later character, and the most frequent adjacent pair
// of symbols is merged (ties: the lexicographically smaller pair) until the
// vocabulary has the requested size. Deterministic. The result is the token
// list of a BERT vocab.txt (id = line number), special tokens first, which
// `loadVocabTxtTokenizer` reads; encoding then uses WordPiece's greedy
// longest-match, as for any BERT vocabulary.

import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { OptionError } from "../errors.js";
import { BertNormalizer } from "./normalizers.js";
import { BertPreTokenizer } from "./pretokenizers.js";

export const BERT_SPECIAL_TOKENS: readonly string[] = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

export interface WordPieceTrainerOptions {
  /** Final vocabulary size, special tokens included (the alphabet is always kept, so it may end larger). */
  vocabSize: number;
  /** Pairs seen fewer times than this are never merged. Default 2. */
  minFrequency?: number;
  /** Lowercase (and strip accents) as bert-base-uncased. Default true. */
  lowercase?: boolean;
  /** The first ids. Default [PAD] [UNK] [CLS] [SEP] [MASK] (ids 0–4). */
  specialTokens?: readonly string[];
}

const PREFIX = "##";

/** The vocabulary (id order) learned from `texts`. */
export function trainWordPieceVocab(texts: Iterable<string>, options: WordPieceTrainerOptions): string[] {
  const specials = options.specialTokens ?? BERT_SPECIAL_TOKENS;
  const minFrequency = options.minFrequency ?? 2;
  if (!Number.isInteger(options.vocabSize) || options.vocabSize < specials.length + 1) {
    throw new OptionError("vocabSize", `expected an integer > ${specials.length} (the special tokens), got ${String(options.vocabSize)}`);
  }
  if (!Number.isInteger(minFrequency) || minFrequency < 1) throw new OptionError("minFrequency", `expected a positive integer, got ${String(minFrequency)}`);
  const lowercase = options.lowercase ?? true;
  const normalizer = new BertNormalizer({ cleanText: true, handleChineseChars: true, stripAccents: null, lowercase });
  const preTokenizer = new BertPreTokenizer();

  const wordCounts = new Map<string, number>();
  for (const text of texts) {
    preTokenizer.split(normalizer.normalize(text), (word) => wordCounts.set(word, (wordCounts.get(word) ?? 0) + 1));
  }
  // Each distinct word as its symbols: first character, then "##"-prefixed characters.
  const words = [...wordCounts].sort(([a], [b]) => compare(a, b)).map(([word, count]) => ({ symbols: [...word].map((ch, i) => (i === 0 ? ch : PREFIX + ch)), count }));

  const vocab: string[] = [...specials];
  const known = new Set(vocab);
  const add = (token: string): void => {
    if (known.has(token)) return;
    known.add(token);
    vocab.push(token);
  };
  const alphabet = new Set<string>();
  for (const w of words) for (const s of w.symbols) alphabet.add(s);
  [...alphabet].sort(compare).forEach(add);

  const pairKey = (a: string, b: string): string => `${a}\u0000${b}`;
  while (vocab.length < options.vocabSize) {
    const pairCounts = new Map<string, number>();
    for (const w of words) {
      for (let i = 0; i + 1 < w.symbols.length; i++) {
        const key = pairKey(w.symbols[i]!, w.symbols[i + 1]!);
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + w.count);
      }
    }
    let best: string | null = null;
    let bestCount = 0;
    for (const [key, count] of pairCounts) {
      if (count > bestCount || (count === bestCount && best !== null && compare(key, best) < 0)) {
        best = key;
        bestCount = count;
      }
    }
    if (best === null || bestCount < minFrequency) break;
    const [left, right] = best.split("\u0000") as [string, string];
    const merged = left + right.slice(PREFIX.length);
    for (const w of words) {
      const out: string[] = [];
      for (let i = 0; i < w.symbols.length; i++) {
        if (i + 1 < w.symbols.length && w.symbols[i] === left && w.symbols[i + 1] === right) {
          out.push(merged);
          i++;
        } else out.push(w.symbols[i]!);
      }
      w.symbols = out;
    }
    add(merged);
  }
  return vocab;
}

/** Writes `vocab.txt` (one token per line) and, for a cased vocabulary, tokenizer_config.json with do_lower_case false. */
export async function writeVocabTxt(dir: string, vocab: readonly string[], options: { lowercase?: boolean } = {}): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, "vocab.txt");
  await writeFile(path, `${vocab.join("\n")}\n`);
  if (options.lowercase === false) await writeFile(join(dir, "tokenizer_config.json"), `${JSON.stringify({ do_lower_case: false }, null, 2)}\n`);
  return path;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
