// Logits processors: in-place edits of one step's logits before sampling,
// following Hugging Face transformers' RepetitionPenaltyLogitsProcessor (the
// CTRL rule, Keskar et al. 2019) and TemperatureLogitsWarper, and the presence
// and frequency penalties of OpenAI's API (as vLLM applies them).
import { InputError, OptionError } from "../errors.js";

/** One step's edit of the logits [vocab], in place, given the ids seen so far. */
export interface LogitsProcessor {
  apply(logits: Float32Array, previousIds: ArrayLike<number>): void;
}

/**
 * Repetition penalty: every id already seen has its logit divided by the
 * penalty when positive and multiplied by it otherwise, once per id however
 * often it occurs (transformers gathers, then scatters, each id once).
 */
export class RepetitionPenaltyProcessor implements LogitsProcessor {
  /** seenStamp[id] === stamp marks ids already penalised in this call: no per-call clearing. */
  private readonly seenStamp: Uint32Array;
  private stamp = 0;

  constructor(
    readonly vocabSize: number,
    readonly penalty: number,
  ) {
    if (!Number.isFinite(penalty) || penalty <= 0) {
      throw new OptionError("repetitionPenalty", `expected a finite number > 0, got ${penalty}`);
    }
    this.seenStamp = new Uint32Array(vocabSize);
  }

  apply(logits: Float32Array | Float64Array, previousIds: ArrayLike<number>): void {
    if (this.penalty === 1) return;
    if (this.stamp === 0xffffffff) {
      this.seenStamp.fill(0);
      this.stamp = 0;
    }
    const stamp = ++this.stamp;
    const penalty = this.penalty;
    for (let i = 0; i < previousIds.length; i++) {
      const id = previousIds[i];
      if (!(Number.isInteger(id) && id >= 0 && id < this.vocabSize)) {
        throw new InputError(`previous token id ${id} at position ${i} is outside the vocabulary [0, ${this.vocabSize})`);
      }
      if (this.seenStamp[id] === stamp) continue;
      this.seenStamp[id] = stamp;
      const logit = logits[id];
      logits[id] = logit > 0 ? logit / penalty : logit * penalty;
    }
  }
}

/** Temperature: divides every logit by the temperature (> 0); below 1 sharpens, above 1 flattens. */
export class TemperatureProcessor implements LogitsProcessor {
  constructor(readonly temperature: number) {
    if (!Number.isFinite(temperature) || temperature <= 0) {
      throw new OptionError("temperature", `expected a finite number > 0 to scale by, got ${temperature}`);
    }
  }

  apply(logits: Float32Array): void {
    const temperature = this.temperature;
    if (temperature === 1) return;
    for (let i = 0; i < logits.length; i++) logits[i] = logits[i] / temperature;
  }
}

/** The range OpenAI's API allows for presence_penalty and frequency_penalty. */
export const OPENAI_PENALTY_LIMIT = 2;

/**
 * OpenAI's presence and frequency penalties: the logit of every id among the given
 * ids (the tokens generated so far) is lowered by frequencyPenalty × its count plus
 * presencePenalty, each in [-2, 2]; negative values favour repetition.
 */
export class PresenceFrequencyPenaltyProcessor implements LogitsProcessor {
  /** counts[id] while a call runs; zero again when it returns. */
  private readonly counts: Uint32Array;

  constructor(
    readonly vocabSize: number,
    readonly presencePenalty: number,
    readonly frequencyPenalty: number,
  ) {
    for (const [name, value] of [["presencePenalty", presencePenalty], ["frequencyPenalty", frequencyPenalty]] as const) {
      if (!(Math.abs(value) <= OPENAI_PENALTY_LIMIT)) throw new OptionError(name, `expected a number in [-${OPENAI_PENALTY_LIMIT}, ${OPENAI_PENALTY_LIMIT}], got ${value}`);
    }
    this.counts = new Uint32Array(vocabSize);
  }

  apply(logits: Float32Array, previousIds: ArrayLike<number>): void {
    if (this.presencePenalty === 0 && this.frequencyPenalty === 0) return;
    const counts = this.counts;
    for (let i = 0; i < previousIds.length; i++) {
      const id = previousIds[i]!;
      if (!(Number.isInteger(id) && id >= 0 && id < this.vocabSize)) {
        for (let j = 0; j < i; j++) counts[previousIds[j]!] = 0;
        throw new InputError(`previous token id ${id} at position ${i} is outside the vocabulary [0, ${this.vocabSize})`);
      }
      counts[id]++;
    }
    for (let i = 0; i < previousIds.length; i++) {
      const id = previousIds[i]!;
      const count = counts[id]!;
      if (count === 0) continue; // already penalised
      logits[id] = logits[id]! - count * this.frequencyPenalty - this.presencePenalty;
      counts[id] = 0;
    }
  }
}
