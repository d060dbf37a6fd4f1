// What the model's distribution says at each position: the most likely tokens, the
// entropy, and — where the sequence continues — how probable the token that came
// next was (its rank and surprisal). Probabilities come from a max-subtracted
// softmax in float64 over the whole vocabulary, never renormalised over a top-k.

import { InputError } from "../errors.js";

export interface TokenProbability {
  readonly tokenId: number;
  readonly probability: number;
}

export interface PositionSummary {
  /** The topK most likely tokens, most likely first (ties: lower id first). */
  readonly top: TokenProbability[];
  /** −Σ p ln p over the vocabulary, in nats. */
  readonly entropy: number;
  /** The token that actually came next: absent at the last position. */
  readonly next?: {
    readonly tokenId: number;
    readonly probability: number;
    /** 1 for the most likely token; 1 + the number of tokens strictly more probable. */
    readonly rank: number;
    /** −log₂ p */
    readonly surprisalBits: number;
  };
}

/**
 * One summary per row of logits [rows, vocab]; `following[i]` is the token that came
 * after row i (undefined where nothing did).
 */
export function summarizePositions(
  logits: Float32Array,
  rows: number,
  vocab: number,
  topK: number,
  following: (row: number) => number | undefined,
): PositionSummary[] {
  if (!Number.isSafeInteger(topK) || topK < 1) throw new InputError(`topK must be a positive integer, got ${String(topK)}`);
  const k = Math.min(topK, vocab);
  const probs = new Float64Array(vocab);
  const summaries: PositionSummary[] = [];
  for (let r = 0; r < rows; r++) {
    const row = logits.subarray(r * vocab, (r + 1) * vocab);
    let max = -Infinity;
    for (let i = 0; i < vocab; i++) if (row[i]! > max) max = row[i]!;
    let sum = 0;
    for (let i = 0; i < vocab; i++) sum += probs[i] = Math.exp(row[i]! - max);
    let entropy = 0;
    for (let i = 0; i < vocab; i++) {
      const p = (probs[i] = probs[i]! / sum);
      if (p > 0) entropy -= p * Math.log(p);
    }
    const summary: { top: TokenProbability[]; entropy: number; next?: PositionSummary["next"] } = { top: topOf(probs, k), entropy };
    const nextId = following(r);
    if (nextId !== undefined) {
      const p = probs[nextId]!;
      let above = 0;
      for (let i = 0; i < vocab; i++) if (probs[i]! > p) above++;
      summary.next = { tokenId: nextId, probability: p, rank: above + 1, surprisalBits: -Math.log2(p) };
    }
    summaries.push(summary);
  }
  return summaries;
}

/** The k largest probabilities, most likely first, lower id first among equals. */
function topOf(probs: Float64Array, k: number): TokenProbability[] {
  const best: TokenProbability[] = [];
  for (let id = 0; id < probs.length; id++) {
    const p = probs[id]!;
    if (best.length === k && p <= best[k - 1]!.probability) continue;
    let at = best.length;
    while (at > 0 && best[at - 1]!.probability < p) at--;
    best.splice(at, 0, { tokenId: id, probability: p });
    if (best.length > k) best.pop();
  }
  return best;
}
