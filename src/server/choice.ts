// One choice of a completion request: the decoding of one sequence, step by step,
// as generation/generate.ts decodes (the sampler, stop strings, the streaming
// detokenizer that never splits a character, end-of-sequence ids), driven by the
// scheduler instead of a loop of its own — the scheduler hands it the logits after
// each step (its slot's, or its row of a batched step) and feeds back the id it
// returns. OpenAI's presence and frequency penalties apply to the tokens generated
// so far, before the sampler's own repetition penalty and temperature.

import { PresenceFrequencyPenaltyProcessor } from "../generation/logits-processors.js";
import { Sampler } from "../generation/sampler.js";
import type { SamplingOptions } from "../generation/sampling-options.js";
import { StopStringMatcher } from "../generation/stop-strings.js";
import type { StreamDecoder, Tokenizer } from "../tokenizers/tokenizer.js";
import { tokenLogprob, type TokenLogprob } from "./logprobs.js";
import type { SequenceTask } from "./scheduler.js";

export type ChoiceFinishReason = "stop" | "length";

export interface ChoiceSettings {
  /** The choice's index in the answer. */
  readonly index: number;
  /** Prompt ids the sequence starts from. */
  readonly prompt: readonly number[];
  /** New tokens at most (the prompt plus these fit the context). */
  readonly maxTokens: number;
  readonly sampling: SamplingOptions;
  readonly presencePenalty: number;
  readonly frequencyPenalty: number;
  readonly stop: readonly string[];
  /** Ids that end the choice without being part of it (EOS, end of turn). */
  readonly endIds: ReadonlySet<number>;
  /** Alternatives listed with each token's logprob; null: no logprobs. */
  readonly topLogprobs: number | null;
}

/** What a step added to a choice: text (possibly "") and the logprobs of the tokens it generated. */
export interface ChoiceDelta {
  readonly text: string;
  readonly logprobs: readonly TokenLogprob[];
  /** Characters (code points) of the choice's text before this delta: where its tokens' text starts. */
  readonly offset: number;
}

/** What a choice reports while it runs. */
export interface ChoiceEvents {
  /** A non-empty delta, as it happens. */
  delta(choice: Choice, delta: ChoiceDelta): void;
  /** The choice ended (finishReason is set). */
  end(choice: Choice): void;
}

function codePoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0xdc00 || unit > 0xdfff) count++; // a low surrogate belongs to the code point before it
  }
  return count;
}

export class Choice implements SequenceTask {
  readonly index: number;
  readonly prompt: readonly number[];
  /** The text so far (what the deltas carried). */
  text = "";
  /** Generated ids (the end-of-sequence id not included). */
  readonly generated: number[] = [];
  /** Logprobs of every generated token, when asked for. */
  readonly logprobs: TokenLogprob[] = [];
  /** For each of those, the offset (in code points) in `text` where its delta started. */
  readonly offsets: number[] = [];
  finishReason: ChoiceFinishReason | null = null;
  /** Prompt ids whose keys and values came from the slot's cache. */
  cachedTokens = 0;
  /** Code points of `text`. */
  private textLength = 0;
  private readonly sampler: Sampler;
  private readonly penalties: PresenceFrequencyPenaltyProcessor;
  private readonly stopper: StopStringMatcher;
  private readonly decoder: StreamDecoder;
  /** [vocab] the logits being edited by the penalties. */
  private readonly scores: Float32Array;
  /** Prompt and generated ids, for the repetition penalty (only kept when it is on). */
  private readonly history: number[] | null;

  constructor(
    private readonly settings: ChoiceSettings,
    tokenizer: Tokenizer,
    vocabSize: number,
    private readonly events: ChoiceEvents,
  ) {
    this.index = settings.index;
    this.prompt = settings.prompt;
    this.sampler = new Sampler(vocabSize, settings.sampling);
    this.penalties = new PresenceFrequencyPenaltyProcessor(vocabSize, settings.presencePenalty, settings.frequencyPenalty);
    this.stopper = new StopStringMatcher(settings.stop);
    // Decoding continues from the prompt, so a first token's leading space is kept where a tokenizer marks it.
    this.decoder = tokenizer.decodeStream({ skipSpecialTokens: true });
    for (const id of settings.prompt) this.decoder.push(id);
    this.scores = new Float32Array(vocabSize);
    this.history = this.sampler.options.repetitionPenalty === 1 ? null : [...settings.prompt];
  }

  prefilled(reused: number): void {
    this.cachedTokens = reused;
  }

  next(logits: Float32Array): number | null {
    const scores = this.scores;
    scores.set(logits);
    this.penalties.apply(scores, this.generated);
    const id = this.sampler.sample(scores, this.history ?? undefined);
    const logprob = this.settings.topLogprobs === null ? null : tokenLogprob(logits, id, this.settings.topLogprobs);
    if (this.settings.endIds.has(id)) {
      this.finish("stop");
      return null;
    }
    this.generated.push(id);
    this.history?.push(id);
    const piece = this.stopper.push(this.decoder.push(id));
    this.emit(piece.text, logprob === null ? [] : [logprob]);
    if (piece.stopped) {
      this.finishReason = "stop";
      this.events.end(this);
      return null;
    }
    if (this.generated.length >= this.settings.maxTokens) {
      this.finish("length");
      return null;
    }
    return id;
  }

  /** The end: the text still held back (a partial character, a possible stop string's start) goes out. */
  private finish(reason: ChoiceFinishReason): void {
    const rest = this.stopper.push(this.decoder.flush());
    this.emit(rest.text + (rest.stopped ? "" : this.stopper.flush()), []);
    this.finishReason = rest.stopped ? "stop" : reason;
    this.events.end(this);
  }

  private emit(text: string, logprobs: readonly TokenLogprob[]): void {
    if (text === "" && logprobs.length === 0) return;
    const offset = this.textLength;
    for (const logprob of logprobs) {
      this.logprobs.push(logprob);
      this.offsets.push(offset);
    }
    this.text += text;
    this.textLength += codePoints(text);
    this.events.delta(this, { text, logprobs, offset });
  }
}
