// The WASM backend's backward kernels (backend/backward.ts; the reference is
// src/backend/js/backward): every kernel of a training step's backward pass in
// WebAssembly SIMD, the large ones split across the threads.
//  - products: the packed-panel GEMM (gemm.ts), with the layouts folded into its
//    operands instead of transposed copies: dx += dOut·W reads W [out, in] as B;
//    dW += dOutᵀ·x reads dOut as A stored transposed; a Conv1D window (GPT-2's fused
//    c_attn, W [in, stride]) is read in place through its stride and first column,
//    its gradient written into the window's columns of dW; bias gradients are
//    column sums;
//  - attention: the fused backward of kernels/attention-backward.ts, one chunk per kv head;
//  - norms: row blocks whose gain/bias partial sums are added in block order;
//  - cross-entropy: softmax and loss (or gradient) in one sweep per row;
//  - elementwise gradients, activations, softmax, RoPE, the embedding's scatter-add.
// Chunks follow the shape only, so results do not depend on the thread count.
// Kernels of models outside the hot path of transformer training — the recurrent
// cells, the sparse and linear attention variants, T5's relative position bias,
// label smoothing — run the js reference on the backend's buffers.

import type { AttentionShape, GeluApproximation, RopeLayout } from "../backend.js";
import type { BackwardKernels } from "../backward.js";
import type { LinearAttentionShape, SparseAttentionShape } from "../attention-variants.js";
import { validTargets } from "../js/backward/cross-entropy.js";
import { jsBackwardKernels } from "../js/backward/index.js";
import { runGemm } from "./gemm.js";
import type { KernelHost } from "./host.js";
import {
  POINTWISE_ADD_SCALED, POINTWISE_GELU_ERF, POINTWISE_GELU_TANH, POINTWISE_MULTIPLY_ADD, POINTWISE_SILU, POINTWISE_TANH,
  TASK_ATTENTION_BACKWARD, TASK_COLUMN_SUMS, TASK_CROSS_ENTROPY, TASK_EMBEDDING_BACKWARD, TASK_NORM_BACKWARD,
  TASK_ROPE_BACKWARD, TASK_SOFTMAX_BACKWARD,
} from "./tasks.js";

/** Rows per chunk of the row kernels (norms, softmax, RoPE, cross-entropy). */
const ROW_CHUNK = 16;
/** Row kernels run on every thread from this many elements. */
const PARALLEL_ROWS_WORK = 64 * 1024;
/** Columns per chunk of column sums and of the embedding's scatter-add (a multiple of 4). */
const COLUMN_CHUNK = 64;
/** Attention backward runs on every thread from this many query·key·dimension products. */
const PARALLEL_ATTENTION_WORK = 16 * 1024;

type CopyBack = (array: Float32Array, ptr: number, length: number) => void;

export class WasmBackwardKernels implements BackwardKernels<Float32Array> {
  constructor(private readonly host: KernelHost) {}

  accumulate(dst: Float32Array, src: Float32Array, n: number, scale: number): void {
    if (n === 0) return;
    this.host.call((copyBack) => {
      const sp = this.host.input(src, n, "accumulate src");
      const dp = this.host.output(dst, n, "accumulate dst", true);
      this.host.tasks.pointwise(POINTWISE_ADD_SCALED, n, dp, sp, 0, scale);
      copyBack(dst, dp, n);
    });
  }

  matmulBackward(
    dx: Float32Array | null, dWeight: Float32Array | null, dBias: Float32Array | null,
    dOut: Float32Array, x: Float32Array, weight: Float32Array, rows: number, outFeatures: number, inFeatures: number,
  ): void {
    const { host } = this;
    const [n, k] = [outFeatures, inFeatures];
    if (rows === 0) return;
    host.call((copyBack) => {
      const gp = host.input(dOut, rows * n, "matmulBackward dOut");
      if (dx !== null) {
        // dx [rows, k] += dOut [rows, n] · W [n, k]
        const wp = host.input(weight, n * k, "matmulBackward weight");
        const dxp = host.output(dx, rows * k, "matmulBackward dx", true);
        runGemm(host.tasks, host.kernels, {
          c: dxp, ldc: k, a: gp, lda: n, aTransposed: false, b: wp, ldb: k, bTransposed: false, m: rows, n: k, k: n, accumulate: true, bias: 0,
        });
        copyBack(dx, dxp, rows * k);
      }
      if (dWeight !== null) {
        // dW [n, k] += dOutᵀ [n, rows] · x [rows, k], dOut read as A stored transposed
        const xp = host.input(x, rows * k, "matmulBackward x");
        const dwp = host.output(dWeight, n * k, "matmulBackward dWeight", true);
        runGemm(host.tasks, host.kernels, {
          c: dwp, ldc: k, a: gp, lda: n, aTransposed: true, b: xp, ldb: k, bTransposed: false, m: n, n: k, k: rows, accumulate: true, bias: 0,
        });
        copyBack(dWeight, dwp, n * k);
      }
      if (dBias !== null) this.columnSums(dBias, 0, gp, rows, n, n, "matmulBackward dBias", copyBack);
    });
  }

  matmulColumnsBackward(
    dx: Float32Array | null, dWeight: Float32Array | null, dBias: Float32Array | null,
    dOut: Float32Array, x: Float32Array, weight: Float32Array,
    rows: number, inFeatures: number, stride: number, first: number, count: number,
  ): void {
    const { host } = this;
    if (rows === 0) return;
    if (first < 0 || count < 0 || first + count > stride) throw new RangeError(`columns ${first}..${first + count} exceed the weight's ${stride}`);
    host.call((copyBack) => {
      const gp = host.input(dOut, rows * count, "matmulColumnsBackward dOut");
      if (dWeight !== null) {
        // dW[:, first ..] [in, count] += xᵀ [in, rows] · dOut [rows, count], written through the stride
        const xp = host.input(x, rows * inFeatures, "matmulColumnsBackward x");
        const dwp = host.output(dWeight, inFeatures * stride, "matmulColumnsBackward dWeight", true);
        runGemm(host.tasks, host.kernels, {
          c: dwp + first * 4, ldc: stride, a: xp, lda: inFeatures, aTransposed: true, b: gp, ldb: count, bTransposed: false,
          m: inFeatures, n: count, k: rows, accumulate: true, bias: 0,
        });
        copyBack(dWeight, dwp, inFeatures * stride);
      }
      if (dx !== null) {
        // dx [rows, in] += dOut [rows, count] · W[:, first ..]ᵀ, the window read as B stored [in, count] with the weight's stride
        const wp = host.input(weight, inFeatures * stride, "matmulColumnsBackward weight");
        const dxp = host.output(dx, rows * inFeatures, "matmulColumnsBackward dx", true);
        runGemm(host.tasks, host.kernels, {
          c: dxp, ldc: inFeatures, a: gp, lda: count, aTransposed: false, b: wp + first * 4, ldb: stride, bTransposed: true,
          m: rows, n: inFeatures, k: count, accumulate: true, bias: 0,
        });
        copyBack(dx, dxp, rows * inFeatures);
      }
      if (dBias !== null) this.columnSums(dBias, first, gp, rows, count, count, "matmulColumnsBackward dBias", copyBack);
    });
  }

  /** dst[offset + j] += Σ_r src[r · stride + j] for j < cols (inside a call). */
  private columnSums(dst: Float32Array, offset: number, src: number, rows: number, cols: number, stride: number, what: string, copyBack: CopyBack): void {
    const { host } = this;
    const dp = host.output(dst, offset + cols, what, true);
    const block = host.tasks.block([dp + offset * 4, src, rows, cols, stride, COLUMN_CHUNK]);
    host.tasks.run(TASK_COLUMN_SUMS, block, Math.ceil(cols / COLUMN_CHUNK), rows * cols >= PARALLEL_ROWS_WORK);
    copyBack(dst, dp, offset + cols);
  }

  embeddingBackward(dTable: Float32Array, dOut: Float32Array, ids: ArrayLike<number>, dim: number, skipId: number | null): void {
    const { host } = this;
    const count = ids.length;
    if (count === 0 || dim === 0) return;
    const tableRows = Math.floor(dTable.length / dim);
    host.call((copyBack) => {
      const idp = host.mem.reserve(count * 4);
      const slots = host.mem.ints;
      for (let i = 0; i < count; i++) {
        const id = ids[i]!;
        if (!Number.isInteger(id) || id < 0 || id >= tableRows) throw new RangeError(`embeddingBackward: id ${id} at index ${i} is outside the table's ${tableRows} rows`);
        slots[(idp >>> 2) + i] = id;
      }
      const gp = host.input(dOut, count * dim, "embeddingBackward dOut");
      const tp = host.output(dTable, tableRows * dim, "embeddingBackward dTable", true);
      const block = host.tasks.block([tp, gp, idp, count, dim, COLUMN_CHUNK, skipId === null ? 0 : 1, skipId ?? 0]);
      host.tasks.run(TASK_EMBEDDING_BACKWARD, block, Math.ceil(dim / COLUMN_CHUNK), count * dim >= PARALLEL_ROWS_WORK);
      copyBack(dTable, tp, tableRows * dim);
    });
  }

  mulBackward(da: Float32Array | null, db: Float32Array | null, dOut: Float32Array, a: Float32Array, b: Float32Array, n: number): void {
    const { host } = this;
    if (n === 0) return;
    host.call((copyBack) => {
      const gp = host.input(dOut, n, "mulBackward dOut");
      if (da !== null) {
        const bp = host.input(b, n, "mulBackward b");
        const dap = host.output(da, n, "mulBackward da", true);
        host.tasks.pointwise(POINTWISE_MULTIPLY_ADD, n, dap, gp, bp, 0);
        copyBack(da, dap, n);
      }
      if (db !== null) {
        const ap = host.input(a, n, "mulBackward a");
        const dbp = host.output(db, n, "mulBackward db", true);
        host.tasks.pointwise(POINTWISE_MULTIPLY_ADD, n, dbp, gp, ap, 0);
        copyBack(db, dbp, n);
      }
    });
  }

  rmsNormBackward(
    dx: Float32Array | null, dWeight: Float32Array | null, dOut: Float32Array, x: Float32Array, weight: Float32Array,
    rows: number, dim: number, eps: number, weightOffset: number,
  ): void {
    this.normBackward(dx, dWeight, null, dOut, x, weight, rows, dim, eps, weightOffset, true);
  }

  layerNormBackward(
    dx: Float32Array | null, dWeight: Float32Array | null, dBias: Float32Array | null, dOut: Float32Array, x: Float32Array,
    weight: Float32Array, rows: number, dim: number, eps: number,
  ): void {
    this.normBackward(dx, dWeight, dBias, dOut, x, weight, rows, dim, eps, 0, false);
  }

  private normBackward(
    dx: Float32Array | null, dWeight: Float32Array | null, dBias: Float32Array | null, dOut: Float32Array, x: Float32Array,
    weight: Float32Array, rows: number, dim: number, eps: number, weightOffset: number, rms: boolean,
  ): void {
    const { host } = this;
    if (rows === 0 || dim === 0) return;
    const what = rms ? "rmsNormBackward" : "layerNormBackward";
    host.call((copyBack) => {
      const n = rows * dim;
      const gp = host.input(dOut, n, `${what} dOut`);
      const xp = host.input(x, n, `${what} x`);
      const wp = host.input(weight, dim, `${what} weight`);
      const dxp = dx === null ? 0 : host.output(dx, n, `${what} dx`, true);
      const chunks = Math.ceil(rows / ROW_CHUNK);
      const partials = host.mem.reserve(chunks * 2 * dim * 4); // [chunks, 2, dim]: the gain's, then the bias's sums
      const block = host.tasks.block([dxp, gp, xp, wp, rows, dim, eps, weightOffset, ROW_CHUNK, partials, rms ? 1 : 0], [6, 7]);
      host.tasks.run(TASK_NORM_BACKWARD, block, chunks, n >= PARALLEL_ROWS_WORK);
      if (dx !== null) copyBack(dx, dxp, n);
      if (dWeight !== null) this.columnSums(dWeight, 0, partials, chunks, dim, 2 * dim, `${what} dWeight`, copyBack);
      if (dBias !== null) this.columnSums(dBias, 0, partials + dim * 4, chunks, dim, 2 * dim, `${what} dBias`, copyBack);
    });
  }

  softmaxBackward(dx: Float32Array, dOut: Float32Array, y: Float32Array, rows: number, cols: number): void {
    const { host } = this;
    const n = rows * cols;
    if (n === 0) return;
    host.call((copyBack) => {
      const gp = host.input(dOut, n, "softmaxBackward dOut");
      const yp = host.input(y, n, "softmaxBackward y");
      const dxp = host.output(dx, n, "softmaxBackward dx", true);
      const block = host.tasks.block([dxp, gp, yp, rows, cols, ROW_CHUNK]);
      host.tasks.run(TASK_SOFTMAX_BACKWARD, block, Math.ceil(rows / ROW_CHUNK), n >= PARALLEL_ROWS_WORK);
      copyBack(dx, dxp, n);
    });
  }

  geluBackward(dx: Float32Array, dOut: Float32Array, x: Float32Array, n: number, approximation: GeluApproximation): void {
    this.activationBackward(approximation === "tanh" ? POINTWISE_GELU_TANH : POINTWISE_GELU_ERF, dx, dOut, x, n, "geluBackward");
  }

  siluBackward(dx: Float32Array, dOut: Float32Array, x: Float32Array, n: number): void {
    this.activationBackward(POINTWISE_SILU, dx, dOut, x, n, "siluBackward");
  }

  tanhBackward(dx: Float32Array, dOut: Float32Array, y: Float32Array, n: number): void {
    this.activationBackward(POINTWISE_TANH, dx, dOut, y, n, "tanhBackward");
  }

  /** dx += dOut ⊙ f′ for the activation `op`, f′ from its input (or tanh's output) `saved`. */
  private activationBackward(op: number, dx: Float32Array, dOut: Float32Array, saved: Float32Array, n: number, what: string): void {
    const { host } = this;
    if (n === 0) return;
    host.call((copyBack) => {
      const gp = host.input(dOut, n, `${what} dOut`);
      const sp = host.input(saved, n, `${what} input`);
      const dxp = host.output(dx, n, `${what} dx`, true);
      host.tasks.pointwise(op, n, dxp, gp, sp, 0);
      copyBack(dx, dxp, n);
    });
  }

  ropeBackward(
    dx: Float32Array, dOut: Float32Array, rows: number, nHeads: number, headDim: number, firstPosition: number,
    cos: Float32Array, sin: Float32Array, rotaryDim: number, layout: RopeLayout,
  ): void {
    const { host } = this;
    const n = rows * nHeads * headDim;
    if (n === 0) return;
    const half = rotaryDim / 2;
    const first = firstPosition * half;
    const count = rows * half;
    if (cos.length < first + count || sin.length < first + count) throw new RangeError(`ropeBackward: positions up to ${firstPosition + rows - 1} exceed the cos/sin tables`);
    host.call((copyBack) => {
      const gp = host.input(dOut, n, "ropeBackward dOut");
      const dxp = host.output(dx, n, "ropeBackward dx", true);
      const cp = host.input(cos.subarray(first, first + count), count, "ropeBackward cos");
      const sp = host.input(sin.subarray(first, first + count), count, "ropeBackward sin");
      const block = host.tasks.block([dxp, gp, cp, sp, rows, nHeads, headDim, rotaryDim, layout === "interleaved" ? 1 : 0, ROW_CHUNK]);
      host.tasks.run(TASK_ROPE_BACKWARD, block, Math.ceil(rows / ROW_CHUNK), n >= PARALLEL_ROWS_WORK);
      copyBack(dx, dxp, n);
    });
  }

  attentionBackward(
    dq: Float32Array | null, dk: Float32Array | null, dv: Float32Array | null, dOut: Float32Array,
    q: Float32Array, k: Float32Array, v: Float32Array, shape: AttentionShape, scratch: Float32Array, keyMask?: ArrayLike<number>,
    dPositionBias?: Float32Array | null,
  ): void {
    if ((shape.positionBias ?? null) !== null || (dPositionBias ?? null) !== null) {
      jsBackwardKernels.attentionBackward(dq, dk, dv, dOut, q, k, v, shape, scratch, keyMask, dPositionBias);
      return;
    }
    const { host } = this;
    const { queryCount, keyCount, queryOffset, nHeads, nKvHeads, headDim, scale, causal } = shape;
    const window = shape.window ?? 0;
    const softcap = shape.softcap ?? 0;
    const slopes = shape.alibiSlopes ?? null;
    if (queryCount === 0 || keyCount === 0) return;
    if (nHeads % nKvHeads !== 0) throw new RangeError(`nHeads ${nHeads} is not a multiple of nKvHeads ${nKvHeads}`);
    if (slopes !== null && slopes.length < nHeads) throw new RangeError(`attentionBackward has ${slopes.length} ALiBi slopes for ${nHeads} heads`);
    host.call((copyBack) => {
      const qLength = queryCount * nHeads * headDim;
      const kvLength = keyCount * nKvHeads * headDim;
      const gp = host.input(dOut, qLength, "attentionBackward dOut");
      const qp = host.input(q, qLength, "attentionBackward q");
      const kp = host.input(k, kvLength, "attentionBackward k");
      const vp = host.input(v, kvLength, "attentionBackward v");
      const dqp = dq === null ? 0 : host.output(dq, qLength, "attentionBackward dq", true);
      const dkp = dk === null ? 0 : host.output(dk, kvLength, "attentionBackward dk", true);
      const dvp = dv === null ? 0 : host.output(dv, kvLength, "attentionBackward dv", true);
      const mp = host.keyMask(keyMask, keyCount, "attentionBackward");
      const sp = slopes === null ? 0 : host.input(slopes, nHeads, "attentionBackward ALiBi slopes");
      const parallel = nKvHeads > 1 && queryCount * keyCount * nHeads * headDim >= PARALLEL_ATTENTION_WORK;
      const scratch = host.tasks.scratch(host.kernels.attentionBackwardScratchFloats(keyCount) * 4, parallel);
      const block = host.tasks.block(
        [dqp, dkp, dvp, gp, qp, kp, vp, queryCount, keyCount, queryOffset, nHeads, nKvHeads, headDim, scale, causal ? 1 : 0, mp, window, softcap, sp, scratch.at, scratch.bytes],
        [13, 17],
      );
      host.tasks.run(TASK_ATTENTION_BACKWARD, block, nKvHeads, parallel);
      if (dq !== null) copyBack(dq, dqp, qLength);
      if (dk !== null) copyBack(dk, dkp, kvLength);
      if (dv !== null) copyBack(dv, dvp, kvLength);
    });
  }

  crossEntropy(logits: Float32Array, targets: ArrayLike<number>, rows: number, vocab: number, ignoreIndex: number, labelSmoothing = 0): number {
    if (labelSmoothing !== 0) return jsBackwardKernels.crossEntropy(logits, targets, rows, vocab, ignoreIndex, labelSmoothing);
    const { host } = this;
    const count = validTargets(targets, rows, vocab, ignoreIndex);
    let total = 0;
    host.call(() => {
      const lp = host.input(logits, rows * vocab, "crossEntropy logits");
      const tp = this.placeTargets(targets, rows);
      const losses = host.mem.reserve(rows * 8); // [rows] f64: each row's lse − logit[target]
      const block = host.tasks.block([lp, tp, rows, vocab, ignoreIndex, losses, 0, ROW_CHUNK, 0]);
      host.tasks.run(TASK_CROSS_ENTROPY, block, Math.ceil(rows / ROW_CHUNK), rows * vocab >= PARALLEL_ROWS_WORK);
      const rowLosses = new Float64Array(host.mem.memory.buffer, losses, rows);
      for (let r = 0; r < rows; r++) total += rowLosses[r]!;
    });
    return total / count;
  }

  crossEntropyBackward(
    dLogits: Float32Array, logits: Float32Array, targets: ArrayLike<number>, rows: number, vocab: number, ignoreIndex: number, dLoss: number,
    labelSmoothing = 0,
  ): void {
    if (labelSmoothing !== 0) {
      jsBackwardKernels.crossEntropyBackward(dLogits, logits, targets, rows, vocab, ignoreIndex, dLoss, labelSmoothing);
      return;
    }
    const { host } = this;
    const count = validTargets(targets, rows, vocab, ignoreIndex);
    if (count === 0) return;
    host.call((copyBack) => {
      const lp = host.input(logits, rows * vocab, "crossEntropyBackward logits");
      const tp = this.placeTargets(targets, rows);
      const dp = host.output(dLogits, rows * vocab, "crossEntropyBackward dLogits", true);
      const block = host.tasks.block([lp, tp, rows, vocab, ignoreIndex, dp, dLoss / count, ROW_CHUNK, 1], [6]);
      host.tasks.run(TASK_CROSS_ENTROPY, block, Math.ceil(rows / ROW_CHUNK), rows * vocab >= PARALLEL_ROWS_WORK);
      copyBack(dLogits, dp, rows * vocab);
    });
  }

  reluBackward(dx: Float32Array, dOut: Float32Array, x: Float32Array, n: number): void {
    jsBackwardKernels.reluBackward(dx, dOut, x, n);
  }

  lstmCellBackward(
    dGatesInput: Float32Array | null, dGatesHidden: Float32Array | null, dCPrev: Float32Array | null, dState: Float32Array,
    gatesInput: Float32Array, gatesHidden: Float32Array, cPrev: Float32Array, rows: number, hidden: number,
  ): void {
    jsBackwardKernels.lstmCellBackward(dGatesInput, dGatesHidden, dCPrev, dState, gatesInput, gatesHidden, cPrev, rows, hidden);
  }

  gruCellBackward(
    dGatesInput: Float32Array | null, dGatesHidden: Float32Array | null, dHPrev: Float32Array | null, dH: Float32Array,
    gatesInput: Float32Array, gatesHidden: Float32Array, hPrev: Float32Array, rows: number, hidden: number,
  ): void {
    jsBackwardKernels.gruCellBackward(dGatesInput, dGatesHidden, dHPrev, dH, gatesInput, gatesHidden, hPrev, rows, hidden);
  }

  sparseAttentionBackward(
    dq: Float32Array | null, dk: Float32Array | null, dv: Float32Array | null, dOut: Float32Array,
    q: Float32Array, k: Float32Array, v: Float32Array, shape: SparseAttentionShape, scratch: Float32Array, keyMask?: ArrayLike<number>,
  ): void {
    jsBackwardKernels.sparseAttentionBackward(dq, dk, dv, dOut, q, k, v, shape, scratch, keyMask);
  }

  linearAttentionBackward(
    dPhiQ: Float32Array | null, dPhiK: Float32Array | null, dv: Float32Array | null, dOut: Float32Array,
    phiQ: Float32Array, phiK: Float32Array, v: Float32Array, shape: LinearAttentionShape, scratch: Float32Array,
  ): void {
    jsBackwardKernels.linearAttentionBackward(dPhiQ, dPhiK, dv, dOut, phiQ, phiK, v, shape, scratch);
  }

  eluPlusOneBackward(dx: Float32Array, dOut: Float32Array, x: Float32Array, n: number): void {
    jsBackwardKernels.eluPlusOneBackward(dx, dOut, x, n);
  }

  positiveRandomFeaturesBackward(
    dx: Float32Array, dOut: Float32Array, x: Float32Array, out: Float32Array, omega: Float32Array, rows: number, dim: number, features: number,
  ): void {
    jsBackwardKernels.positiveRandomFeaturesBackward(dx, dOut, x, out, omega, rows, dim, features);
  }

  /** The targets as i32 in a temporary of the current call. */
  private placeTargets(targets: ArrayLike<number>, rows: number): number {
    const at = this.host.mem.reserve(rows * 4);
    const slots = this.host.mem.ints;
    for (let r = 0; r < rows; r++) slots[(at >>> 2) + r] = targets[r]!;
    return at;
  }
}
