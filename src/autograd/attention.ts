// Scaled dot-product attention on the tape (Vaswani et al. 2017): per sequence,
// head by head, softmax(scale · q·kᵀ + mask) · v, with a causal mask, grouped
// kv heads (GQA: query head h reads kv head ⌊h / (nHeads/nKvHeads)⌋) and an
// optional padding mask over the keys. Forward is the Backend's attention kernel;
// backward (FlashAttention-style) recomputes the probabilities from q and k.
//
// q is [batch · queries, nHeads · headDim]; k and v are [batch · keys, nKvHeads · headDim].
// The queries of a sequence are its last `queries` positions (queryOffset = keys − queries),
// which is 0 when a whole sequence is processed at once, as in training. Without a causal
// mask, queries and keys may be different sequences of any lengths (cross-attention:
// decoder queries, encoder keys), and the query positions start at 0. A relative position
// bias (T5) is one more input, whose weights receive their gradient.

import type { AttentionShape, RelativePositionBias } from "../backend/backend.js";
import type { FloatArray } from "../tensor/tensor.js";
import { expectShape, rowsOf } from "./shapes.js";
import type { Tape } from "./tape.js";
import { view } from "./view.js";
import type { Variable } from "./variable.js";

export interface AttentionOptions {
  nHeads: number;
  nKvHeads: number;
  headDim: number;
  /** Query i sees keys up to its own position only. */
  causal: boolean;
  /** Multiplier of q·k (default 1/√headDim). */
  scale?: number;
  /** Sequences stacked in q, k, v (default 1); they do not attend to each other. */
  batch?: number;
  /** [batch, keys]: 1 where a key may be attended, 0 for padding. */
  keyMask?: ArrayLike<number>;
  /** Sliding window of a causal attention (backend.ts AttentionShape.window). */
  window?: number;
  /** Score soft-capping (AttentionShape.softcap). */
  softcap?: number;
  /** ALiBi slope per query head (AttentionShape.alibiSlopes). */
  alibiSlopes?: Float32Array | null;
}

/** A relative position bias on the tape: weights [rows, nHeads] (a variable) and the bucket of each distance. */
export interface PositionBiasInput<A extends FloatArray> {
  readonly weights: Variable<A>;
  readonly buckets: Int32Array;
  readonly maxDistance: number;
}

export function attention<A extends FloatArray>(
  tape: Tape<A>,
  q: Variable<A>,
  k: Variable<A>,
  v: Variable<A>,
  options: AttentionOptions & { positionBias?: PositionBiasInput<A> | null },
): Variable<A> {
  const bias = options.positionBias ?? null;
  const shape = attentionShape(q, k, v, options, bias);
  const { forward, backward } = tape.kernels; // bound: a backend's kernels may be class methods
  return attentionOp(tape, q, k, v, shape, options, forward.attention.bind(forward), backward.attentionBackward.bind(backward), bias);
}

/** The kernel shape of a call (per sequence), after checking q, k, v, the options and a position bias against each other. */
export function attentionShape<A extends FloatArray>(
  q: Variable<A>,
  k: Variable<A>,
  v: Variable<A>,
  options: AttentionOptions,
  bias: PositionBiasInput<A> | null = null,
): AttentionShape {
  const { nHeads, nKvHeads, headDim, causal, keyMask } = options;
  const batch = options.batch ?? 1;
  if (nHeads % nKvHeads !== 0) throw new RangeError(`attention: ${nHeads} query heads are not a multiple of ${nKvHeads} kv heads`);
  const queryRows = rowsOf(q, nHeads * headDim, "attention", "q");
  const keyRows = rowsOf(k, nKvHeads * headDim, "attention", "k");
  expectShape(v, k.shape, "attention", "v");
  if (queryRows % batch !== 0 || keyRows % batch !== 0) {
    throw new RangeError(`attention: ${queryRows} query rows and ${keyRows} key rows do not split into a batch of ${batch}`);
  }
  const queryCount = queryRows / batch;
  const keyCount = keyRows / batch;
  if (causal && queryCount > keyCount) throw new RangeError(`attention: ${queryCount} causal queries per sequence but only ${keyCount} keys`);
  if (bias !== null) checkPositionBias(bias, nHeads);
  if (keyMask !== undefined && keyMask.length !== batch * keyCount) {
    throw new RangeError(`attention: keyMask has ${keyMask.length} entries, expected batch · keys = ${batch * keyCount}`);
  }
  return {
    queryCount,
    keyCount,
    queryOffset: Math.max(0, keyCount - queryCount),
    nHeads,
    nKvHeads,
    headDim,
    scale: options.scale ?? 1 / Math.sqrt(headDim),
    causal,
    window: options.window ?? 0,
    softcap: options.softcap ?? 0,
    alibiSlopes: options.alibiSlopes ?? null,
    positionBias: bias === null ? null : ({ weights: bias.weights.data, buckets: bias.buckets, maxDistance: bias.maxDistance } satisfies RelativePositionBias),
  };
}

type ForwardKernel<A extends FloatArray, S> = (out: A, q: A, k: A, v: A, shape: S, scores: A, keyMask?: ArrayLike<number>) => void;
type BackwardKernel<A extends FloatArray, S> = (
  dq: A | null,
  dk: A | null,
  dv: A | null,
  dOut: A,
  q: A,
  k: A,
  v: A,
  shape: S,
  scratch: A,
  keyMask?: ArrayLike<number>,
  dPositionBias?: A | null,
) => void;

/** Runs a scores kernel sequence by sequence and records its backward (attention and its sparse form). */
export function attentionOp<A extends FloatArray, S extends AttentionShape>(
  tape: Tape<A>,
  q: Variable<A>,
  k: Variable<A>,
  v: Variable<A>,
  shape: S,
  options: AttentionOptions,
  forward: ForwardKernel<A, S>,
  backward: BackwardKernel<A, S>,
  bias: PositionBiasInput<A> | null = null,
): Variable<A> {
  const { nHeads, nKvHeads, headDim, keyMask } = options;
  const batch = options.batch ?? 1;
  const { queryCount, keyCount } = shape;
  const qWidth = queryCount * nHeads * headDim;
  const kvWidth = keyCount * nKvHeads * headDim;
  const maskOf = (b: number) => (keyMask === undefined ? undefined : Array.prototype.slice.call(keyMask, b * keyCount, (b + 1) * keyCount));
  const scratch = tape.output(2 * keyCount);
  const out = tape.output(q.size); // [batch · queries, nHeads · headDim]
  for (let b = 0; b < batch; b++) {
    forward(
      view(out, b * qWidth, qWidth),
      view(q.data, b * qWidth, qWidth),
      view(k.data, b * kvWidth, kvWidth),
      view(v.data, b * kvWidth, kvWidth),
      shape,
      scratch,
      maskOf(b),
    );
  }
  return tape.record(out, q.shape, bias === null ? [q, k, v] : [q, k, v, bias.weights], (dOut) => {
    const dq = tape.gradFor(q);
    const dk = tape.gradFor(k);
    const dv = tape.gradFor(v);
    const dBias = bias === null ? null : tape.gradFor(bias.weights);
    for (let b = 0; b < batch; b++) {
      backward(
        dq === null ? null : view(dq, b * qWidth, qWidth),
        dk === null ? null : view(dk, b * kvWidth, kvWidth),
        dv === null ? null : view(dv, b * kvWidth, kvWidth),
        view(dOut, b * qWidth, qWidth),
        view(q.data, b * qWidth, qWidth),
        view(k.data, b * kvWidth, kvWidth),
        view(v.data, b * kvWidth, kvWidth),
        shape,
        scratch,
        maskOf(b),
        dBias,
      );
    }
  });
}

function checkPositionBias<A extends FloatArray>(bias: PositionBiasInput<A>, nHeads: number): void {
  const { weights, buckets, maxDistance } = bias;
  if (!Number.isSafeInteger(maxDistance) || maxDistance < 0 || buckets.length !== 2 * maxDistance + 1) {
    throw new RangeError(`attention: a position bias with maxDistance ${maxDistance} needs ${2 * maxDistance + 1} buckets, got ${buckets.length}`);
  }
  const rows = weights.size / nHeads;
  if (!Number.isInteger(rows)) throw new RangeError(`attention: position bias weights of ${weights.size} values are not rows of ${nHeads} heads`);
  const bad = buckets.findIndex((row) => row < 0 || row >= rows);
  if (bad !== -1) throw new RangeError(`attention: position bias bucket ${buckets[bad]} (distance ${bad - maxDistance}) is outside the ${rows} rows`);
}
