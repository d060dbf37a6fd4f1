// Language-modelling data from one text file, as nanoGPT prepares it
// (data/shakespeare_char/prepare.py, data/shakespeare/prepare.py): the text is
// split by position — the first `trainFraction` of its characters for
// training, the rest for validation — and each part is encoded on its own,
// either character by character (the vocabulary is every character of the
// whole file) or with a tokenizer. Batches are random windows of blockSize + 1
// tokens: the first blockSize are the inputs, the last blockSize the targets
// (inputs shifted by one), nanoGPT train.py get_batch.
import { readFile } from "node:fs/promises";
import { InputError } from "../../errors.js";
import type { Rng } from "../../tensor/random.js";
import type { Tokenizer } from "../../tokenizers/tokenizer.js";
import type { Json } from "../../tokenizers/tokenizer-json.js";
import type { Batch } from "../trainable.js";
import { characterTokenizer, characterTokenizerConfig, characterTokenizerJson, characterVocabulary, encodeCharacters } from "./char-tokenizer.js";

export interface TextDataset {
  readonly tokenizer: Tokenizer;
  /** The tokenizer.json to save with a model trained on this data (character-level data), else undefined. */
  readonly tokenizerJson: Json | undefined;
  /** The tokenizer_config.json to save beside tokenizerJson. */
  readonly tokenizerConfigJson: Json | undefined;
  readonly vocabSize: number;
  readonly train: Int32Array;
  readonly validation: Int32Array;
}

export interface SplitOptions {
  /** Share of the text (by characters, from the start) used for training; default 0.9. */
  trainFraction?: number;
}

export const DEFAULT_TRAIN_FRACTION = 0.9;

/** The text read as UTF-8; errors name the file. */
export async function readTextFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new InputError(`cannot read data file ${path}: ${(error as Error).message}`);
  }
  if (text.length === 0) throw new InputError(`data file ${path} is empty`);
  return text;
}

/**
 * The first floor(n · trainFraction) characters and the rest (n counts code
 * points, as Python's len(str) does, so the split matches nanoGPT's).
 */
export function splitText(text: string, trainFraction: number = DEFAULT_TRAIN_FRACTION): { train: string; validation: string } {
  if (!(trainFraction >= 0 && trainFraction <= 1)) throw new InputError(`train fraction ${trainFraction} must be within [0, 1]`);
  const hasSurrogates = /[\uD800-\uDFFF]/.test(text);
  if (!hasSurrogates) {
    const cut = Math.floor(text.length * trainFraction);
    return { train: text.slice(0, cut), validation: text.slice(cut) };
  }
  const characters = Array.from(text);
  const cut = Math.floor(characters.length * trainFraction);
  return { train: characters.slice(0, cut).join(""), validation: characters.slice(cut).join("") };
}

/** Character-level data: the vocabulary is the sorted set of the characters of the whole text. */
export function characterDataset(text: string, options: SplitOptions = {}): TextDataset {
  const chars = characterVocabulary(text);
  const { train, validation } = splitText(text, options.trainFraction);
  return {
    tokenizer: characterTokenizer(chars),
    tokenizerJson: characterTokenizerJson(chars),
    tokenizerConfigJson: characterTokenizerConfig(),
    vocabSize: chars.length,
    train: encodeCharacters(train, chars),
    validation: encodeCharacters(validation, chars),
  };
}

/** Data encoded by a tokenizer (no special tokens added); each part encoded separately. */
export function tokenizedDataset(text: string, tokenizer: Tokenizer, options: SplitOptions = {}): TextDataset {
  const { train, validation } = splitText(text, options.trainFraction);
  return {
    tokenizer,
    tokenizerJson: undefined,
    tokenizerConfigJson: undefined,
    vocabSize: tokenizer.vocabSize,
    train: Int32Array.from(tokenizer.encode(train, { addSpecialTokens: false })),
    validation: Int32Array.from(tokenizer.encode(validation, { addSpecialTokens: false })),
  };
}

/** A batch of windows starting at the given positions: inputs ids[s, s+T), targets ids[s+1, s+T+1). */
export function windowsAt(ids: Int32Array, starts: readonly number[], blockSize: number): Batch {
  const inputIds: number[][] = [];
  const targets: number[][] = [];
  for (const start of starts) {
    if (!(Number.isInteger(start) && start >= 0 && start + blockSize < ids.length)) {
      throw new RangeError(`window at ${start} of ${blockSize} + 1 tokens does not fit in ${ids.length} tokens`);
    }
    inputIds.push(Array.from(ids.subarray(start, start + blockSize)));
    targets.push(Array.from(ids.subarray(start + 1, start + blockSize + 1)));
  }
  return { inputIds, targets };
}

/** batchSize windows of blockSize + 1 tokens at uniform random starts in [0, n − blockSize). */
export function randomWindows(ids: Int32Array, batchSize: number, blockSize: number, rng: Rng): Batch {
  const positions = ids.length - blockSize;
  if (positions < 1) {
    throw new InputError(`the data has ${ids.length} tokens; windows of block_size ${blockSize} + 1 need at least ${blockSize + 1}`);
  }
  const starts: number[] = [];
  for (let b = 0; b < batchSize; b++) starts.push(Math.floor(rng.nextFloat() * positions));
  return windowsAt(ids, starts, blockSize);
}

/** FNV-1a (32-bit) of the UTF-16 code units and the length: tells a resumed run that its data changed. */
export function textFingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return `${text.length}:${(hash >>> 0).toString(16).padStart(8, "0")}`;
}
