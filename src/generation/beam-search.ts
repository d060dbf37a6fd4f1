// Beam search as Hugging Face transformers 5 runs it (generation/utils.py
// _beam_search and its helpers), step for step, so that the sequences and their
// scores (sequences_scores) are the same:
//
//   running beams start as num_beams copies of the decoder prompt, scored
//   [0, −1e9, …] so that the first step expands beam 0 only;
//   each step: scores = log_softmax(logits) → processors → + the beam's score;
//   the K = max(2, 1 + #eos) · num_beams best (beam, token) candidates over all beams
//   (best first); a candidate ending in eos, or reaching max_length, is finished;
//   the best num_beams unfinished candidates continue (finished ones get −1e9);
//   a finished candidate ranked among the first num_beams becomes a hypothesis
//   scored sum / (generated tokens, eos included) ^ length_penalty, and the
//   num_beams best hypotheses so far are kept;
//   stop when every candidate hit a stopping criterion, when early_stopping is true
//   and num_beams hypotheses exist, or when no running beam can still beat the
//   worst hypothesis (the heuristic of _check_early_stop_heuristic: with
//   early_stopping false the running score at the current length; with "never"
//   and a positive length_penalty at max_length).
//
// Scores are summed in float64 (transformers sums in float32). Ties are broken
// by order: the lower beam, then the lower token id; kept hypotheses before new ones.
// The search drives a BeamStepper, which owns the model and its caches.

import { OptionError } from "../errors.js";
import { logSoftmaxInPlace, type SequenceProcessor } from "./sequence-processors.js";

/** What the search needs of a model: the next-token logits of each running beam. */
export interface BeamStepper {
  readonly vocabSize: number;
  /** logits [vocab] of the next token after the decoder prompt (every beam starts from it). */
  first(): Float32Array;
  /**
   * Beam i continues old beam parents[i] with tokens[i] (the states are reordered
   * and the tokens decoded); then logitsOf(i) is beam i's next-token logits.
   */
  advance(parents: Int32Array, tokens: Int32Array): void;
  logitsOf(beam: number): Float32Array;
}

export type EarlyStopping = boolean | "never";

export interface BeamSearchOptions {
  readonly numBeams: number;
  /** Decoder length limit, prompt (start token) included: transformers' max_length. */
  readonly maxLength: number;
  readonly lengthPenalty: number;
  readonly earlyStopping: EarlyStopping;
  readonly numReturnSequences: number;
  readonly eosTokenIds: readonly number[];
  /** The decoder prompt: [decoder_start_token_id]. */
  readonly prompt: readonly number[];
}

export interface BeamHypothesis {
  /** Generated ids: the prompt excluded, the final eos included. */
  readonly ids: number[];
  /** Sum of the tokens' (processed) log-probabilities / length ^ length_penalty: transformers' sequences_scores. */
  readonly score: number;
}

/** The penalty that keeps a candidate out of a selection (transformers' −1e9). */
const EXCLUDED = -1.0e9;

interface Candidate {
  beam: number;
  token: number;
  score: number;
}

interface Hypothesis {
  sequence: number[];
  score: number;
  finished: boolean;
}

export function checkBeamOptions(options: BeamSearchOptions): void {
  const { numBeams, numReturnSequences, maxLength, lengthPenalty, earlyStopping } = options;
  if (!Number.isSafeInteger(numBeams) || numBeams < 1) throw new OptionError("numBeams", `expected a positive integer, got ${numBeams}`);
  if (!Number.isSafeInteger(numReturnSequences) || numReturnSequences < 1 || numReturnSequences > numBeams) {
    throw new OptionError("numReturnSequences", `expected an integer in [1, numBeams = ${numBeams}], got ${numReturnSequences}`);
  }
  if (!Number.isFinite(lengthPenalty)) throw new OptionError("lengthPenalty", `expected a finite number, got ${lengthPenalty}`);
  if (earlyStopping !== true && earlyStopping !== false && earlyStopping !== "never") {
    throw new OptionError("earlyStopping", `expected true, false or "never", got ${JSON.stringify(earlyStopping)}`);
  }
  if (!Number.isSafeInteger(maxLength) || maxLength <= options.prompt.length) {
    throw new OptionError("maxTokens", `the decoder must be allowed at least one new token (max length ${maxLength}, prompt ${options.prompt.length})`);
  }
}

/** The numReturnSequences best hypotheses, best first. */
export function beamSearch(stepper: BeamStepper, processors: readonly SequenceProcessor[], options: BeamSearchOptions): BeamHypothesis[] {
  checkBeamOptions(options);
  const { numBeams, maxLength, lengthPenalty, earlyStopping, eosTokenIds, prompt } = options;
  const vocab = stepper.vocabSize;
  const promptLength = prompt.length;
  const keep = Math.max(2, 1 + eosTokenIds.length) * numBeams;

  let running: number[][] = Array.from({ length: numBeams }, () => [...prompt]);
  let runningScores: number[] = Array.from({ length: numBeams }, (_, b) => (b === 0 ? 0 : EXCLUDED));
  let hypotheses: Hypothesis[] = Array.from({ length: numBeams }, () => ({ sequence: [...prompt], score: EXCLUDED, finished: false }));
  let improvable = true;
  const scores = new Float64Array(vocab);
  const accumulated = new Float64Array(numBeams * vocab); // [beam, token]
  const firstLogits = stepper.first();

  for (let length = promptLength; ; length++) {
    for (let b = 0; b < numBeams; b++) {
      const logits = length === promptLength ? firstLogits : stepper.logitsOf(b);
      for (let t = 0; t < vocab; t++) scores[t] = logits[t]!;
      logSoftmaxInPlace(scores);
      for (const processor of processors) processor.apply(scores, running[b]!);
      for (let t = 0; t < vocab; t++) accumulated[b * vocab + t] = scores[t]! + runningScores[b]!;
    }
    const candidates = topCandidates(accumulated, Math.min(keep, numBeams * vocab), vocab);
    const finishes = candidates.map((c) => length + 1 >= maxLength || eosTokenIds.includes(c.token));

    // The best num_beams unfinished candidates continue.
    const order = candidates.map((c, k) => ({ k, score: c.score + (finishes[k] ? EXCLUDED : 0) }));
    const next = stableTop(order, numBeams);
    const nextRunning = next.map(({ k }) => [...running[candidates[k]!.beam]!, candidates[k]!.token]);
    const nextScores = next.map(({ score }) => score);

    // Finished candidates among the first num_beams join the hypotheses.
    const allFinished = hypotheses.every((h) => h.finished);
    const fresh: Hypothesis[] = candidates.map((c, k) => {
      const justFinished = finishes[k]! && k < numBeams;
      let score = c.score / (length + 1 - promptLength) ** lengthPenalty;
      if (allFinished && earlyStopping === true) score += EXCLUDED;
      if (!improvable) score += EXCLUDED;
      if (!justFinished) score += EXCLUDED;
      return { sequence: [...running[c.beam]!, c.token], score, finished: justFinished };
    });
    const merged = [...hypotheses, ...fresh];
    hypotheses = stableTop(merged.map((h, k) => ({ k, score: h.score })), numBeams).map(({ k }) => merged[k]!);

    running = nextRunning;
    runningScores = nextScores;
    const generated = length + 1 - promptLength;
    const bestLength = earlyStopping === "never" && lengthPenalty > 0 ? maxLength - promptLength : generated;
    const bestPossible = runningScores[0]! / bestLength ** lengthPenalty;
    const worstFinished = Math.min(...hypotheses.map((h) => h.score));
    improvable = improvable && hypotheses.some((h) => bestPossible > (h.finished ? worstFinished : EXCLUDED));
    const open = !(hypotheses.every((h) => h.finished) && earlyStopping === true);
    const continuable = !finishes.every(Boolean);
    if (!(improvable && open && continuable)) break;
    stepper.advance(
      Int32Array.from(next, ({ k }) => candidates[k]!.beam),
      Int32Array.from(next, ({ k }) => candidates[k]!.token),
    );
  }
  return hypotheses.slice(0, options.numReturnSequences).map((h) => ({ ids: h.sequence.slice(promptLength), score: h.score }));
}

/** The `count` highest of scores [beams · vocab], best first; ties: the lower flat index first. */
function topCandidates(scores: Float64Array, count: number, vocab: number): Candidate[] {
  const best: number[] = []; // flat indices, sorted best first
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (best.length === count && !(s > scores[best[count - 1]!]!)) continue;
    let at = best.length === count ? count - 1 : best.length;
    while (at > 0 && s > scores[best[at - 1]!]!) at--;
    if (best.length === count) best.pop();
    best.splice(at, 0, i);
  }
  return best.map((i) => ({ beam: Math.floor(i / vocab), token: i % vocab, score: scores[i]! }));
}

/** The `count` entries with the highest scores, best first; equal scores keep their order. */
function stableTop<T extends { k: number; score: number }>(entries: T[], count: number): T[] {
  return [...entries].sort((a, b) => (b.score === a.score ? a.k - b.k : b.score > a.score ? 1 : -1)).slice(0, count);
}
