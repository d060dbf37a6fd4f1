// Cosine similarity of embeddings, and the average over all pairs of a set —
// the anisotropy measure: unrelated sentences of an isotropic embedding space
// average near 0, raw BERT embeddings far above it.

import { InputError } from "../errors.js";

/** a·b / (|a| |b|), accumulated in float64; 0 when either vector is zero. */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new InputError(`cannot compare vectors of ${a.length} and ${b.length} dimensions`);
  let dot = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    aa += a[i]! * a[i]!;
    bb += b[i]! * b[i]!;
  }
  return aa === 0 || bb === 0 ? 0 : dot / Math.sqrt(aa * bb);
}

/** Mean cosine similarity over the n(n−1)/2 pairs of distinct vectors (needs at least two). */
export function averagePairwiseCosine(vectors: readonly ArrayLike<number>[]): number {
  if (vectors.length < 2) throw new InputError(`the average pairwise similarity needs at least 2 vectors, got ${vectors.length}`);
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < vectors.length; i++) {
    for (let j = i + 1; j < vectors.length; j++) {
      sum += cosineSimilarity(vectors[i]!, vectors[j]!);
      pairs++;
    }
  }
  return sum / pairs;
}

/** The vector scaled to unit length (unchanged when zero). */
export function normalizeL2(v: Float32Array): Float32Array {
  let norm = 0;
  for (let i = 0; i < v.length; i++) norm += v[i]! * v[i]!;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] = v[i]! / norm;
  return v;
}
