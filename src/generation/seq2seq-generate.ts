// Generation with an encoder–decoder model: the input is encoded once, then the
// decoder starts from decoder_start_token_id and runs a token per step on its KV
// cache, every step reading the encoder's cross-attention keys and values.
//
//   generate           streams the new tokens as text pieces, greedy or sampled
//                      (the decoders' generate, for a source text)
//   generateSequences  whole sequences with their scores: beam search as
//                      transformers runs it (beam-search.ts), or greedy / sampled
//                      sequences when numBeams is 1; one list per input
//
// Both apply transformers' logits processors (sequence-processors.ts) and its
// generation defaults (seq2seq-options.ts). A batch of inputs runs input by input:
// each gets the result transformers gives it alone (see the README for the
// difference a padded batch can make).

import { InputError } from "../errors.js";
import type { DecoderState, EncodedInput, Seq2SeqNetwork } from "../models/seq2seq/encoder-decoder.js";
import type { StreamDecoder, Tokenizer } from "../tokenizers/tokenizer.js";
import { beamSearch, type BeamHypothesis, type BeamStepper } from "./beam-search.js";
import type { FinishReason, GenerationPiece } from "./generate.js";
import { Sampler } from "./sampler.js";
import {
  GENERATE_OPTIONS,
  resolveSeq2SeqGeneration,
  SEQUENCE_OPTIONS,
  type GenerationDefaults,
  type ResolvedSeq2SeqGeneration,
  type Seq2SeqGenerateOptions,
  type SequenceGenerationOptions,
} from "./seq2seq-options.js";
import { logSoftmaxInPlace, sequenceProcessors, type SequenceProcessor } from "./sequence-processors.js";
import { StopStringMatcher } from "./stop-strings.js";

/** The encoder's input: a text (encoded with the model's tokenizer, special tokens added) or token ids. */
export type Seq2SeqInput = string | { readonly ids: readonly number[] };

export interface Seq2SeqGenerationResult {
  readonly finishReason: FinishReason;
  /** The generated ids (the decoder start token excluded; a final eos is not part of them). */
  readonly ids: readonly number[];
}

/** One generated sequence: its ids (start token excluded, final eos included) and its score. */
export type GeneratedSequence = BeamHypothesis;

/** The token ids of an input, checked against the encoder's vocabulary and length. */
export function encoderInputIds(network: Seq2SeqNetwork, tokenizer: Tokenizer | null, input: Seq2SeqInput): number[] {
  let ids: number[];
  if (typeof input === "string") {
    if (tokenizer === null) throw new InputError("this model has no tokenizer, so the input must be given as { ids }");
    ids = tokenizer.encode(input, { addSpecialTokens: true });
  } else if (typeof input === "object" && input !== null && Array.isArray(input.ids)) {
    ids = [...input.ids];
  } else {
    throw new InputError("the input must be a text or { ids: [...] }");
  }
  const { sourceVocabSize, maxSourcePositions } = network.config;
  if (ids.length === 0) throw new InputError("the input is empty: the encoder needs at least one token");
  if (ids.length > maxSourcePositions) {
    throw new InputError(`the input has ${ids.length} tokens, more than the ${maxSourcePositions} the model's encoder takes; shorten it`);
  }
  ids.forEach((id, i) => {
    if (!Number.isSafeInteger(id) || id < 0 || id >= sourceVocabSize) throw new InputError(`input token ${i} is ${id}, outside the vocabulary [0, ${sourceVocabSize})`);
  });
  return ids;
}

/** Streams the tokens generated for one input (greedy or sampled). */
export async function* generateSeq2Seq(
  network: Seq2SeqNetwork,
  tokenizer: Tokenizer | null,
  input: Seq2SeqInput,
  options: Seq2SeqGenerateOptions,
  defaults: GenerationDefaults,
): AsyncGenerator<GenerationPiece, Seq2SeqGenerationResult> {
  const settings = resolveSeq2SeqGeneration(options, GENERATE_OPTIONS, defaults, network.config);
  if (options.stop !== undefined && !Array.isArray(options.stop)) throw new InputError("stop must be an array of strings");
  const ids = encoderInputIds(network, tokenizer, input);
  const stopper = new StopStringMatcher(options.stop ?? []);
  const stopOnEos = options.stopOnEos ?? true;
  const decoder: StreamDecoder | null = tokenizer?.decodeStream({ skipSpecialTokens: true }) ?? null;
  const generated: number[] = [];
  const finish = (finishReason: FinishReason): Seq2SeqGenerationResult => ({ finishReason, ids: generated });
  const encoded = network.encode(ids, null);
  const run = new DecodingRun(network, encoded, settings);
  try {
    while (run.canContinue) {
      if (options.signal?.aborted === true) return finish("abort");
      const id = run.next();
      if (stopOnEos && settings.eosTokenIds.includes(id)) {
        const rest = stopper.push(decoder?.flush() ?? "").text + stopper.flush();
        if (rest !== "") yield { text: rest, tokenId: null };
        return finish("eos");
      }
      generated.push(id);
      const { text, stopped } = stopper.push(decoder?.push(id) ?? "");
      yield { text, tokenId: id };
      if (stopped) return finish("stop");
      run.append(id);
    }
  } finally {
    run.release();
    network.releaseEncoded(encoded);
  }
  const rest = stopper.push(decoder?.flush() ?? "");
  const tail = rest.text + (rest.stopped ? "" : stopper.flush());
  if (tail !== "") yield { text: tail, tokenId: null };
  return finish(rest.stopped ? "stop" : "length");
}

/** Whole sequences for each input: beam search when numBeams > 1, else greedy or sampled. */
export function generateSequences(
  network: Seq2SeqNetwork,
  tokenizer: Tokenizer | null,
  inputs: readonly Seq2SeqInput[],
  options: SequenceGenerationOptions,
  defaults: GenerationDefaults,
): GeneratedSequence[][] {
  const settings = resolveSeq2SeqGeneration(options, SEQUENCE_OPTIONS, defaults, network.config);
  const idsOfInputs = inputs.map((input) => encoderInputIds(network, tokenizer, input));
  // One sampler for the whole call: the draws of a seeded run follow one another across inputs.
  const sampler = new Sampler(network.config.vocabSize, settings.sampling);
  return idsOfInputs.map((ids) => {
    const encoded = network.encode(ids, null);
    try {
      if (settings.numBeams > 1) return searchBeams(network, encoded, settings);
      return Array.from({ length: settings.numReturnSequences }, () => decodeSequence(network, encoded, settings, sampler));
    } finally {
      network.releaseEncoded(encoded);
    }
  });
}

/** A greedy or sampled decoder run over one encoded input, a token at a time. */
class DecodingRun {
  private readonly state: DecoderState;
  private readonly sequence: Int32Array;
  private length = 1;
  private readonly processors: SequenceProcessor[];
  readonly sampler: Sampler;
  /** [vocab] the processed scores of the last step. */
  readonly scores: Float32Array;

  constructor(
    private readonly network: Seq2SeqNetwork,
    private readonly encoded: EncodedInput,
    private readonly settings: ResolvedSeq2SeqGeneration,
    sampler?: Sampler,
  ) {
    const { maxLength, decoderStartTokenId } = settings;
    this.state = network.acquireState(maxLength - 1); // the last token is never read back
    this.sequence = new Int32Array(maxLength);
    this.sequence[0] = decoderStartTokenId;
    this.processors = sequenceProcessors(settings.processors, { renormalize: false });
    this.sampler = sampler ?? new Sampler(network.config.vocabSize, settings.sampling);
    this.scores = new Float32Array(network.config.vocabSize);
    network.decode(this.sequence.subarray(0, 1), this.state, encoded, this.state.logits, "last");
  }

  get canContinue(): boolean {
    return this.length < this.settings.maxLength;
  }

  /** The next token: the processors on this step's logits, then the sampler (argmax when greedy). */
  next(): number {
    const scores = this.scores;
    scores.set(this.state.logits);
    const sequence = this.sequence.subarray(0, this.length);
    for (const processor of this.processors) processor.apply(scores, sequence);
    return this.sampler.sample(scores);
  }

  /** Appends the chosen token and computes the next step's logits (when there is a next step). */
  append(id: number): void {
    this.sequence[this.length++] = id;
    if (this.canContinue) this.network.decode(this.sequence.subarray(this.length - 1, this.length), this.state, this.encoded, this.state.logits, "last");
  }

  release(): void {
    this.network.releaseState(this.state);
  }
}

/** One greedy or sampled sequence to eos or the length limit, scored like a beam hypothesis. */
function decodeSequence(network: Seq2SeqNetwork, encoded: EncodedInput, settings: ResolvedSeq2SeqGeneration, sampler: Sampler): GeneratedSequence {
  const run = new DecodingRun(network, encoded, settings, sampler);
  const logProbs = new Float64Array(network.config.vocabSize);
  const ids: number[] = [];
  let sum = 0;
  try {
    while (run.canContinue) {
      const id = run.next();
      logProbs.set(run.scores);
      logSoftmaxInPlace(logProbs);
      sum += logProbs[id]!;
      ids.push(id);
      if (settings.eosTokenIds.includes(id)) break;
      run.append(id);
    }
  } finally {
    run.release();
  }
  return { ids, score: sum / ids.length ** settings.lengthPenalty };
}

function searchBeams(network: Seq2SeqNetwork, encoded: EncodedInput, settings: ResolvedSeq2SeqGeneration): GeneratedSequence[] {
  const stepper = new NetworkBeamStepper(network, encoded, settings.numBeams, settings.maxLength, settings.decoderStartTokenId);
  try {
    return beamSearch(stepper, sequenceProcessors(settings.processors, { renormalize: true }), {
      numBeams: settings.numBeams,
      maxLength: settings.maxLength,
      lengthPenalty: settings.lengthPenalty,
      earlyStopping: settings.earlyStopping,
      numReturnSequences: settings.numReturnSequences,
      eosTokenIds: settings.eosTokenIds,
      prompt: [settings.decoderStartTokenId],
    });
  } finally {
    stepper.release();
  }
}

/**
 * The beams of one input on the network: a decoder state (KV cache) per beam, all
 * reading the input's one set of cross-attention keys and values. When beams are
 * reordered, a beam taking over its parent's state uses it in place; only the
 * further children of a parent get copies of its cache.
 */
class NetworkBeamStepper implements BeamStepper {
  readonly vocabSize: number;
  private states: DecoderState[];
  private readonly step = new Int32Array(1);

  constructor(
    private readonly network: Seq2SeqNetwork,
    private readonly encoded: EncodedInput,
    numBeams: number,
    maxLength: number,
    private readonly startTokenId: number,
  ) {
    this.vocabSize = network.config.vocabSize;
    this.states = Array.from({ length: numBeams }, () => network.acquireState(maxLength - 1)); // the last token is never read back
  }

  first(): Float32Array {
    const [first, ...others] = this.states;
    this.step[0] = this.startTokenId;
    this.network.decode(this.step, first!, this.encoded, first!.logits, "last");
    for (const state of others) this.network.copyState(first!, state);
    return first!.logits;
  }

  advance(parents: Int32Array, tokens: Int32Array): void {
    const old = this.states;
    const claimed = new Array<boolean>(old.length).fill(false);
    const next: (DecoderState | null)[] = Array.from(parents, (parent) => {
      if (claimed[parent]) return null;
      claimed[parent] = true;
      return old[parent]!;
    });
    const spare = old.filter((_, b) => !claimed[b]);
    next.forEach((state, b) => {
      if (state !== null) return;
      const copy = spare.pop()!;
      this.network.copyState(old[parents[b]!]!, copy);
      next[b] = copy;
    });
    this.states = next as DecoderState[];
    this.states.forEach((state, b) => {
      this.step[0] = tokens[b]!;
      this.network.decode(this.step, state, this.encoded, state.logits, "last");
    });
  }

  logitsOf(beam: number): Float32Array {
    return this.states[beam]!.logits;
  }

  release(): void {
    for (const state of this.states) this.network.releaseState(state);
  }
}
