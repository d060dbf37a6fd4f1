// Source–target pairs for training an encoder–decoder with teacher forcing
// (Vaswani et al. 2017 §5; Hugging Face's DataCollatorForSeq2Seq): each side is
// encoded and ends with the end-of-sequence token; a batch pads the inputs (with
// attention mask 0) and the targets (labels −100, not scored), and the decoder reads
// the targets shifted right behind the decoder start token.
//
//   pairs.tsv       one "source<TAB>target" pair per line; blank lines are skipped
//   split           the first trainFraction of the lines train, the rest validate
//   char tokenizer  the characters of all the text plus <pad> (0), </s> (1) and
//                   <s> (2, the decoder start), saved as a tokenizer.json whose
//                   template appends </s>, so the trained folder encodes inputs as
//                   it was trained

import { InputError } from "../../errors.js";
import type { Seq2SeqBatch } from "../../models/seq2seq/encoder-decoder.js";
import type { Rng } from "../../tensor/random.js";
import type { Tokenizer } from "../../tokenizers/tokenizer.js";
import { tokenizerFromJson, type Json } from "../../tokenizers/tokenizer-json.js";
import { characterTokenizerJson, characterVocabulary } from "../datasets/char-tokenizer.js";
import type { PerplexityResult } from "../perplexity.js";
import type { BatchSource } from "../trainer.js";
import type { TrainableModel } from "../trainable.js";

export interface TranslationPair {
  readonly source: string;
  readonly target: string;
}

/** A pair as ids, each side ending with eos. */
export interface EncodedPair {
  readonly source: readonly number[];
  readonly target: readonly number[];
}

/** The special ids a seq2seq batch needs. */
export interface PairSpecialIds {
  readonly pad: number;
  readonly eos: number;
  readonly decoderStart: number;
}

/** The pairs of a TSV text; `file` names it in errors (with the line number). */
export function parsePairs(text: string, file: string): TranslationPair[] {
  const pairs: TranslationPair[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === "") return;
    const fields = line.split("\t");
    if (fields.length !== 2) throw new InputError(`${file} line ${i + 1}: expected "source<TAB>target", found ${fields.length - 1} tabs`);
    const [source, target] = fields as [string, string];
    if (source.trim() === "" || target.trim() === "") throw new InputError(`${file} line ${i + 1}: the source or the target is empty`);
    pairs.push({ source, target });
  });
  if (pairs.length === 0) throw new InputError(`${file} holds no pairs`);
  return pairs;
}

/** The first floor(n · trainFraction) pairs and the rest (at least one on each side). */
export function splitPairs<T>(pairs: readonly T[], trainFraction: number): { train: T[]; validation: T[] } {
  if (!(trainFraction > 0 && trainFraction < 1)) throw new InputError(`train fraction ${trainFraction} must be within (0, 1)`);
  const cut = Math.floor(pairs.length * trainFraction);
  if (cut < 1 || cut >= pairs.length) throw new InputError(`${pairs.length} pairs cannot be split ${trainFraction} / ${1 - trainFraction} into non-empty training and validation sets`);
  return { train: pairs.slice(0, cut), validation: pairs.slice(cut) };
}

export const CHARACTER_SPECIALS = { pad: "<pad>", eos: "</s>", decoderStart: "<s>" } as const;

/** tokenizer.json of the characters of the pairs, with <pad> 0, </s> 1, <s> 2 and a template that appends </s>. */
export function pairCharacterTokenizerJson(pairs: readonly TranslationPair[]): Json {
  const chars = characterVocabulary(pairs.map((p) => p.source + p.target).join(""));
  const specials = [CHARACTER_SPECIALS.pad, CHARACTER_SPECIALS.eos, CHARACTER_SPECIALS.decoderStart];
  const json = characterTokenizerJson(chars) as { model: { vocab: Record<string, number> } } & Record<string, Json>;
  const vocab: Record<string, number> = {};
  specials.forEach((token, id) => (vocab[token] = id));
  for (const [ch, id] of Object.entries(json.model.vocab)) vocab[ch] = id + specials.length;
  const eos = { id: CHARACTER_SPECIALS.eos, type_id: 0 };
  return {
    ...json,
    added_tokens: specials.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    model: { ...json.model, vocab },
    post_processor: {
      type: "TemplateProcessing",
      single: [{ Sequence: { id: "A", type_id: 0 } }, { SpecialToken: eos }],
      pair: [{ Sequence: { id: "A", type_id: 0 } }, { SpecialToken: eos }, { Sequence: { id: "B", type_id: 0 } }, { SpecialToken: eos }],
      special_tokens: { [CHARACTER_SPECIALS.eos]: { id: CHARACTER_SPECIALS.eos, ids: [1], tokens: [CHARACTER_SPECIALS.eos] } },
    },
  } as Json;
}

/** tokenizer_config.json beside it: the special tokens by name, no clean-up of spaces. */
export function pairCharacterTokenizerConfig(): Json {
  return {
    tokenizer_class: "PreTrainedTokenizerFast",
    clean_up_tokenization_spaces: false,
    pad_token: CHARACTER_SPECIALS.pad,
    eos_token: CHARACTER_SPECIALS.eos,
    bos_token: CHARACTER_SPECIALS.decoderStart,
  };
}

export function pairCharacterTokenizer(json: Json): Tokenizer {
  return tokenizerFromJson(json, pairCharacterTokenizerConfig() as never, "character vocabulary of the pairs");
}

/** Each side encoded (special tokens added), ending with eos (appended when the tokenizer does not). */
export function encodePairs(tokenizer: Tokenizer, pairs: readonly TranslationPair[], eos: number): EncodedPair[] {
  const encode = (text: string): number[] => {
    const ids = tokenizer.encode(text, { addSpecialTokens: true });
    return ids[ids.length - 1] === eos ? ids : [...ids, eos];
  };
  return pairs.map((p) => ({ source: encode(p.source), target: encode(p.target) }));
}

/**
 * A batch of pairs: inputs padded with pad (attention mask 0), decoder inputs
 * [start, target without its last token] padded with pad, labels the targets
 * padded with −100.
 */
export function collatePairs(pairs: readonly EncodedPair[], ids: PairSpecialIds): Seq2SeqBatch {
  if (pairs.length === 0) throw new InputError("a batch needs at least one pair");
  const sourceLength = Math.max(...pairs.map((p) => p.source.length));
  const targetLength = Math.max(...pairs.map((p) => p.target.length));
  const pad = (row: readonly number[], length: number, value: number): number[] => [...row, ...new Array<number>(length - row.length).fill(value)];
  return {
    inputIds: pairs.map((p) => pad(p.source, sourceLength, ids.pad)),
    attentionMask: pairs.map((p) => pad(new Array<number>(p.source.length).fill(1), sourceLength, 0)),
    decoderInputIds: pairs.map((p) => pad([ids.decoderStart, ...p.target.slice(0, -1)], targetLength, ids.pad)),
    labels: pairs.map((p) => pad(p.target, targetLength, -100)),
  };
}

/** Scored target tokens of a batch. */
export function targetTokens(batch: Seq2SeqBatch): number {
  return batch.labels.reduce((sum, row) => sum + row.filter((l) => l !== -100).length, 0);
}

/** Batches of pairs drawn uniformly (with replacement) for the Trainer; the final evaluation scores every validation pair once. */
export class PairBatches implements BatchSource<Seq2SeqBatch> {
  constructor(
    readonly train: readonly EncodedPair[],
    readonly validation: readonly EncodedPair[],
    readonly ids: PairSpecialIds,
  ) {
    if (train.length === 0 || validation.length === 0) throw new InputError("training needs at least one training and one validation pair");
  }

  draw(split: "train" | "validation", batchSize: number, rng: Rng): Seq2SeqBatch {
    const pairs = split === "train" ? this.train : this.validation;
    return collatePairs(Array.from({ length: batchSize }, () => pairs[Math.floor(rng.nextFloat() * pairs.length)]!), this.ids);
  }

  tokens(batch: Seq2SeqBatch): number {
    return targetTokens(batch);
  }

  /** Mean loss per target token over the validation pairs, in batches of batchSize. */
  async validationLoss(model: TrainableModel<Seq2SeqBatch>, batchSize: number): Promise<PerplexityResult> {
    let sum = 0;
    let tokens = 0;
    for (let first = 0; first < this.validation.length; first += batchSize) {
      const batch = collatePairs(this.validation.slice(first, first + batchSize), this.ids);
      const count = targetTokens(batch);
      sum += (await model.evaluate(batch)) * count;
      tokens += count;
    }
    const loss = sum / tokens;
    return { loss, perplexity: Math.exp(loss), tokens, windows: this.validation.length, context: 0, stride: 0 };
  }
}
