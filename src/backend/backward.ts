// The backward kernels: the training-only half of the kernel interface. For each
// forward kernel of backend.ts, the vector–Jacobian product that the tape calls
// in reverse (the derivative formulas of PyTorch's derivatives.yaml and of
// llm.c train_gpt2.c's *_backward functions), plus the cross-entropy loss, which
// only training computes. The plain TypeScript implementation in ./js/backward
// is the specification; a faster backend implements the same interface.
//
// Conventions: every gradient output is ACCUMULATED into (dx[i] += …), never
// overwritten, so a tensor used twice (tied embeddings, a residual read by two
// branches) gets the sum of its contributions. A gradient output given as null
// is not wanted and not computed. Sizes are explicit, as in backend.ts; buffers
// may be longer than needed. `A` is the buffer type: Float32Array for a backend,
// the reference kernels also accept Float64Array (gradient checks).

import type { FloatArray } from "../tensor/tensor.js";
import type { AttentionVariantBackwardKernels } from "./attention-variants.js";
import type { AttentionShape, GeluApproximation, RopeLayout } from "./backend.js";

export interface BackwardKernels<A extends FloatArray = Float32Array> extends AttentionVariantBackwardKernels<A> {
  /** dst[i] += scale · src[i] for i < n (the backward of add, and of scaling by a constant). */
  accumulate(dst: A, src: A, n: number, scale: number): void;

  /**
   * Backward of out[rows, outF] = x[rows, inF] · weightᵀ + bias, weight [outF, inF]:
   * dx += dOut · weight, dWeight += dOutᵀ · x, dBias += Σ_rows dOut.
   */
  matmulBackward(
    dx: A | null,
    dWeight: A | null,
    dBias: A | null,
    dOut: A,
    x: A,
    weight: A,
    rows: number,
    outFeatures: number,
    inFeatures: number,
  ): void;

  /**
   * Backward of out[rows, count] = x[rows, inF] · W[:, first .. first+count) + bias[first ..]
   * for a Conv1D weight W [inF, stride] (GPT-2): dx += dOut · W_windowᵀ, and the window's
   * columns of dWeight [inF, stride] and entries of dBias [stride] receive their gradients.
   */
  matmulColumnsBackward(
    dx: A | null,
    dWeight: A | null,
    dBias: A | null,
    dOut: A,
    x: A,
    weight: A,
    rows: number,
    inFeatures: number,
    stride: number,
    first: number,
    count: number,
  ): void;

  /** Backward of out[i, :] = table[ids[i], :]: dTable[ids[i], :] += dOut[i, :] (scatter-add); rows of `skipId` get nothing (padding_idx). */
  embeddingBackward(dTable: A, dOut: A, ids: ArrayLike<number>, dim: number, skipId: number | null): void;

  /** Backward of out = a · b (elementwise, n elements): da += dOut · b, db += dOut · a. */
  mulBackward(da: A | null, db: A | null, dOut: A, a: A, b: A, n: number): void;

  /** Backward of rmsNorm (backend.ts, same weightOffset) on [rows, dim]: dx and dWeight. */
  rmsNormBackward(
    dx: A | null,
    dWeight: A | null,
    dOut: A,
    x: A,
    weight: A,
    rows: number,
    dim: number,
    eps: number,
    weightOffset: number,
  ): void;

  /** Backward of layerNorm (backend.ts) on [rows, dim]: dx, dWeight and dBias. */
  layerNormBackward(
    dx: A | null,
    dWeight: A | null,
    dBias: A | null,
    dOut: A,
    x: A,
    weight: A,
    rows: number,
    dim: number,
    eps: number,
  ): void;

  /** Backward of a row softmax y = softmax(x) given its output y: dx += y ⊙ (dOut − Σ_row y·dOut). */
  softmaxBackward(dx: A, dOut: A, y: A, rows: number, cols: number): void;

  /** Backward of GELU given its input x. */
  geluBackward(dx: A, dOut: A, x: A, n: number, approximation: GeluApproximation): void;

  /** Backward of ReLU given its input x: dx += dOut where x > 0. */
  reluBackward(dx: A, dOut: A, x: A, n: number): void;

  /** Backward of SiLU given its input x. */
  siluBackward(dx: A, dOut: A, x: A, n: number): void;

  /** Backward of tanh given its output y: dx += dOut · (1 − y²). */
  tanhBackward(dx: A, dOut: A, y: A, n: number): void;

  /**
   * Backward of lstmCell (backend.ts) given dState [2, rows, hidden] (the h rows, then
   * the c rows): both gate inputs receive ∂/∂gates, and dCPrev its share. The gate
   * activations are recomputed from the inputs.
   */
  lstmCellBackward(
    dGatesInput: A | null,
    dGatesHidden: A | null,
    dCPrev: A | null,
    dState: A,
    gatesInput: A,
    gatesHidden: A,
    cPrev: A,
    rows: number,
    hidden: number,
  ): void;

  /** Backward of gruCell (backend.ts) given dH [rows, hidden]; the activations are recomputed from the inputs. */
  gruCellBackward(
    dGatesInput: A | null,
    dGatesHidden: A | null,
    dHPrev: A | null,
    dH: A,
    gatesInput: A,
    gatesHidden: A,
    hPrev: A,
    rows: number,
    hidden: number,
  ): void;

  /**
   * Backward of rope (backend.ts, same arguments): each pair is turned back by its
   * angle (the transpose of a rotation is its inverse); unrotated dimensions pass dOut through.
   */
  ropeBackward(
    dx: A,
    dOut: A,
    rows: number,
    nHeads: number,
    headDim: number,
    firstPosition: number,
    cos: A,
    sin: A,
    rotaryDim: number,
    layout: RopeLayout,
  ): void;

  /**
   * Backward of attention (backend.ts, same shape and mask). The probabilities
   * are recomputed from q and k, so the forward keeps nothing but its inputs.
   * dk and dv of a kv head sum over the query heads that share it (GQA).
   * dPositionBias ([rows, nHeads], like shape.positionBias.weights; optional)
   * receives the gradient of the relative position bias. scratch holds ≥ 2 · keyCount elements.
   */
  attentionBackward(
    dq: A | null,
    dk: A | null,
    dv: A | null,
    dOut: A,
    q: A,
    k: A,
    v: A,
    shape: AttentionShape,
    scratch: A,
    keyMask?: ArrayLike<number>,
    dPositionBias?: A | null,
  ): void;

  /**
   * Mean cross-entropy of logits [rows, vocab] against targets [rows], over the
   * rows whose target is not ignoreIndex (log-sum-exp, max-subtracted). NaN when
   * every target is ignored, as torch returns. labelSmoothing ε (default 0): the
   * target distribution is (1 − ε)·onehot + ε/vocab (torch's label_smoothing).
   */
  crossEntropy(logits: A, targets: ArrayLike<number>, rows: number, vocab: number, ignoreIndex: number, labelSmoothing?: number): number;

  /** dLogits += dLoss · (softmax(logits) − (1 − ε)·onehot(target) − ε/vocab) / count, for the rows crossEntropy averaged over. */
  crossEntropyBackward(
    dLogits: A,
    logits: A,
    targets: ArrayLike<number>,
    rows: number,
    vocab: number,
    ignoreIndex: number,
    dLoss: number,
    labelSmoothing?: number,
  ): void;
}
