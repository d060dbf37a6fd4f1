// The sampler: picks the next token id from one step's logits. It follows
// Hugging Face transformers' processors and warpers in their order
// (repetition penalty → temperature → top-k → top-p → min-p, then a draw from
// the renormalised survivors) and llama2.c's sampler for the mechanics
// (max-subtracted softmax, top-p looking only at the tokens above a cutoff, a
// draw by walking the cumulative sum). Where llama2.c sorts, top-k and top-p
// here select by quickselect: expected linear time even when the nucleus holds
// most of a 150k vocabulary. Greedy decoding is argmax after the penalty.
//
// Ties: greedy and top-k prefer the lower id, and top-p orders equal
// probabilities by id, so at the nucleus boundary the lower id gets in first.
// (transformers' top-k keeps every token tied with the k-th; we keep exactly k.)
//
// Every buffer is allocated in the constructor, sized to the vocabulary;
// sample() creates no arrays or objects. decide() runs the same code and also
// reports the decision: the raw and adjusted distributions' top candidates, what
// each filter removed, the survivors with their renormalised probabilities, and
// the token drawn.
import { InputError } from "../errors.js";
import { RepetitionPenaltyProcessor, TemperatureProcessor } from "./logits-processors.js";
import { Rng } from "../tensor/random.js";
import { resolveSamplingOptions, type ResolvedSamplingOptions, type SamplingOptions } from "./sampling-options.js";

export interface Candidate {
  readonly tokenId: number;
  readonly probability: number;
}

export type FilterName = "top-k" | "top-p" | "min-p";

/** One step of the decoding strategy, as it happened. */
export interface SamplerDecision {
  /** Most likely tokens of softmax(logits), as the model gave them. */
  readonly raw: Candidate[];
  /** Most likely tokens after the repetition penalty and temperature (= raw when neither applies). */
  readonly adjusted: Candidate[];
  /** Each filter that ran, in order: how many tokens it kept and which of `adjusted` it removed. */
  readonly filters: { readonly name: FilterName; readonly kept: number; readonly removed: Candidate[] }[];
  /** Every token that could be drawn, with its renormalised probability, most likely first. */
  readonly kept: Candidate[];
  readonly chosen: number;
  /** Greedy decoding: the argmax, no draw. */
  readonly greedy: boolean;
}

/**
 * A cumulative probability within this relative distance of topP counts as
 * reaching it. Probabilities computed from f32 logits are only that accurate,
 * so without it a nucleus that sums to exactly topP on paper (0.5 + 0.3 for
 * topP 0.8) would take one token more or not depending on rounding.
 */
const TOP_P_RELATIVE_TOLERANCE = 1e-6;

const NO_IDS: ArrayLike<number> = [];

/**
 * Seed of the generator that picks quickselect pivots. Pivots decide where
 * ids sit in the candidate buffer, never which ids survive a filter; a fixed
 * seed keeps runs reproducible and the draws' own generator untouched.
 */
const PIVOT_SEED = 0x9e3779b9;

export class Sampler {
  readonly options: ResolvedSamplingOptions;
  private readonly rng: Rng;
  private readonly pivots = new Rng(PIVOT_SEED);
  private readonly repetitionPenalty: RepetitionPenaltyProcessor;
  /** undefined when greedy: temperature does not change the argmax. */
  private readonly temperature: TemperatureProcessor | undefined;
  /** [vocab] the caller's logits after the processors; the caller's array is never written. */
  private readonly scores: Float32Array;
  /** [vocab] unnormalised probabilities exp(score - max): the top token weighs exactly 1. */
  private readonly weights: Float64Array;
  /** [vocab] candidate ids; each filter moves its survivors to the front. */
  private readonly order: Int32Array;

  constructor(
    readonly vocabSize: number,
    options: SamplingOptions = {},
  ) {
    if (!Number.isSafeInteger(vocabSize) || vocabSize < 1) {
      throw new RangeError(`sampler vocabulary size must be a positive integer, got ${vocabSize}`);
    }
    this.options = resolveSamplingOptions(options);
    this.rng = new Rng(this.options.seed);
    this.repetitionPenalty = new RepetitionPenaltyProcessor(vocabSize, this.options.repetitionPenalty);
    this.temperature = this.options.doSample ? new TemperatureProcessor(this.options.temperature) : undefined;
    this.scores = new Float32Array(vocabSize);
    this.weights = new Float64Array(this.options.doSample ? vocabSize : 0);
    this.order = new Int32Array(this.options.doSample ? vocabSize : 0);
  }

  /**
   * The next token id for logits [vocab]. previousIds (prompt and generated
   * ids so far) feed the repetition penalty, and are only read when it is on.
   * Draws one random number when sampling, none when greedy.
   */
  sample(logits: Float32Array, previousIds: ArrayLike<number> = NO_IDS): number {
    return this.run(logits, previousIds, null);
  }

  /** The same step as sample() (the same draw from the same generator), with its decision; `top` candidates listed. */
  decide(logits: Float32Array, previousIds: ArrayLike<number> = NO_IDS, top = 10): SamplerDecision {
    const trace: MutableDecision = { raw: topCandidates(logits, top), adjusted: [], filters: [], kept: [], chosen: -1, greedy: !this.options.doSample, top };
    trace.chosen = this.run(logits, previousIds, trace);
    if (trace.adjusted.length === 0) trace.adjusted = trace.raw;
    if (trace.greedy) trace.kept = [{ tokenId: trace.chosen, probability: 1 }];
    const { top: _, ...decision } = trace;
    return decision;
  }

  private run(logits: Float32Array, previousIds: ArrayLike<number>, trace: MutableDecision | null): number {
    if (logits.length !== this.vocabSize) {
      throw new InputError(`sampler expected ${this.vocabSize} logits, got ${logits.length}`);
    }
    const { repetitionPenalty, doSample } = this.options;
    if (!doSample && repetitionPenalty === 1) return argmax(logits);
    const scores = this.scores;
    scores.set(logits);
    this.repetitionPenalty.apply(scores, previousIds);
    if (this.temperature === undefined) {
      if (trace !== null) trace.adjusted = topCandidates(scores, trace.top);
      return argmax(scores);
    }
    this.temperature.apply(scores);
    const total = this.computeWeights();
    if (trace !== null) trace.adjusted = this.topWeights(total, trace.top);
    return this.drawFiltered(total, trace);
  }

  /** The `count` heaviest tokens of the weights as probabilities (weight / total). */
  private topWeights(total: number, count: number): Candidate[] {
    const ids = Array.from({ length: this.vocabSize }, (_, i) => i);
    ids.sort((a, b) => this.weights[b]! - this.weights[a]! || a - b);
    return ids.slice(0, count).map((tokenId) => ({ tokenId, probability: this.weights[tokenId]! / total }));
  }

  /** weights ← exp(scores - max) (the softmax numerators, f64); returns their sum. */
  private computeWeights(): number {
    const scores = this.scores;
    const weights = this.weights;
    let max = -Infinity;
    for (let i = 0; i < scores.length; i++) if (scores[i] > max) max = scores[i];
    if (max === -Infinity) throw new InputError("every logit is -Infinity or NaN: no token can be sampled");
    let total = 0;
    if (max === Infinity) {
      // The limit of the softmax: the +Infinity logits share all the probability.
      for (let i = 0; i < scores.length; i++) total += weights[i] = scores[i] === Infinity ? 1 : 0;
    } else {
      for (let i = 0; i < scores.length; i++) total += weights[i] = Math.exp(scores[i] - max);
    }
    if (Number.isNaN(total)) throw new InputError("logits contain NaN");
    return total;
  }

  /** Applies top-k, top-p and min-p to the weights and draws one id from the survivors. */
  private drawFiltered(total: number, trace: MutableDecision | null): number {
    const { topK, topP, minP } = this.options;
    const weights = this.weights;
    const order = this.order;
    const n = this.vocabSize;
    const useTopK = topK > 0 && topK < n;

    // Candidates: the ids that can survive. min-p keeps weights ≥ minP (the top
    // weighs 1). Without top-k, the nucleus lies among weights ≥ (1 - topP)·total/(n - 1)
    // (llama2.c): the others, at most n - 1 of them, weigh less than (1 - topP)·total together.
    // With top-k, top-p's total is the top-k mass, so nothing is pre-filtered.
    let cutoff = 0;
    if (!useTopK) {
      cutoff = minP;
      if (topP < 1 && n > 1) cutoff = Math.max(cutoff, Math.min(1, ((1 - topP) * total) / (n - 1)));
    }
    let kept = 0;
    for (let id = 0; id < n; id++) if (weights[id] >= cutoff) order[kept++] = id;

    // Each filter keeps a prefix of the ranking (weight descending, lower id
    // first among equals), so each moves that prefix to the front of order.
    // Without top-k, the pre-filter is min-p's and top-p's candidate cut; a trace
    // replays each filter's own rule on it to say which one removed what.
    if (trace !== null && !useTopK) this.traceCandidateCut(trace);
    let mass = total;
    if (useTopK) {
      selectTopCount(order, kept, topK, weights, this.pivots);
      kept = topK;
      mass = 0;
      for (let p = 0; p < kept; p++) mass += weights[order[p]];
      if (trace !== null) this.traceFilter(trace, "top-k", kept);
    }
    if (topP < 1) {
      kept = selectNucleus(order, kept, topP * mass * (1 - TOP_P_RELATIVE_TOLERANCE), weights, this.pivots);
      if (trace !== null) this.traceFilter(trace, "top-p", kept);
    }
    if (useTopK && minP > 0) {
      let survivors = 0;
      for (let p = 0; p < kept; p++) if (weights[order[p]] >= minP) order[survivors++] = order[p];
      kept = survivors;
      if (trace !== null) this.traceFilter(trace, "min-p", kept);
    }
    const chosen = this.draw(kept);
    if (trace !== null) {
      const survivors = Array.from(order.subarray(0, kept)).filter((id) => weights[id]! > 0);
      survivors.sort((a, b) => weights[b]! - weights[a]! || a - b);
      const keptMass = survivors.reduce((sum, id) => sum + weights[id]!, 0); // in rank order: the same bits every step
      trace.kept = survivors.map((tokenId) => ({ tokenId, probability: weights[tokenId]! / keptMass }));
    }
    return chosen;
  }

  /** Records a filter that left order[0, kept): the adjusted candidates it removed. */
  private traceFilter(trace: MutableDecision, name: FilterName, kept: number): void {
    const survivors = new Set(this.order.subarray(0, kept));
    const before = trace.survivorsBefore;
    const removed = trace.adjusted.filter((c) => !survivors.has(c.tokenId) && (before === undefined || before.has(c.tokenId)));
    trace.filters.push({ name, kept, removed });
    trace.survivorsBefore = survivors;
  }

  /**
   * Without top-k, min-p acts first, through the candidate cut before the nucleus
   * search (the survivors are the same as transformers' top-p then min-p): it is
   * recorded as its own filter, the tokens below minP times the top token's probability.
   */
  private traceCandidateCut(trace: MutableDecision): void {
    const { minP } = this.options;
    if (minP <= 0) return;
    const weights = this.weights;
    const survivors = new Set<number>();
    for (let id = 0; id < this.vocabSize; id++) if (weights[id]! >= minP) survivors.add(id);
    const removed = trace.adjusted.filter((c) => !survivors.has(c.tokenId));
    trace.filters.push({ name: "min-p", kept: survivors.size, removed });
    trace.survivorsBefore = survivors;
  }

  /** Draws one id from order[0, count) with probability proportional to its weight. */
  private draw(count: number): number {
    const weights = this.weights;
    const order = this.order;
    let mass = 0;
    for (let p = 0; p < count; p++) mass += weights[order[p]];
    const r = this.rng.nextFloat() * mass;
    let cumulative = 0;
    let lastPositive = order[count - 1];
    for (let p = 0; p < count; p++) {
      const id = order[p];
      const weight = weights[id];
      if (weight === 0) continue;
      cumulative += weight;
      if (r < cumulative) return id;
      lastPositive = id;
    }
    return lastPositive; // r rounded up to the whole mass
  }
}

/** A decision while it is being recorded. */
interface MutableDecision {
  raw: Candidate[];
  adjusted: Candidate[];
  filters: { name: FilterName; kept: number; removed: Candidate[] }[];
  kept: Candidate[];
  chosen: number;
  greedy: boolean;
  /** Candidates listed. */
  top: number;
  /** The survivors of the last filter recorded. */
  survivorsBefore?: ReadonlySet<number>;
}

/** The `count` most probable tokens of softmax(logits), most likely first (f64 softmax; ties: lower id). */
function topCandidates(logits: Float32Array, count: number): Candidate[] {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  let total = 0;
  for (let i = 0; i < logits.length; i++) total += Math.exp(logits[i]! - max);
  const ids = Array.from({ length: logits.length }, (_, i) => i);
  ids.sort((a, b) => logits[b]! - logits[a]! || a - b);
  return ids.slice(0, count).map((tokenId) => ({ tokenId, probability: Math.exp(logits[tokenId]! - max) / total }));
}

/** The index of the largest value; the lowest index among equals. NaN never wins. */
function argmax(values: Float32Array): number {
  let best = -1;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    if (values[i] > max) {
      max = values[i];
      best = i;
    }
  }
  if (best === -1) throw new InputError("every logit is -Infinity or NaN: no token can be chosen");
  return best;
}

// Selection on the ranking "weight descending, then id ascending", a strict
// total order, so the ids selected are exactly a prefix of the sorted ranking
// without sorting: quickselect (Hoare's FIND) with random pivots, in expected
// linear time whatever the logits (median-of-three pivots go quadratic on
// organ-pipe shaped logits).

function ranksAbove(a: number, b: number, weights: Float64Array): boolean {
  return weights[a] > weights[b] || (weights[a] === weights[b] && a < b);
}

/** Moves the `count` highest-ranked ids of order[0, size) to order[0, count), in no particular order. */
function selectTopCount(order: Int32Array, size: number, count: number, weights: Float64Array, pivots: Rng): void {
  let lo = 0;
  let hi = size;
  // order[lo, hi) holds exactly the ids ranked lo … hi - 1; the boundary at count lies inside.
  while (lo < count && count < hi) {
    const p = partition(order, lo, hi, weights, pivots);
    if (p < count) lo = p + 1;
    else hi = p;
  }
}

/**
 * The smallest n such that the n highest-ranked ids of order[0, size) weigh at
 * least target (size if rounding keeps them all short of it), moving them to
 * order[0, n), in no particular order. target > 0.
 */
function selectNucleus(order: Int32Array, size: number, target: number, weights: Float64Array, pivots: Rng): number {
  let lo = 0;
  let hi = size;
  let massBelowLo = 0;
  // order[lo, hi) holds exactly the ids ranked lo … hi - 1; order[0, lo) weighs
  // massBelowLo < target; the answer n satisfies lo < n ≤ hi.
  while (hi - lo > 1) {
    const p = partition(order, lo, hi, weights, pivots);
    let mass = massBelowLo;
    for (let i = lo; i < p; i++) mass += weights[order[i]];
    if (mass >= target) {
      hi = p;
      continue;
    }
    mass += weights[order[p]];
    if (mass >= target) return p + 1;
    massBelowLo = mass;
    lo = p + 1;
  }
  return hi;
}

/**
 * Lomuto partition of order[lo, hi) (hi - lo ≥ 2) around a random pivot:
 * returns the pivot's final position p, with the ids ranked above it in
 * order[lo, p) and those below in order[p + 1, hi).
 */
function partition(order: Int32Array, lo: number, hi: number, weights: Float64Array, pivots: Rng): number {
  const last = hi - 1;
  swap(order, lo + (pivots.nextUint32() % (hi - lo)), last);
  const pivot = order[last];
  let store = lo;
  for (let i = lo; i < last; i++) {
    if (ranksAbove(order[i], pivot, weights)) swap(order, i, store++);
  }
  swap(order, store, last);
  return store;
}

function swap(order: Int32Array, i: number, j: number): void {
  const t = order[i];
  order[i] = order[j];
  order[j] = t;
}
