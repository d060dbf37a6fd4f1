// Turning head logits into probabilities for the pipelines: softmax (max
// subtracted, float64 sums), sigmoid, and the k best entries.

/** Softmax of logits[offset .. offset+n) as a new float64 array. */
export function softmaxRow(logits: Float32Array, offset: number, n: number): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[offset + i]!);
  const out = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    out[i] = Math.exp(logits[offset + i]! - max);
    sum += out[i]!;
  }
  for (let i = 0; i < n; i++) out[i]! /= sum;
  return out;
}

export function sigmoidRow(logits: Float32Array, offset: number, n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => 1 / (1 + Math.exp(-logits[offset + i]!)));
}

/** Indices of the k largest scores, best first (ties: lower index first). */
export function topIndices(scores: ArrayLike<number>, k: number): number[] {
  const order = Array.from({ length: scores.length }, (_, i) => i);
  order.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return order.slice(0, Math.max(0, k));
}

export function argmax(scores: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i]! > scores[best]!) best = i;
  return best;
}
