// The logits processors of encoder–decoder generation, as Hugging Face
// transformers implements them (generation/logits_process.py): each edits one
// step's scores [vocab] in place given the decoder sequence so far (the decoder
// start token included, as transformers' input_ids are). Applied in transformers'
// order (generation/utils.py _get_logits_processor):
//
//   repetition penalty → no-repeat n-grams → bad words → min length → min new tokens
//   → forced BOS → forced EOS → (sampling warpers) → renormalisation (log-softmax)
//
// Beam search applies them to log-probabilities, greedy and sampling to logits.

import { OptionError } from "../errors.js";
import type { FloatArray } from "../tensor/tensor.js";
import { RepetitionPenaltyProcessor } from "./logits-processors.js";

/** One step's edit of scores [vocab], given the decoder ids so far. */
export interface SequenceProcessor {
  apply(scores: FloatArray, sequence: ArrayLike<number>): void;
}

/** NoRepeatNGramLogitsProcessor: a token that would repeat an n-gram already in the sequence gets −∞. */
export class NoRepeatNGramProcessor implements SequenceProcessor {
  constructor(readonly size: number) {}

  apply(scores: FloatArray, sequence: ArrayLike<number>): void {
    const n = this.size;
    const length = sequence.length;
    if (length < n) return;
    // Windows s … s+n−1 inside the sequence whose first n−1 ids equal its last n−1 ids ban their last id.
    for (let s = 0; s + n <= length; s++) {
      let match = true;
      for (let j = 0; j < n - 1 && match; j++) match = sequence[s + j] === sequence[length - n + 1 + j];
      if (match) {
        const banned = sequence[s + n - 1]!;
        if (banned < scores.length) scores[banned] = -Infinity;
      }
    }
  }
}

/**
 * NoBadWordsLogitsProcessor: a token that completes one of the sequences gets −∞
 * (a one-token sequence always; a longer one when the decoder ids end with its
 * prefix). Single-token sequences equal to an eos id are dropped, as transformers does.
 */
export class BadWordsProcessor implements SequenceProcessor {
  readonly sequences: readonly (readonly number[])[];

  constructor(badWordsIds: readonly (readonly number[])[], eosTokenIds: readonly number[]) {
    this.sequences = badWordsIds.filter((words) => !(words.length === 1 && eosTokenIds.includes(words[0]!)));
  }

  apply(scores: FloatArray, sequence: ArrayLike<number>): void {
    const length = sequence.length;
    for (const words of this.sequences) {
      const prefix = words.length - 1;
      if (prefix > length) continue;
      let match = true;
      for (let j = 0; j < prefix && match; j++) match = sequence[length - prefix + j] === words[j];
      if (match) scores[words[prefix]!] = -Infinity;
    }
  }
}

/** MinLengthLogitsProcessor: no eos while the decoder sequence (start token included) is shorter than minLength. */
export class MinLengthProcessor implements SequenceProcessor {
  constructor(
    readonly minLength: number,
    readonly eosTokenIds: readonly number[],
    /** Ids before the generated ones (1: the decoder start token) — MinNewTokensLengthLogitsProcessor counts from there. */
    readonly skip = 0,
  ) {}

  apply(scores: FloatArray, sequence: ArrayLike<number>): void {
    if (sequence.length - this.skip < this.minLength) for (const eos of this.eosTokenIds) scores[eos] = -Infinity;
  }
}

/** ForcedBOSTokenLogitsProcessor: the first generated token is forced (score 0, every other −∞). */
export class ForcedBosProcessor implements SequenceProcessor {
  constructor(readonly tokenId: number) {}

  apply(scores: FloatArray, sequence: ArrayLike<number>): void {
    if (sequence.length !== 1) return;
    scores.fill(-Infinity);
    scores[this.tokenId] = 0;
  }
}

/** ForcedEOSTokenLogitsProcessor: the token that reaches maxLength is an eos (score 0, every other −∞). */
export class ForcedEosProcessor implements SequenceProcessor {
  constructor(
    readonly maxLength: number,
    readonly tokenIds: readonly number[],
  ) {}

  apply(scores: FloatArray, sequence: ArrayLike<number>): void {
    if (sequence.length !== this.maxLength - 1) return;
    scores.fill(-Infinity);
    for (const id of this.tokenIds) scores[id] = 0;
  }
}

/** The repetition penalty on the decoder ids (RepetitionPenaltyLogitsProcessor). */
export class DecoderRepetitionPenalty implements SequenceProcessor {
  private readonly penalty: RepetitionPenaltyProcessor;

  constructor(vocabSize: number, penalty: number) {
    this.penalty = new RepetitionPenaltyProcessor(vocabSize, penalty);
  }

  apply(scores: FloatArray, sequence: ArrayLike<number>): void {
    this.penalty.apply(scores, sequence);
  }
}

/** LogitNormalization: scores ← log_softmax(scores), max-subtracted, summed in float64. */
export class LogSoftmaxProcessor implements SequenceProcessor {
  apply(scores: FloatArray): void {
    logSoftmaxInPlace(scores);
  }
}

/** x ← log_softmax(x) in place (all −∞ stays −∞). */
export function logSoftmaxInPlace(x: FloatArray): void {
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) if (x[i]! > max) max = x[i]!;
  if (max === -Infinity) return;
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += Math.exp(x[i]! - max);
  const shift = max + Math.log(sum);
  for (let i = 0; i < x.length; i++) x[i] = x[i]! - shift;
}

/** What the processors are built from (transformers' generation config, resolved). */
export interface ProcessorSettings {
  readonly vocabSize: number;
  readonly eosTokenIds: readonly number[];
  /** Decoder length limit, start token included (max_length). */
  readonly maxLength: number;
  readonly repetitionPenalty: number;
  readonly noRepeatNgramSize: number;
  readonly badWordsIds: readonly (readonly number[])[] | null;
  readonly minLength: number;
  readonly minNewTokens: number;
  readonly forcedBosTokenId: number | null;
  readonly forcedEosTokenIds: readonly number[] | null;
  readonly renormalizeLogits: boolean;
}

/** The processors the settings switch on, in transformers' order (warpers excluded: the sampler applies those). */
export function sequenceProcessors(settings: ProcessorSettings, options: { renormalize: boolean }): SequenceProcessor[] {
  const list: SequenceProcessor[] = [];
  if (settings.repetitionPenalty !== 1) list.push(new DecoderRepetitionPenalty(settings.vocabSize, settings.repetitionPenalty));
  if (settings.noRepeatNgramSize > 0) list.push(new NoRepeatNGramProcessor(settings.noRepeatNgramSize));
  if (settings.badWordsIds !== null) list.push(new BadWordsProcessor(settings.badWordsIds, settings.eosTokenIds));
  if (settings.minLength > 0 && settings.eosTokenIds.length > 0) list.push(new MinLengthProcessor(settings.minLength, settings.eosTokenIds));
  if (settings.minNewTokens > 0 && settings.eosTokenIds.length > 0) list.push(new MinLengthProcessor(settings.minNewTokens, settings.eosTokenIds, 1));
  if (settings.forcedBosTokenId !== null) list.push(new ForcedBosProcessor(settings.forcedBosTokenId));
  if (settings.forcedEosTokenIds !== null) list.push(new ForcedEosProcessor(settings.maxLength, settings.forcedEosTokenIds));
  if (options.renormalize && settings.renormalizeLogits) list.push(new LogSoftmaxProcessor());
  return list;
}

/** Checks a list of token id sequences (bad_words_ids): non-empty lists of ids within the vocabulary. */
export function checkIdSequences(value: unknown, name: string, vocabSize: number): readonly (readonly number[])[] {
  if (!Array.isArray(value) || value.length === 0) throw new OptionError(name, `expected a non-empty list of token id lists, got ${JSON.stringify(value)}`);
  for (const words of value) {
    if (!Array.isArray(words) || words.length === 0 || !words.every((id) => Number.isSafeInteger(id) && id >= 0 && id < vocabSize)) {
      throw new OptionError(name, `${JSON.stringify(words)} is not a non-empty list of token ids in [0, ${vocabSize})`);
    }
  }
  return value as number[][];
}
