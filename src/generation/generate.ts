// The generation loop: prefill the whole prompt in one pass, then one token per
// step reusing the sequence's state (a decoder's KV cache, a recurrent network's
// hidden state); each step's logits go through the sampler, the new token
// through the streaming decoder (never splitting a UTF-8 character) and the
// stop-string matcher. The state and logits buffer come from the model's pool
// (reused across calls), the history is sized for prompt + maxTokens once per
// call; a step allocates nothing large.

import { InputError, OptionError } from "../errors.js";
import type { ForwardObserver } from "../nn/observer.js";
import type { StreamDecoder, Tokenizer } from "../tokenizers/tokenizer.js";
import { Sampler, type SamplerDecision } from "./sampler.js";
import type { SamplingOptions } from "./sampling-options.js";
import { StopStringMatcher } from "./stop-strings.js";

export interface GenerateOptions extends SamplingOptions {
  /** New tokens to generate at most. Default: until the context window is full. */
  maxTokens?: number;
  /** Strings that end generation; the stop string itself is not emitted. */
  stop?: readonly string[];
  /** Stop when the model emits an end-of-sequence token. Default true. */
  stopOnEos?: boolean;
  /** Aborts generation between two steps. */
  signal?: AbortSignal;
  /** Attach the sampler's decision to every piece: true lists 10 candidates, a number that many. */
  trace?: boolean | number;
  /** Sees (and may change) the capture points of every forward pass (interventions; nn/observer.ts). */
  observer?: ForwardObserver | null;
}

const OPTION_NAMES = new Set([
  "maxTokens",
  "stop",
  "stopOnEos",
  "signal",
  "temperature",
  "topK",
  "topP",
  "minP",
  "repetitionPenalty",
  "seed",
  "doSample",
  "trace",
  "observer",
]);

/** Positions a KV cache starts with beyond the prompt when generation runs until the window is full. */
const OPEN_ENDED_START = 256;

/** A prompt as text (encoded with the model's tokenizer, special tokens added) or as token ids. */
export type Prompt = string | { readonly ids: readonly number[] };

export interface GenerationPiece {
  /** Text completed by this token ("" while a multi-byte character is still partial). */
  readonly text: string;
  /** The generated token, or null for the text still held back when generation ends. */
  readonly tokenId: number | null;
  /** How the sampler chose it (with the `trace` option). */
  readonly decision?: SamplerDecision;
}

/**
 * What the loop needs of a network: per-sequence states from a pool, and a
 * forward that consumes ids from a state and leaves the last one's logits.
 * DecoderOnlyModel (the state is a KV cache) and the recurrent networks (the
 * hidden states) both have this shape.
 */
export interface StepwiseNetwork<Cache> {
  readonly config: {
    readonly vocabSize: number;
    /** Longest sequence (prompt + generated) the network reads; Infinity when unbounded (a recurrent network). */
    readonly contextLength: number;
    readonly bosTokenId: number | undefined;
    readonly eosTokenIds: readonly number[];
  };
  /**
   * A fresh state for a sequence of up to `capacity` tokens, with a [vocab] logits
   * buffer; `expected` (≤ capacity) is how many it will probably hold (a KV cache
   * starts at that size and grows).
   */
  acquireState(capacity: number, expected?: number): { readonly cache: Cache; readonly logits: Float32Array };
  releaseState(state: { readonly cache: Cache; readonly logits: Float32Array }): void;
  /** Feeds ids after those the state has seen; writes the last one's logits. An observer sees the capture points. */
  forward(ids: ArrayLike<number>, cache: Cache, logits: Float32Array, rows: "last", observer?: ForwardObserver | null): void;
}

export type FinishReason = "length" | "eos" | "stop" | "abort";

export interface GenerationResult {
  readonly finishReason: FinishReason;
  /** Prompt ids followed by the generated ids. */
  readonly ids: readonly number[];
}

export function checkOptions(options: GenerateOptions): void {
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.has(key)) {
      throw new OptionError(key, `unknown generation option (known: ${[...OPTION_NAMES].join(", ")})`);
    }
  }
  const { maxTokens } = options;
  if (maxTokens !== undefined && (!Number.isSafeInteger(maxTokens) || maxTokens < 0)) {
    throw new OptionError("maxTokens", `expected an integer ≥ 0, got ${maxTokens}`);
  }
  if (options.stop !== undefined && !Array.isArray(options.stop)) {
    throw new OptionError("stop", "expected an array of strings");
  }
  const { trace } = options;
  if (trace !== undefined && typeof trace !== "boolean" && !(Number.isSafeInteger(trace) && trace > 0)) {
    throw new OptionError("trace", `expected true, false or a positive number of candidates, got ${String(trace)}`);
  }
}

export function promptIds(network: Pick<StepwiseNetwork<unknown>, "config">, tokenizer: Tokenizer | null, prompt: Prompt): number[] {
  let ids: number[];
  if (typeof prompt === "string") {
    if (tokenizer === null) throw new InputError("this model has no tokenizer, so the prompt must be given as { ids }");
    ids = tokenizer.encode(prompt, { addSpecialTokens: true });
  } else {
    ids = [...prompt.ids];
  }
  if (ids.length === 0) {
    const bos = network.config.bosTokenId;
    if (bos === undefined) throw new InputError("the prompt is empty and the model defines no BOS token to start from");
    ids = [bos];
  }
  const vocab = network.config.vocabSize;
  ids.forEach((id, i) => {
    if (!Number.isSafeInteger(id) || id < 0 || id >= vocab) {
      throw new InputError(`prompt token ${i} is ${id}, outside the vocabulary [0, ${vocab})`);
    }
  });
  return ids;
}

export async function* generate<Cache>(
  network: StepwiseNetwork<Cache>,
  tokenizer: Tokenizer | null,
  prompt: Prompt,
  options: GenerateOptions = {},
): AsyncGenerator<GenerationPiece, GenerationResult> {
  checkOptions(options);
  const { vocabSize, contextLength, eosTokenIds } = network.config;
  const ids = promptIds(network, tokenizer, prompt);
  if (ids.length >= contextLength) {
    throw new InputError(
      `the prompt has ${ids.length} tokens, but the context window is ${contextLength}: ` +
        `shorten it to at most ${contextLength - 1} tokens to generate anything`,
    );
  }
  if (options.maxTokens === undefined && contextLength === Infinity) {
    throw new OptionError("maxTokens", "this model has no context window that would end generation (a recurrent network): give maxTokens");
  }
  const maxTokens = options.maxTokens ?? contextLength - ids.length;
  if (ids.length + maxTokens > contextLength) {
    throw new InputError(
      `prompt (${ids.length} tokens) + maxTokens (${maxTokens}) exceeds the context window of ${contextLength}; ` +
        `ask for at most ${contextLength - ids.length} tokens`,
    );
  }
  const sampler = new Sampler(vocabSize, options);
  const stopper = new StopStringMatcher(options.stop ?? []);
  const stopOnEos = options.stopOnEos ?? true;
  const traceTop = options.trace === true ? 10 : typeof options.trace === "number" ? options.trace : 0;
  const observer = options.observer ?? null;
  // Open-ended generation (no maxTokens) sizes its buffers for what it has seen, and grows them.
  const expected = options.maxTokens === undefined ? Math.min(ids.length + maxTokens, ids.length + OPEN_ENDED_START) : ids.length + maxTokens;
  let history = new Int32Array(expected); // prompt, then generated ids
  history.set(ids);
  let length = ids.length;
  // Special tokens (BOS, EOS, …) are not part of the text, as in HF text-generation pipelines.
  const decoder: StreamDecoder | null = tokenizer?.decodeStream({ skipSpecialTokens: true }) ?? null;
  for (const id of ids) decoder?.push(id);

  const finish = (finishReason: FinishReason): GenerationResult => ({
    finishReason,
    ids: Array.from(history.subarray(0, length)),
  });
  if (maxTokens === 0) return finish("length");

  const state = network.acquireState(ids.length + maxTokens, expected);
  const { cache, logits } = state; // logits: [vocab] of the last position
  const step = new Int32Array(1); // the token fed back in
  try {
    observer?.beginSequence?.(0);
    network.forward(ids, cache, logits, "last", observer);
    for (let generated = 0; generated < maxTokens; generated++) {
      if (options.signal?.aborted === true) return finish("abort");
      const decision = traceTop > 0 ? sampler.decide(logits, history.subarray(0, length), traceTop) : undefined;
      const id = decision?.chosen ?? sampler.sample(logits, history.subarray(0, length));
      if (stopOnEos && eosTokenIds.includes(id)) {
        const rest = stopper.push(decoder?.flush() ?? "").text + stopper.flush();
        if (rest !== "") yield { text: rest, tokenId: null };
        return finish("eos");
      }
      if (length === history.length) history = grown(history);
      history[length++] = id;
      const { text, stopped } = stopper.push(decoder?.push(id) ?? "");
      yield decision === undefined ? { text, tokenId: id } : { text, tokenId: id, decision };
      if (stopped) return finish("stop");
      if (generated + 1 < maxTokens) {
        step[0] = id;
        network.forward(step, cache, logits, "last", observer);
      }
    }
  } finally {
    network.releaseState(state);
  }
  const rest = stopper.push(decoder?.flush() ?? "");
  const tail = rest.text + (rest.stopped ? "" : stopper.flush());
  if (tail !== "") yield { text: tail, tokenId: null };
  return finish(rest.stopped ? "stop" : "length");
}

/** A copy of ids with twice the room. */
function grown(ids: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const bigger = new Int32Array(2 * ids.length);
  bigger.set(ids);
  return bigger;
}
