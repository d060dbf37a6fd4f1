// The options of encoder–decoder generation: Hugging Face's generation parameters
// in camelCase (max_new_tokens ↔ maxTokens, num_beams ↔ numBeams, …), their
// defaults from the model's generation_config.json (or, for older checkpoints
// without one, the same fields in config.json), and transformers'
// GenerationConfig defaults beneath those (max_length 20, top_k 50, greedy).
// Explicit options win. Fields of a generation config that would change the
// output and that lmscope does not implement are refused by name rather than
// ignored.

import { ConfigError, InputError, OptionError } from "../errors.js";
import type { JsonObject } from "../models/config-reader.js";
import type { Seq2SeqConfig } from "../models/seq2seq/encoder-decoder.js";
import type { EarlyStopping } from "./beam-search.js";
import { resolveSamplingOptions, type ResolvedSamplingOptions, type SamplingOptions } from "./sampling-options.js";
import { checkIdSequences, type ProcessorSettings } from "./sequence-processors.js";

/** Options of both `generate` (streamed) and `generateSequences`. */
export interface Seq2SeqGenerationOptions extends SamplingOptions {
  /** New tokens at most (max_new_tokens); default from the generation config (max_length − 1, transformers' 19). */
  maxTokens?: number;
  /** No eos before this many new tokens (min_new_tokens). */
  minTokens?: number;
  /** No eos before the decoder sequence, start token included, has this length (min_length). */
  minLength?: number;
  /** No n-gram of this size occurs twice in the decoder sequence (no_repeat_ngram_size; 0: off). */
  noRepeatNgramSize?: number;
  /** Token sequences never generated (bad_words_ids). */
  badWordsIds?: readonly (readonly number[])[] | null;
  /** The first generated token (forced_bos_token_id); null: none. */
  forcedBosTokenId?: number | null;
  /** The token(s) forced when the length limit is reached (forced_eos_token_id); null: none. */
  forcedEosTokenId?: number | readonly number[] | null;
  decoderStartTokenId?: number;
  eosTokenId?: number | readonly number[];
  /** log-softmax after the processors (renormalize_logits): beam scores of processed distributions. */
  renormalizeLogits?: boolean;
}

/** Options of `generate`: streamed tokens, greedy or sampled. */
export interface Seq2SeqGenerateOptions extends Seq2SeqGenerationOptions {
  /** Strings that end generation; the stop string itself is not emitted. */
  stop?: readonly string[];
  /** Stop at an end-of-sequence token (default true). */
  stopOnEos?: boolean;
  signal?: AbortSignal;
}

/** Options of `generateSequences`: beam search (numBeams > 1), greedy or sampling. */
export interface SequenceGenerationOptions extends Seq2SeqGenerationOptions {
  numBeams?: number;
  /** Hypothesis score = sum of log-probabilities / length ^ lengthPenalty (default 1). */
  lengthPenalty?: number;
  /** true: stop once numBeams hypotheses are finished; false: while a running beam may still beat them (heuristic); "never": exact. */
  earlyStopping?: EarlyStopping;
  /** Sequences returned per input, best first (≤ numBeams; samples when sampling). */
  numReturnSequences?: number;
}

const COMMON_OPTIONS = [
  "maxTokens", "minTokens", "minLength", "noRepeatNgramSize", "badWordsIds", "forcedBosTokenId", "forcedEosTokenId",
  "decoderStartTokenId", "eosTokenId", "renormalizeLogits",
  "temperature", "topK", "topP", "minP", "repetitionPenalty", "seed", "doSample",
];
export const GENERATE_OPTIONS = new Set([...COMMON_OPTIONS, "stop", "stopOnEos", "signal"]);
export const SEQUENCE_OPTIONS = new Set([...COMMON_OPTIONS, "numBeams", "lengthPenalty", "earlyStopping", "numReturnSequences"]);

/** The generation parameters a model's files set (HF names, read and checked). */
export interface GenerationDefaults {
  readonly maxLength?: number;
  readonly maxNewTokens?: number;
  readonly minLength?: number;
  readonly minNewTokens?: number;
  readonly numBeams?: number;
  readonly lengthPenalty?: number;
  readonly earlyStopping?: EarlyStopping;
  readonly numReturnSequences?: number;
  readonly noRepeatNgramSize?: number;
  readonly badWordsIds?: readonly (readonly number[])[];
  readonly forcedBosTokenId?: number;
  readonly forcedEosTokenIds?: readonly number[];
  readonly decoderStartTokenId?: number;
  readonly eosTokenIds?: readonly number[];
  readonly renormalizeLogits?: boolean;
  readonly doSample?: boolean;
  readonly temperature?: number;
  readonly topK?: number;
  readonly topP?: number;
  readonly minP?: number;
  readonly repetitionPenalty?: number;
}

/** Fields that change what transformers generates and that lmscope does not implement, with their neutral values. */
const UNSUPPORTED: Record<string, (value: unknown) => boolean> = {
  num_beam_groups: (v) => v === 1,
  diversity_penalty: (v) => v === 0,
  typical_p: (v) => v === 1,
  epsilon_cutoff: (v) => v === 0,
  eta_cutoff: (v) => v === 0,
  encoder_repetition_penalty: (v) => v === 1,
  encoder_no_repeat_ngram_size: (v) => v === 0,
  suppress_tokens: (v) => Array.isArray(v) && v.length === 0,
  begin_suppress_tokens: (v) => Array.isArray(v) && v.length === 0,
  forced_decoder_ids: (v) => Array.isArray(v) && v.length === 0,
  sequence_bias: () => false,
  exponential_decay_length_penalty: () => false,
  guidance_scale: (v) => v === 1,
  constraints: () => false,
  force_words_ids: () => false,
  penalty_alpha: (v) => v === 0,
  top_h: () => false,
  watermarking_config: () => false,
  stop_strings: () => false,
  max_time: () => false,
  low_memory: (v) => v === false,
};

/**
 * The generation parameters of generation_config.json, or of config.json for a
 * checkpoint without one (`source` names the file in errors).
 */
export function generationDefaultsFromJson(json: JsonObject, source: string): GenerationDefaults {
  const fail = (key: string, expected: string): never => {
    throw new ConfigError(source, `"${key}" must be ${expected}, got ${JSON.stringify(json[key])}`);
  };
  const present = (key: string): boolean => json[key] !== undefined && json[key] !== null;
  const integer = (key: string, min: number): number | undefined => {
    if (!present(key)) return undefined;
    const v = json[key];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) fail(key, `an integer ≥ ${min}`);
    return v as number;
  };
  const number = (key: string): number | undefined => {
    if (!present(key)) return undefined;
    const v = json[key];
    if (typeof v !== "number" || !Number.isFinite(v)) fail(key, "a number");
    return v as number;
  };
  const boolean = (key: string): boolean | undefined => {
    if (!present(key)) return undefined;
    if (typeof json[key] !== "boolean") fail(key, "true or false");
    return json[key] as boolean;
  };
  const ids = (key: string): number[] | undefined => {
    if (!present(key)) return undefined;
    const v = json[key];
    const list = Array.isArray(v) ? v : [v];
    if (!list.every((id) => typeof id === "number" && Number.isSafeInteger(id) && id >= 0)) fail(key, "a token id or a list of them");
    return list as number[];
  };
  for (const [key, neutral] of Object.entries(UNSUPPORTED)) {
    if (present(key) && !neutral(json[key])) {
      throw new ConfigError(source, `"${key}" (${JSON.stringify(json[key])}) changes generation in a way lmscope does not implement; remove it from the file to generate without it`);
    }
  }
  let earlyStopping: EarlyStopping | undefined;
  if (present("early_stopping")) {
    const v = json["early_stopping"];
    if (v !== true && v !== false && v !== "never") fail("early_stopping", 'true, false or "never"');
    earlyStopping = v as EarlyStopping;
  }
  let badWordsIds: number[][] | undefined;
  if (present("bad_words_ids")) {
    const v = json["bad_words_ids"];
    if (!Array.isArray(v) || v.length === 0 || !v.every((w) => Array.isArray(w) && w.length > 0 && w.every((id) => Number.isSafeInteger(id) && id >= 0))) {
      fail("bad_words_ids", "a non-empty list of non-empty token id lists");
    }
    badWordsIds = v as number[][];
  }
  const defaults: Record<string, unknown> = {
    maxLength: integer("max_length", 1),
    maxNewTokens: integer("max_new_tokens", 0),
    minLength: integer("min_length", 0),
    minNewTokens: integer("min_new_tokens", 0),
    numBeams: integer("num_beams", 1),
    lengthPenalty: number("length_penalty"),
    earlyStopping,
    numReturnSequences: integer("num_return_sequences", 1),
    noRepeatNgramSize: integer("no_repeat_ngram_size", 0),
    badWordsIds,
    forcedBosTokenId: ids("forced_bos_token_id")?.[0],
    forcedEosTokenIds: ids("forced_eos_token_id"),
    decoderStartTokenId: ids("decoder_start_token_id")?.[0],
    eosTokenIds: ids("eos_token_id"),
    renormalizeLogits: boolean("renormalize_logits"),
    doSample: boolean("do_sample"),
    temperature: number("temperature"),
    topK: integer("top_k", 0),
    topP: number("top_p"),
    minP: number("min_p"),
    repetitionPenalty: number("repetition_penalty"),
  };
  for (const key of Object.keys(defaults)) if (defaults[key] === undefined) delete defaults[key];
  return defaults as GenerationDefaults;
}

/** Everything one generation call runs with. */
export interface ResolvedSeq2SeqGeneration {
  readonly decoderStartTokenId: number;
  readonly eosTokenIds: readonly number[];
  /** Decoder length limit, start token included (transformers' max_length = 1 + max_new_tokens). */
  readonly maxLength: number;
  readonly processors: ProcessorSettings;
  readonly sampling: ResolvedSamplingOptions;
  readonly numBeams: number;
  readonly lengthPenalty: number;
  readonly earlyStopping: EarlyStopping;
  readonly numReturnSequences: number;
}

/** transformers' GenerationConfig default of max_length. */
const HF_MAX_LENGTH = 20;
/** transformers' GenerationConfig default of top_k (used when sampling). */
const HF_TOP_K = 50;

/**
 * The settings of one call: explicit options, then the model's generation
 * defaults, then transformers'. Unknown option names are refused.
 */
export function resolveSeq2SeqGeneration(
  options: SequenceGenerationOptions & Seq2SeqGenerateOptions,
  allowed: ReadonlySet<string>,
  defaults: GenerationDefaults,
  config: Seq2SeqConfig,
): ResolvedSeq2SeqGeneration {
  if (typeof options !== "object" || options === null) throw new OptionError("options", "expected an object of generation options");
  for (const key of Object.keys(options)) {
    if (!allowed.has(key)) {
      const hint = key === "numBeams" ? " (beam search is generateSequences'; generate streams greedy or sampled tokens)" : "";
      throw new OptionError(key, `unknown generation option${hint} (known: ${[...allowed].join(", ")})`);
    }
  }
  const vocab = config.vocabSize;
  const tokenId = (name: string, value: unknown): number => {
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0 || value >= vocab) {
      throw new OptionError(name, `expected a token id in [0, ${vocab}), got ${JSON.stringify(value)}`);
    }
    return value;
  };
  const tokenIds = (name: string, value: unknown): number[] => (Array.isArray(value) ? value : [value]).map((id) => tokenId(name, id));
  const count = (name: string, value: unknown, min: number): number => {
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) throw new OptionError(name, `expected an integer ≥ ${min}, got ${JSON.stringify(value)}`);
    return value;
  };

  const decoderStartTokenId = tokenId("decoderStartTokenId", options.decoderStartTokenId ?? defaults.decoderStartTokenId ?? config.decoderStartTokenId);
  const eosTokenIds = tokenIds("eosTokenId", options.eosTokenId ?? defaults.eosTokenIds ?? config.eosTokenIds);
  let maxLength: number;
  if (options.maxTokens !== undefined) maxLength = 1 + count("maxTokens", options.maxTokens, 0);
  else if (defaults.maxNewTokens !== undefined) maxLength = 1 + defaults.maxNewTokens;
  else maxLength = defaults.maxLength ?? HF_MAX_LENGTH;
  // The decoder reads the start token and every generated token but the last.
  if (maxLength - 1 > config.maxTargetPositions) {
    throw new InputError(
      `generating ${maxLength - 1} tokens needs ${maxLength - 1} decoder positions (the start token included, the last token never read back), ` +
        `but the model's decoder takes ${config.maxTargetPositions}; ask for at most ${config.maxTargetPositions} tokens (maxTokens)`,
    );
  }
  const forcedEos = options.forcedEosTokenId !== undefined ? options.forcedEosTokenId : defaults.forcedEosTokenIds;
  const forcedBos = options.forcedBosTokenId !== undefined ? options.forcedBosTokenId : defaults.forcedBosTokenId;
  const badWords = options.badWordsIds !== undefined ? options.badWordsIds : defaults.badWordsIds;
  const renormalize = options.renormalizeLogits ?? defaults.renormalizeLogits ?? false;
  if (typeof renormalize !== "boolean") throw new OptionError("renormalizeLogits", `expected a boolean, got ${JSON.stringify(renormalize)}`);
  const processors: ProcessorSettings = {
    vocabSize: vocab,
    eosTokenIds,
    maxLength,
    repetitionPenalty: options.repetitionPenalty ?? defaults.repetitionPenalty ?? 1,
    noRepeatNgramSize: count("noRepeatNgramSize", options.noRepeatNgramSize ?? defaults.noRepeatNgramSize ?? 0, 0),
    badWordsIds: badWords === undefined || badWords === null ? null : checkIdSequences(badWords, "badWordsIds", vocab),
    minLength: count("minLength", options.minLength ?? defaults.minLength ?? 0, 0),
    minNewTokens: count("minTokens", options.minTokens ?? defaults.minNewTokens ?? 0, 0),
    forcedBosTokenId: forcedBos === undefined || forcedBos === null ? null : tokenId("forcedBosTokenId", forcedBos),
    forcedEosTokenIds: forcedEos === undefined || forcedEos === null ? null : tokenIds("forcedEosTokenId", forcedEos),
    renormalizeLogits: renormalize,
  };

  // Sampling: an explicit doSample decides; otherwise explicit sampling parameters switch it
  // on (unless temperature is 0); otherwise the generation config (transformers: greedy).
  const explicitSampling = ["temperature", "topK", "topP", "minP"].some((k) => (options as Record<string, unknown>)[k] !== undefined);
  const doSample = options.doSample ?? (explicitSampling ? options.temperature !== 0 : (defaults.doSample ?? false));
  const sampling = resolveSamplingOptions({
    temperature: options.temperature ?? defaults.temperature ?? 1,
    topK: options.topK ?? defaults.topK ?? HF_TOP_K,
    topP: options.topP ?? defaults.topP ?? 1,
    minP: options.minP ?? defaults.minP ?? 0,
    repetitionPenalty: 1, // applied among the processors, in transformers' order
    seed: options.seed,
    doSample,
  });
  if (!Number.isFinite(processors.repetitionPenalty) || processors.repetitionPenalty <= 0) {
    throw new OptionError("repetitionPenalty", `expected a finite number > 0, got ${processors.repetitionPenalty}`);
  }

  const numBeams = count("numBeams", options.numBeams ?? defaults.numBeams ?? 1, 1);
  const numReturnSequences = count("numReturnSequences", options.numReturnSequences ?? defaults.numReturnSequences ?? 1, 1);
  const lengthPenalty = options.lengthPenalty ?? defaults.lengthPenalty ?? 1;
  if (typeof lengthPenalty !== "number" || !Number.isFinite(lengthPenalty)) throw new OptionError("lengthPenalty", `expected a finite number, got ${JSON.stringify(lengthPenalty)}`);
  const earlyStopping = options.earlyStopping ?? defaults.earlyStopping ?? false;
  if (earlyStopping !== true && earlyStopping !== false && earlyStopping !== "never") {
    throw new OptionError("earlyStopping", `expected true, false or "never", got ${JSON.stringify(earlyStopping)}`);
  }
  if (numBeams > 1 && sampling.doSample) throw new OptionError("doSample", "beam search with sampling (beam-sample) is not implemented; use numBeams 1 to sample");
  if (numReturnSequences > numBeams && !sampling.doSample) {
    throw new OptionError("numReturnSequences", `${numReturnSequences} sequences need numBeams ≥ ${numReturnSequences} (or sampling)`);
  }
  return { decoderStartTokenId, eosTokenIds, maxLength, processors, sampling, numBeams, lengthPenalty, earlyStopping, numReturnSequences };
}
