// The text an experiment trains on and the token ids it is cut into: a text file
// (tinyshakespeare, the classic char-level corpus) or, without one, text the
// project generates from a seed (synthetic-corpus.ts), so that experiments and
// their tests run anywhere. Tokens are characters, or byte-level BPE learned on
// the training part only (the held-out part is never seen by the tokenizer).

import { basename } from "node:path";
import { characterDataset, readTextFile, splitText } from "../training/datasets/index.js";
import type { TrainingData } from "../training/trainer.js";
import { trainByteLevelBpe } from "../tokenizers/bpe-trainer.js";
import { tokenizerFromJson } from "../tokenizers/tokenizer-json.js";
import { syntheticText } from "./synthetic-corpus.js";

export interface Corpus {
  /** Short name for tables ("tinyshakespeare.txt", "synthetic"). */
  readonly name: string;
  /** One sentence for the report's setup. */
  readonly description: string;
  readonly text: string;
}

export interface TokenizedCorpus extends TrainingData {
  readonly vocabSize: number;
  /** "characters (65)", "byte-level BPE (2,048)". */
  readonly tokenizer: string;
}

/** The share of the text used for training; the rest is held out. */
export const TRAIN_FRACTION = 0.9;

export async function readCorpus(path: string): Promise<Corpus> {
  const text = await readTextFile(path);
  return { name: basename(path), description: `${basename(path)} (${text.length.toLocaleString("en-US")} characters)`, text };
}

export function syntheticCorpus(seed: number, characters: number): Corpus {
  const text = syntheticText(seed, characters);
  return {
    name: "synthetic",
    description: `generated text (${characters.toLocaleString("en-US")} characters from seed ${seed}: scenes of speeches from a small grammar with agreement and callbacks to earlier speakers)`,
    text,
  };
}

/** Character-level ids: the first 90% of the characters for training, the rest held out. */
export function characterTokens(corpus: Corpus): TokenizedCorpus {
  const data = characterDataset(corpus.text, { trainFraction: TRAIN_FRACTION });
  return { train: data.train, validation: data.validation, vocabSize: data.vocabSize, tokenizer: `characters (${data.vocabSize})` };
}

/** Byte-level BPE of `vocabSize` learned on the training part, applied to both parts. */
export function bpeTokens(corpus: Corpus, vocabSize: number): TokenizedCorpus {
  const { train, validation } = splitText(corpus.text, TRAIN_FRACTION);
  const tokenizer = tokenizerFromJson(trainByteLevelBpe([train], { vocabSize }), undefined, "experiment BPE");
  const encode = (text: string) => Int32Array.from(tokenizer.encode(text, { addSpecialTokens: false }));
  return { train: encode(train), validation: encode(validation), vocabSize, tokenizer: `byte-level BPE (${vocabSize.toLocaleString("en-US")}, learned on the training part)` };
}
