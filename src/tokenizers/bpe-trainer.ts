// A byte-level BPE trainer in the manner of huggingface/tokenizers
// `BpeTrainer` with the GPT-2 ByteLevel pre-tokenizer: count the pre-tokenized
// words, start from the 256 byte symbols, and repeatedly merge the most
// frequent adjacent pair (ties: the pair of lower ids) until the vocabulary
// has the requested size. Deterministic. The result is a tokenizer.json that
// lmscope and other HF-compatible loaders read.
import { OptionError } from "../errors.js";
import { BYTE_TO_CHAR } from "./byte-level.js";
import { ByteLevelPreTokenizer } from "./pretokenizers.js";
import type { Json } from "./tokenizer-json.js";
import { toWellFormed, utf8Bytes } from "./unicode-text.js";

export interface BpeTrainerOptions {
  /** Final vocabulary size, special tokens and the 256 byte symbols included. */
  vocabSize: number;
  /** Pairs seen fewer times than this are never merged. Default 2. */
  minFrequency?: number;
  /** Added as special tokens with the first ids (e.g. "<|endoftext|>"). */
  specialTokens?: readonly string[];
}

export interface TrainingProgress {
  merges: number;
  vocabSize: number;
}

function checkOptions(options: BpeTrainerOptions): void {
  const specials = options.specialTokens ?? [];
  if (!Number.isInteger(options.vocabSize) || options.vocabSize < 256 + specials.length) {
    throw new OptionError("vocabSize", `expected an integer ≥ ${256 + specials.length} (256 bytes + special tokens), got ${String(options.vocabSize)}`);
  }
  const min = options.minFrequency ?? 2;
  if (!Number.isInteger(min) || min < 1) throw new OptionError("minFrequency", `expected a positive integer, got ${String(min)}`);
  if (new Set(specials).size !== specials.length || specials.some((s) => s === "")) {
    throw new OptionError("specialTokens", "special tokens must be distinct and non-empty");
  }
}

/** Trains byte-level BPE on `texts` and returns the tokenizer.json object. */
export function trainByteLevelBpe(texts: Iterable<string>, options: BpeTrainerOptions, onProgress?: (p: TrainingProgress) => void): Json {
  checkOptions(options);
  const specials = options.specialTokens ?? [];
  const minFrequency = options.minFrequency ?? 2;

  // 1. Word frequencies after GPT-2 pre-tokenization.
  const preTokenizer = new ByteLevelPreTokenizer(false, true);
  const counts = new Map<string, number>();
  for (const text of texts) {
    preTokenizer.split(toWellFormed(text), (piece) => counts.set(piece, (counts.get(piece) ?? 0) + 1));
  }

  // 2. The initial vocabulary: special tokens, then the 256 byte symbols in byte order.
  const tokens: string[] = [...specials, ...BYTE_TO_CHAR];
  const firstByteId = specials.length;
  const words: Int32Array[] = [];
  const freqs: number[] = [];
  for (const [word, count] of [...counts].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    words.push(Int32Array.from(utf8Bytes(word), (b) => firstByteId + b));
    freqs.push(count);
  }

  // 3. Pair counts and, per pair, the words that contain it.
  const keyOf = (a: number, b: number): number => a * options.vocabSize + b;
  const pairCounts = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const addWord = (w: number, sign: 1 | -1): void => {
    const word = words[w]!;
    for (let i = 0; i + 1 < word.length; i++) {
      const key = keyOf(word[i]!, word[i + 1]!);
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + sign * freqs[w]!);
      if (sign > 0) {
        let set = pairWords.get(key);
        if (set === undefined) pairWords.set(key, (set = new Set()));
        set.add(w);
      }
    }
  };
  words.forEach((_, w) => addWord(w, 1));

  // 4. Merge the most frequent pair until the vocabulary is full.
  const merges: [string, string][] = [];
  while (tokens.length < options.vocabSize) {
    let bestKey = -1;
    let bestCount = 0;
    for (const [key, count] of pairCounts) {
      if (count > bestCount || (count === bestCount && count > 0 && key < bestKey)) {
        bestKey = key;
        bestCount = count;
      }
    }
    if (bestKey < 0 || bestCount < minFrequency) break;
    const left = Math.floor(bestKey / options.vocabSize);
    const right = bestKey - left * options.vocabSize;
    const newId = tokens.length;
    tokens.push(tokens[left]! + tokens[right]!);
    merges.push([tokens[left]!, tokens[right]!]);
    for (const w of pairWords.get(bestKey) ?? []) {
      addWord(w, -1);
      const word = words[w]!;
      const merged: number[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i + 1 < word.length && word[i] === left && word[i + 1] === right) {
          merged.push(newId);
          i++;
        } else merged.push(word[i]!);
      }
      words[w] = Int32Array.from(merged);
      addWord(w, 1);
    }
    pairCounts.delete(bestKey);
    pairWords.delete(bestKey);
    onProgress?.({ merges: merges.length, vocabSize: tokens.length });
  }

  const vocab: { [token: string]: number } = {};
  tokens.forEach((t, id) => {
    vocab[t] = id;
  });
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: specials.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, trim_offsets: false },
    decoder: byteLevel,
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
}
