// The kernels a tape runs: forward kernels (a Backend's, adapted) and the
// backward kernels of backend/backward.ts, over one buffer type. The engine
// records in float32 through its Backend (backendTapeKernels); gradient checks
// record in float64 through the plain reference kernels (float64TapeKernels),
// which accept either width.

import type { AttentionVariantKernels } from "../backend/attention-variants.js";
import type { AttentionShape, Backend, GeluApproximation, RopeLayout } from "../backend/backend.js";
import type { BackwardKernels } from "../backend/backward.js";
import { jsBackwardKernels } from "../backend/js/backward/index.js";
import { gelu, relu, silu, tanh } from "../backend/js/activations.js";
import { attention } from "../backend/js/attention.js";
import { add, embedding, mul } from "../backend/js/elementwise.js";
import { eluPlusOne, positiveRandomFeatures } from "../backend/js/feature-maps.js";
import { linearAttention } from "../backend/js/linear-attention.js";
import { sparseAttention } from "../backend/js/sparse-attention.js";
import { matmulF32, matmulF32Columns } from "../backend/js/matmul.js";
import { layerNorm, rmsNorm } from "../backend/js/norms.js";
import { gruCell, lstmCell } from "../backend/js/recurrent-cells.js";
import { rope } from "../backend/js/rope.js";
import { softmaxRows } from "../backend/js/softmax.js";
import type { FloatArray } from "../tensor/tensor.js";
import { f32ColumnsMatrix, f32Matrix } from "../tensor/weights.js";
import type { Parameter } from "./variable.js";

/** The Backend's forward kernels over buffers of type A; matmul takes a dense [outFeatures, inFeatures] weight. */
export interface ForwardKernels<A extends FloatArray> extends AttentionVariantKernels<A> {
  /** dst[i] = src[i] for i < n (an in-place kernel's input copied to its output first). */
  copy(dst: A, src: A, n: number): void;
  matmul(out: A, x: A, weight: A, bias: A | null, rows: number, outFeatures: number, inFeatures: number): void;
  /** out[rows, count] = x · W[:, first .. first+count) + bias, W a Conv1D weight [inFeatures, stride], bias [count]. */
  matmulColumns(out: A, x: A, weight: A, bias: A | null, rows: number, inFeatures: number, stride: number, first: number, count: number): void;
  embedding(out: A, table: A, ids: ArrayLike<number>, dim: number): void;
  add(out: A, a: A, b: A, n: number): void;
  mul(out: A, a: A, b: A, n: number): void;
  rmsNorm(out: A, x: A, weight: A, rows: number, dim: number, eps: number, weightOffset: number): void;
  layerNorm(out: A, x: A, weight: A, bias: A, rows: number, dim: number, eps: number): void;
  softmax(x: A, rows: number, cols: number): void;
  gelu(x: A, n: number, approximation: GeluApproximation): void;
  relu(x: A, n: number): void;
  silu(x: A, n: number): void;
  tanh(x: A, n: number): void;
  lstmCell(state: A, gatesInput: A, gatesHidden: A, cPrev: A, rows: number, hidden: number): void;
  gruCell(h: A, gatesInput: A, gatesHidden: A, hPrev: A, rows: number, hidden: number): void;
  rope(
    x: A,
    rows: number,
    nHeads: number,
    headDim: number,
    firstPosition: number,
    cos: A,
    sin: A,
    rotaryDim: number,
    layout: RopeLayout,
  ): void;
  attention(out: A, q: A, k: A, v: A, shape: AttentionShape, scores: A, keyMask?: ArrayLike<number>): void;
}

export interface TapeKernels<A extends FloatArray> {
  /** A zeroed buffer of `length` elements (op outputs, gradients, scratch). */
  allocate(length: number): A;
  /**
   * The zeroed gradient buffer of a parameter whose gradient starts (it was null),
   * reused every time (absent: allocate). Parameters' gradients outlive the
   * recording (the optimizer reads them); op outputs' do not.
   */
  parameterGradient?(parameter: Parameter<A>): A;
  /** A buffer its user overwrites entirely, not necessarily zeroed (absent: allocate). */
  allocateOutput?(length: number): A;
  /** Takes back a buffer from allocate that nothing reads any more (a spent gradient), for reuse in the same recording. */
  release?(buffer: A): void;
  readonly forward: ForwardKernels<A>;
  readonly backward: BackwardKernels<A>;
}

/** Where a float32 tape's buffers come from: a step's arena and each parameter's reused gradient. */
export interface TapeMemory {
  allocate(length: number): Float32Array;
  allocateOutput(length: number): Float32Array;
  release(buffer: Float32Array): void;
  parameterGradient(parameter: Parameter): Float32Array;
}

/**
 * Records in float32 through `backend` (its forward kernels) and `backward` (default:
 * the js reference), with buffers from `memory` (training/training-memory.ts: arenas
 * in the backend's memory, reused across steps) or, without it, fresh arrays.
 */
export function backendTapeKernels(
  backend: Backend,
  backward: BackwardKernels<Float32Array> = jsBackwardKernels,
  memory?: TapeMemory,
): TapeKernels<Float32Array> {
  return {
    allocate: memory === undefined ? (length) => new Float32Array(length) : (length) => memory.allocate(length),
    ...(memory === undefined
      ? {}
      : {
          allocateOutput: (length: number) => memory.allocateOutput(length),
          release: (buffer: Float32Array) => memory.release(buffer),
          parameterGradient: (parameter: Parameter) => memory.parameterGradient(parameter),
        }),
    forward: {
      copy: copyVia(backend),
      matmul: (out, x, weight, bias, rows, outFeatures, inFeatures) =>
        backend.matmul(out, x, f32Matrix(weight, outFeatures, inFeatures), bias, rows),
      matmulColumns: (out, x, weight, bias, rows, inFeatures, stride, first, count) =>
        backend.matmul(out, x, f32ColumnsMatrix(weight, inFeatures, stride, first, count), bias, rows),
      embedding: (out, table, ids, dim) => backend.embedding(out, table, ids, dim),
      add: (out, a, b, n) => backend.add(out, a, b, n),
      mul: (out, a, b, n) => backend.mul(out, a, b, n),
      rmsNorm: (out, x, weight, rows, dim, eps, weightOffset) => backend.rmsNorm(out, x, weight, rows, dim, eps, weightOffset),
      layerNorm: (out, x, weight, bias, rows, dim, eps) => backend.layerNorm(out, x, weight, bias, rows, dim, eps),
      softmax: (x, rows, cols) => backend.softmax(x, rows, cols),
      gelu: (x, n, approximation) => backend.gelu(x, n, approximation),
      relu: (x, n) => backend.relu(x, n),
      silu: (x, n) => backend.silu(x, n),
      tanh: (x, n) => backend.tanh(x, n),
      lstmCell: (state, gatesInput, gatesHidden, cPrev, rows, hidden) => backend.lstmCell(state, gatesInput, gatesHidden, cPrev, rows, hidden),
      gruCell: (h, gatesInput, gatesHidden, hPrev, rows, hidden) => backend.gruCell(h, gatesInput, gatesHidden, hPrev, rows, hidden),
      rope: (x, rows, nHeads, headDim, firstPosition, cos, sin, rotaryDim, layout) =>
        backend.rope(x, rows, nHeads, headDim, firstPosition, cos, sin, rotaryDim, layout),
      attention: (out, q, k, v, shape, scores, keyMask) => backend.attention(out, q, k, v, shape, scores, keyMask),
      sparseAttention: (out, q, k, v, shape, scores, keyMask) => backend.sparseAttention(out, q, k, v, shape, scores, keyMask),
      linearAttention: (out, phiQ, phiK, v, sums, normalizer, shape) => backend.linearAttention(out, phiQ, phiK, v, sums, normalizer, shape),
      eluPlusOne: (x, n) => backend.eluPlusOne(x, n),
      positiveRandomFeatures: (out, x, omega, rows, dim, features) => backend.positiveRandomFeatures(out, x, omega, rows, dim, features),
    },
    backward,
  };
}

/** The backend's own copy when it has one (the WASM backend's bulk copy), else TypedArray.set. */
function copyVia(backend: Backend): ForwardKernels<Float32Array>["copy"] {
  const own = (backend as Partial<{ copy(dst: Float32Array, src: Float32Array, n: number): void }>).copy;
  return own === undefined ? copyArray : (dst, src, n) => own.call(backend, dst, src, n);
}

function copyArray<A extends FloatArray>(dst: A, src: A, n: number): void {
  dst.set(src.length === n ? src : src.subarray(0, n));
}

/** The plain reference kernels in float64: for finite-difference gradient checks. */
export const float64TapeKernels: TapeKernels<Float64Array> = {
  allocate: (length) => new Float64Array(length),
  forward: {
    copy: copyArray,
    matmul: (out, x, weight, bias, rows, outFeatures, inFeatures) =>
      matmulF32(out, x, { data: weight, rows: outFeatures, cols: inFeatures }, bias, rows),
    matmulColumns: (out, x, weight, bias, rows, inFeatures, stride, first, count) =>
      matmulF32Columns(out, x, { data: weight, rows: count, cols: inFeatures, stride, firstColumn: first }, bias, rows),
    embedding,
    add,
    mul,
    rmsNorm,
    layerNorm,
    softmax: softmaxRows,
    gelu,
    relu,
    silu,
    tanh,
    lstmCell,
    gruCell,
    rope,
    attention,
    sparseAttention,
    linearAttention,
    eluPlusOne,
    positiveRandomFeatures,
  },
  backward: jsBackwardKernels,
};
