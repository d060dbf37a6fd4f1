// T5's relative position bias (Raffel et al. 2020, §2.1; HF modeling_t5.py
// T5Attention): a learned scalar per head for each bucket of relative distances
// t − p (key position minus query position), added to the attention scores. Small
// distances get a bucket each; larger ones share logarithmically wider buckets up
// to max_distance, beyond which all distances share the last bucket. The encoder
// tells left from right (bidirectional: half of the buckets for each side); the
// decoder, being causal, only sees keys at or before the query. The weights
// [num_buckets, num_heads] live in the first layer and every layer of the stack
// reuses them.
//
// The distance → bucket map is computed once, for distances −max_distance …
// +max_distance (farther ones share the end buckets), and the attention kernel
// reads the weights through it (backend.ts RelativePositionBias), so training the
// weights needs nothing rebuilt.

import type { PositionBiasInput } from "../autograd/attention.js";
import type { RelativePositionBias } from "../backend/backend.js";
import type { TapeContext } from "./tape-context.js";

/**
 * transformers' T5Attention._relative_position_bucket for one distance, with its
 * float32 arithmetic (the log of the large-distance rule is evaluated in float32,
 * as torch does, and truncated).
 */
export function t5RelativePositionBucket(relative: number, bidirectional: boolean, numBuckets: number, maxDistance: number): number {
  let bucket = 0;
  let buckets = numBuckets;
  let distance: number;
  if (bidirectional) {
    buckets = Math.floor(buckets / 2);
    if (relative > 0) bucket += buckets;
    distance = Math.abs(relative);
  } else {
    distance = -Math.min(relative, 0);
  }
  const maxExact = Math.floor(buckets / 2);
  if (distance < maxExact) return bucket + distance;
  const f = Math.fround;
  const logRatio = f(Math.log(f(f(distance) / maxExact)));
  const scaled = f(f(logRatio / f(Math.log(maxDistance / maxExact))) * (buckets - maxExact));
  return bucket + Math.min(maxExact + Math.trunc(scaled), buckets - 1);
}

export class RelativeAttentionBias {
  /** What the attention kernels read: the weights through the distance → bucket map. */
  readonly kernelBias: RelativePositionBias;

  constructor(
    /** [numBuckets, nHeads] (HF relative_attention_bias.weight) */
    readonly weights: Float32Array,
    readonly numBuckets: number,
    readonly nHeads: number,
    /** relative_attention_max_distance: the distance from which every bucket is the last. */
    readonly maxDistance: number,
    /** The encoder's (true) or the decoder's (false) bucketing. */
    readonly bidirectional: boolean,
  ) {
    if (weights.length !== numBuckets * nHeads) throw new RangeError(`relative attention bias has ${weights.length} weights, expected ${numBuckets}·${nHeads}`);
    const buckets = new Int32Array(2 * maxDistance + 1); // [distance + maxDistance]
    for (let d = -maxDistance; d <= maxDistance; d++) buckets[d + maxDistance] = t5RelativePositionBucket(d, bidirectional, numBuckets, maxDistance);
    this.kernelBias = { weights, buckets, maxDistance };
  }

  /** The same bias on a tape: its weights are the trainable parameter. */
  onTape(ctx: TapeContext): PositionBiasInput<Float32Array> {
    const { buckets, maxDistance } = this.kernelBias;
    return { weights: ctx.parameters.whole(this.weights), buckets, maxDistance };
  }
}
