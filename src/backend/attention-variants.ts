// The kernels of the attention variants beyond softmax over a contiguous range of
// keys (backend.ts `attention`): fixed sparse patterns (Child et al. 2019), causal
// linear attention by running sums (Katharopoulos et al. 2020) and the feature
// maps that turn queries and keys into its features — elu + 1 (Katharopoulos et
// al.) and FAVOR+ positive random features (Choromanski et al. 2020). Forward,
// inspection and backward halves, as for the other kernels; the plain TypeScript
// ones in ./js are the specification. `A` is the buffer type (Float32Array for a
// backend; the reference kernels also take Float64Array, for gradient checks).

import type { FloatArray } from "../tensor/tensor.js";
import type { AttentionShape } from "./backend.js";

/**
 * Child et al.'s strided pattern ("local + strided"): a query at key index p sees
 * the `window` keys nearest it (p − window + 1 … p; both sides when not causal) and
 * every `stride`-th key beyond them, the keys t with (p − t) mod stride = 0 —
 * about window + p/stride keys instead of p + 1. Scale, soft-cap, ALiBi and the
 * padding mask apply as in AttentionShape.
 */
export interface SparseAttentionShape extends AttentionShape {
  /** The local window (≥ 1 keys, the query's own included). */
  window: number;
  /** Distance between the strided keys (≥ 1). */
  stride: number;
}

/**
 * Sizes of linear attention: queries and keys are already features φ(q), φ(k)
 * of `featureDim` per head; values and outputs have `headDim` per head. Query head h
 * reads kv head ⌊h / (nHeads / nKvHeads)⌋, as in grouped-query attention.
 */
export interface LinearAttentionShape {
  /** Rows (tokens) of this call. */
  rows: number;
  nHeads: number;
  nKvHeads: number;
  featureDim: number;
  headDim: number;
  /** Added to each normaliser φ(q)·z (Katharopoulos et al. use 1e-6). */
  eps: number;
}

/** Forward kernels of the variants (also recorded on tapes). */
export interface AttentionVariantKernels<A extends FloatArray = Float32Array> {
  /** Sparse attention: as `attention`, over the keys of the strided pattern only. scores is scratch of ≥ keyCount. */
  sparseAttention(out: A, q: A, k: A, v: A, shape: SparseAttentionShape, scores: A, keyMask?: ArrayLike<number>): void;

  /**
   * Causal linear attention. phiQ [rows, nHeads, F], phiK [rows, nKvHeads, F],
   * v and out [rows, n(Kv)Heads, headDim]. For each row i in order: the kv head's
   * running sums S += φk_i ⊗ v_i ([nKvHeads, F, headDim]) and z += φk_i
   * ([nKvHeads, F]) are updated in place, then out_i = φq_i·S / (φq_i·z + eps).
   * The sums carry earlier rows (generation) or start at zero (a whole sequence).
   */
  linearAttention(out: A, phiQ: A, phiK: A, v: A, sums: A, normalizer: A, shape: LinearAttentionShape): void;

  /** φ(x) = elu(x) + 1 in place on the first n elements (x + 1 for x > 0, eˣ otherwise): positive features. */
  eluPlusOne(x: A, n: number): void;

  /**
   * FAVOR+ positive random features: out [rows, m] of x [rows, dim] and the random
   * projection omega [m, dim]: out[r, j] = exp(ω_j·x_r − |x_r|²/2) / √m. Then
   * E[φ(x)·φ(y)] = exp(x·y); each feature is at most exp(|ω_j|²/2) / √m, so it
   * cannot overflow whatever x is.
   */
  positiveRandomFeatures(out: A, x: A, omega: A, rows: number, dim: number, features: number): void;
}

/** The probabilities the variants weigh values by, for inspection (not on the decode path). */
export interface AttentionVariantInspection {
  /** probs [nHeads, queryCount, keyCount] of sparseAttention, zero for keys a query does not see. */
  sparseAttentionProbabilities(probs: Float32Array, q: Float32Array, k: Float32Array, shape: SparseAttentionShape, scores: Float32Array, keyMask?: ArrayLike<number>): void;

  /**
   * probs [nHeads, rows, rows] of linearAttention over this call's own keys:
   * φq_i·φk_j / (φq_i·z_i + eps) for j ≤ i, where z_i is `normalizer` (the sums of
   * earlier calls) plus the keys up to i. Keys of earlier calls have the rest.
   */
  linearAttentionProbabilities(probs: Float32Array, phiQ: Float32Array, phiK: Float32Array, normalizer: Float32Array, shape: LinearAttentionShape): void;
}

/** Backward kernels of the variants; gradients are accumulated (backward.ts conventions). */
export interface AttentionVariantBackwardKernels<A extends FloatArray = Float32Array> {
  /** Backward of sparseAttention (same shape and mask). scratch holds ≥ 2 · keyCount elements. */
  sparseAttentionBackward(
    dq: A | null,
    dk: A | null,
    dv: A | null,
    dOut: A,
    q: A,
    k: A,
    v: A,
    shape: SparseAttentionShape,
    scratch: A,
    keyMask?: ArrayLike<number>,
  ): void;

  /**
   * Backward of linearAttention over one sequence from zero sums: a forward scan
   * recomputes the running sums for dφq, a reverse scan carries the sums of
   * φq ⊗ dnum for dφk and dv. scratch holds ≥ linearAttentionScratch(shape) elements.
   */
  linearAttentionBackward(dPhiQ: A | null, dPhiK: A | null, dv: A | null, dOut: A, phiQ: A, phiK: A, v: A, shape: LinearAttentionShape, scratch: A): void;

  /** Backward of eluPlusOne given its input x: dx += dOut · (1 if x > 0 else eˣ). */
  eluPlusOneBackward(dx: A, dOut: A, x: A, n: number): void;

  /** Backward of positiveRandomFeatures w.r.t. x, given its output: dx_r += Σ_j dOut[r, j] · out[r, j] · (ω_j − x_r). */
  positiveRandomFeaturesBackward(dx: A, dOut: A, x: A, out: A, omega: A, rows: number, dim: number, features: number): void;
}

/** Elements of scratch linearAttentionBackward needs: the sums and their reverse counterparts, and two per query head and row. */
export function linearAttentionScratch(shape: LinearAttentionShape): number {
  const { rows, nHeads, nKvHeads, featureDim, headDim } = shape;
  return 2 * nKvHeads * featureDim * (headDim + 1) + 2 * rows * nHeads;
}
