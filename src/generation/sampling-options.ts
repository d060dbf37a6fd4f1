// The options of the decoding strategy, with Hugging Face transformers'
// generation names (temperature, top_k, top_p, min_p, repetition_penalty,
// do_sample) in camelCase, validated and given their defaults in one place.
//
// Departure from transformers: sampling is on by default (doSample true,
// temperature 1, like llama2.c), and the seed has a fixed default so that two
// runs with the same options produce the same text unless a seed is given.
import { OptionError } from "../errors.js";

export interface SamplingOptions {
  /** Divides the logits before softmax. 0 means greedy. Default 1. */
  temperature?: number;
  /** Keep only the k most probable tokens. 0 (default) turns it off; k ≥ vocabulary size keeps all. */
  topK?: number;
  /** Keep the smallest set of most probable tokens whose probability sums to at least topP. In (0, 1]; 1 (default) turns it off. */
  topP?: number;
  /** Drop tokens whose probability is below minP times the top token's. In [0, 1]; 0 (default) turns it off. */
  minP?: number;
  /** CTRL repetition penalty for tokens already seen: > 0; 1 (default) turns it off. */
  repetitionPenalty?: number;
  /** Seed of the random generator: a safe integer. Default DEFAULT_SEED. */
  seed?: number;
  /** false means greedy (argmax) whatever the other options. Default true. */
  doSample?: boolean;
}

/** Every option present and checked. `doSample` is false when decoding is greedy (temperature 0 or doSample false). */
export type ResolvedSamplingOptions = Readonly<Required<SamplingOptions>>;

/** The seed used when none is given, so runs are reproducible by default. */
export const DEFAULT_SEED = 0;

/**
 * Checks every option and fills in the defaults. Options left undefined take
 * their default; keys this function does not know are ignored, so a caller may
 * pass its whole generation options object.
 */
export function resolveSamplingOptions(options: SamplingOptions): ResolvedSamplingOptions {
  const temperature = numberOption(options.temperature, "temperature", 1);
  if (!Number.isFinite(temperature) || temperature < 0) {
    throw new OptionError("temperature", `expected a finite number ≥ 0, got ${temperature}`);
  }
  const topK = numberOption(options.topK, "topK", 0);
  if (!Number.isSafeInteger(topK) || topK < 0) {
    throw new OptionError("topK", `expected an integer ≥ 0 (0 turns it off), got ${topK}`);
  }
  const topP = numberOption(options.topP, "topP", 1);
  if (!(topP > 0 && topP <= 1)) {
    throw new OptionError("topP", `expected a number in (0, 1] (1 turns it off), got ${topP}`);
  }
  const minP = numberOption(options.minP, "minP", 0);
  if (!(minP >= 0 && minP <= 1)) {
    throw new OptionError("minP", `expected a number in [0, 1] (0 turns it off), got ${minP}`);
  }
  const repetitionPenalty = numberOption(options.repetitionPenalty, "repetitionPenalty", 1);
  if (!Number.isFinite(repetitionPenalty) || repetitionPenalty <= 0) {
    throw new OptionError("repetitionPenalty", `expected a finite number > 0 (1 turns it off), got ${repetitionPenalty}`);
  }
  const seed = numberOption(options.seed, "seed", DEFAULT_SEED);
  if (!Number.isSafeInteger(seed)) {
    throw new OptionError("seed", `expected a safe integer, got ${seed}`);
  }
  const doSample: unknown = options.doSample ?? true;
  if (typeof doSample !== "boolean") {
    throw new OptionError("doSample", `expected a boolean, got ${typeof doSample}`);
  }
  return { temperature, topK, topP, minP, repetitionPenalty, seed, doSample: doSample && temperature !== 0 };
}

/** The option's value, or its default when undefined; anything but a number is an error. */
function numberOption(value: unknown, name: string, defaultValue: number): number {
  if (value === undefined) return defaultValue;
  if (typeof value !== "number") {
    throw new OptionError(name, `expected a number, got ${value === null ? "null" : typeof value}`);
  }
  return value;
}
