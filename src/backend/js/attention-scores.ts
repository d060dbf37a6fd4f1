// The attention scores of one query row and head, as every attention kernel
// defines them: which keys the query sees (causal mask, sliding window), and the
// score of each — scale · q·k, soft-capped (Gemma 2: cap · tanh(s / cap)), plus the
// ALiBi bias −slope · |p − t| (Press et al. 2022, BLOOM) and a learned bias by
// relative position (T5's buckets), −∞ for padding keys.
// The forward, the backward and the attention-pattern kernels share it, so the
// three agree on the semantics by construction.

import type { FloatArray } from "../../tensor/tensor.js";
import type { AttentionShape, RelativePositionBias } from "../backend.js";

/** First visible key of query row i (its key index is queryOffset + i). */
export function firstVisibleKey(shape: AttentionShape, i: number): number {
  const window = shape.window ?? 0;
  return shape.causal && window > 0 ? Math.max(0, shape.queryOffset + i - window + 1) : 0;
}

/** One past the last visible key of query row i. */
export function endOfVisibleKeys(shape: AttentionShape, i: number): number {
  return shape.causal ? Math.min(shape.queryOffset + i + 1, shape.keyCount) : shape.keyCount;
}

/**
 * scores[t] for t in [start, end): the score of query row i, head h against key t
 * (−∞ for keys keyMask hides). q is [queryCount, nHeads, headDim], k [keyCount, nKvHeads, headDim].
 */
export function scoreKeys(
  scores: FloatArray,
  q: FloatArray,
  k: FloatArray,
  shape: AttentionShape,
  i: number,
  h: number,
  start: number,
  end: number,
  keyMask: ArrayLike<number> | undefined,
): void {
  const { nHeads, nKvHeads, headDim, scale, queryOffset } = shape;
  const softcap = shape.softcap ?? 0;
  const slope = shape.alibiSlopes?.[h] ?? 0;
  const bias = shape.positionBias ?? null;
  const qBase = i * nHeads * headDim + h * headDim;
  const kvHead = Math.floor(h / (nHeads / nKvHeads)) * headDim;
  const kvStride = nKvHeads * headDim;
  const p = queryOffset + i;
  for (let t = start; t < end; t++) {
    if (keyMask !== undefined && keyMask[t] === 0) {
      scores[t] = -Infinity;
      continue;
    }
    const kBase = t * kvStride + kvHead;
    let dot = 0;
    for (let d = 0; d < headDim; d++) dot += q[qBase + d]! * k[kBase + d]!;
    let s = dot * scale;
    if (softcap > 0) s = softcap * Math.tanh(s / softcap);
    s -= slope * Math.abs(p - t);
    if (bias !== null) s += bias.weights[positionBiasRow(bias, t - p) * nHeads + h]!;
    scores[t] = s;
  }
}

/** The row of a relative position bias for the key at `distance` = t − p from the query. */
export function positionBiasRow(bias: RelativePositionBias, distance: number): number {
  const max = bias.maxDistance;
  const clamped = distance < -max ? -max : distance > max ? max : distance;
  return bias.buckets[clamped + max]!;
}
