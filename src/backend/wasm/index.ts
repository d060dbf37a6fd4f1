// The WASM SIMD backend: the kernels of src/backend/js (the specification)
// compiled from AssemblyScript (./kernels) to 128-bit WebAssembly SIMD, working in
// place on buffers in one linear memory, with the matmuls and attention split by
// output rows across worker threads.
//
// Memory. allocate/upload/uploadMatrix place buffers in the module's memory
// (memory.ts). A scope (scope()) is a view of the backend — same memory, kernels
// and threads — that records what it places, so that disposing it gives those
// bytes back: each model loaded on the shared backend gets one. Kernels given arrays that are
// NOT in that memory (a caller's logits buffer, RoPE tables) still work: those
// are copied into a temporary region for the call and outputs copied back.
//
// Threads. With SharedArrayBuffer (Node; browsers only on cross-origin-isolated
// pages) the memory is shared and `threads − 1` workers join the calling thread.
// Without it the backend runs single-threaded on a non-shared memory; since a
// grow then detaches every view, allocate/upload return ordinary arrays (copied
// in and out per call, slower) and only weight matrices live in the memory,
// reached through the matrix objects uploadMatrix returns.

import type { AttentionShape, Backend, GeluApproximation, RelativePositionBias, RopeLayout } from "../backend.js";
import type { BackwardKernels } from "../backward.js";
import { LmscopeError } from "../../errors.js";
import { attentionProbabilities } from "../js/attention.js";
import type { OptimizerKernels } from "../optimizer.js";
import { relaxedSimdSupported } from "../select.js";
import { embedding } from "../js/elementwise.js";
import { eluPlusOne, positiveRandomFeatures } from "../js/feature-maps.js";
import { linearAttention, linearAttentionProbabilities } from "../js/linear-attention.js";
import { sparseAttention, sparseAttentionProbabilities } from "../js/sparse-attention.js";
import { gruCell, lstmCell } from "../js/recurrent-cells.js";
import type { F32ColumnsMatrix, F32Matrix, HalfMatrix, WeightMatrix } from "../../tensor/weights.js";
import { isHalfMatrix } from "../../tensor/weights.js";
import { panelMatrixView, panelProduct, placePanels } from "./quant-matrices.js";
import { panelBytes } from "./quant-panels.js";
import { ARGS, OP_ATTENTION, OP_MATMUL_COLUMNS, OP_MATMUL_F32, OP_MATMUL_HALF, chunkRows } from "./jobs.js";
import { WasmMemory } from "./memory.js";
import { instantiateKernels, kernelModule, type KernelExports } from "./module.js";
import { ThreadPool } from "./thread-pool.js";
import { WasmBackwardKernels } from "./backward.js";
import { runGemm } from "./gemm.js";
import type { KernelHost } from "./host.js";
import { WasmOptimizerKernels } from "./optimizer.js";
import {
  ACTIVATION_GELU_ERF, ACTIVATION_GELU_TANH, ACTIVATION_SILU, ACTIVATION_TANH, PARALLEL_POINTWISE, POINTWISE_CHUNK, TASK_ACTIVATION, TASK_NORM_ROWS, Tasks,
} from "./tasks.js";

export interface WasmBackendOptions {
  /** Threads including the caller's (default 1). More than 1 needs SharedArrayBuffer. */
  threads?: number;
  /** Use a shared memory (default: when SharedArrayBuffer is available). */
  sharedMemory?: boolean;
  /**
   * Use the kernels built with relaxed SIMD (fused multiply–adds in the matrix
   * products; default: when the engine validates relaxed SIMD — Node ≥ 21, or Node 20
   * with --experimental-wasm-relaxed-simd; Chrome ≥ 114).
   */
  relaxedSimd?: boolean;
}

/** From this many rows an f32 product runs as the packed-panel GEMM (gemm.ts); fewer stream the weight rows. */
const GEMM_ROWS = 4;
/** Below this many multiply–adds a matmul runs on the calling thread alone. */
const PARALLEL_MATMUL_WORK = 64 * 1024;
/**
 * A parallel matmul is cut into about this many chunks per thread, of weight rows
 * (a multiple of 4 rows: every output is computed by the same code whichever chunk
 * holds it, so results do not depend on the thread count) or of 16 columns.
 */
const CHUNKS_PER_THREAD = 8;
/** Elementwise forward kernels (activations, norms) run on every thread from this many elements. */
const PARALLEL_ELEMENTWISE = PARALLEL_POINTWISE;
/** Rows per chunk of a parallel norm. */
const NORM_ROWS_CHUNK = 32;
/** Below this many query·key products attention runs on the calling thread alone. */
const PARALLEL_ATTENTION_WORK = 16 * 1024;

/** Where an uploaded matrix lives in the memory. */
interface MatrixAddress {
  /** f32 or 16-bit data, or the quantized panels (quant-panels.ts) */
  data: number;
  /** f16 only: no infinity or NaN among the weights (the kernel's faster widening). */
  finite?: boolean;
}

export class WasmBackend implements Backend {
  readonly name = "wasm";
  private readonly matrices = new WeakMap<WeightMatrix, MatrixAddress>();
  /** Conv1D storages already placed: GPT-2's q, k and v windows share one copy of c_attn. */
  private readonly columnStorage = new WeakMap<Float32Array, number>();
  private disposed = false;
  private readonly tasks: Tasks;
  private readonly host: KernelHost;
  private backward: WasmBackwardKernels | null = null;
  private optimizer: WasmOptimizerKernels | null = null;
  /** What this backend (or scope) placed and has not released: address → bytes. */
  private readonly placed = new Map<number, number>();

  private constructor(
    private readonly mem: WasmMemory,
    private readonly kernels: KernelExports,
    private readonly pool: ThreadPool | null,
    /** Whether the kernels are the relaxed-SIMD build. */
    readonly relaxedSimd: boolean,
    /** The backend this is a scope of (null: this owns the memory and the threads). */
    private readonly root: WasmBackend | null = null,
  ) {
    this.tasks = new Tasks(mem, kernels, pool);
    this.host = {
      mem,
      kernels,
      tasks: this.tasks,
      call: (body) => this.call(body),
      input: (array, length, what) => this.input(array, length, what),
      output: (array, length, what, copyIn) => this.output(array, length, what, copyIn),
      keyMask: (keyMask, keyCount, what) => this.keyMask(keyMask, keyCount, what),
    };
  }

  static async create(options: WasmBackendOptions = {}): Promise<WasmBackend> {
    const canShare = typeof SharedArrayBuffer !== "undefined";
    const shared = options.sharedMemory ?? canShare;
    const threads = Math.max(1, Math.floor(options.threads ?? 1));
    if (shared && !canShare) throw new RangeError("a shared WASM memory needs SharedArrayBuffer");
    const relaxed = options.relaxedSimd ?? relaxedSimdSupported();
    if (relaxed && !relaxedSimdSupported()) throw new RangeError("this engine has no relaxed SIMD (Node 20: run with --experimental-wasm-relaxed-simd)");
    const module = await kernelModule(shared, relaxed);
    const mem = new WasmMemory(shared);
    const kernels = instantiateKernels(module, mem.memory);
    const pool = shared && threads > 1 ? await ThreadPool.start(threads, module, mem.memory, kernels) : null;
    return new WasmBackend(mem, kernels, pool, relaxed);
  }

  /** Threads a kernel call uses, the caller's included. */
  get threads(): number {
    return this.pool?.parts ?? 1;
  }

  /** Bytes of the memory handed out so far (weights, buffers, training arenas); released temporaries excluded. */
  get reservedBytes(): number {
    return this.mem.top;
  }

  /** Whether buffers live in a shared memory (and views from allocate stay valid across growth). */
  get sharedMemory(): boolean {
    return this.mem.shared;
  }

  /**
   * A view of this backend that shares its memory, kernels and threads and keeps
   * account of what it places: disposing the scope gives those bytes back to the
   * memory (for reuse; a WebAssembly memory never shrinks) and leaves the backend running.
   */
  scope(): WasmBackend {
    this.checkLive();
    return new WasmBackend(this.mem, this.kernels, this.pool, this.relaxedSimd, this.root ?? this);
  }

  /**
   * A scope: releases what it placed (its buffers and weights must not be used
   * afterwards). The backend itself: stops the worker threads. Either must not be
   * used afterwards; disposing twice does nothing.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.root === null) this.pool?.dispose();
    else for (const [ptr, bytes] of this.placed) this.mem.release(ptr, bytes);
    this.placed.clear();
  }

  private checkLive(): void {
    if (this.disposed && this.root !== null) throw new LmscopeError("the model was disposed (model.dispose() gave its memory back): load it again to use it");
    if (this.disposed || this.root?.disposed === true) throw new LmscopeError("the WASM backend has been disposed");
  }

  /** A lasting buffer of `bytes` in the memory, on this backend's account. */
  private place(bytes: number): number {
    this.checkLive();
    const ptr = this.mem.place(bytes);
    this.placed.set(ptr, bytes);
    return ptr;
  }

  // ---- placement ---------------------------------------------------------------------------

  memoryBudget(): { used: number; limit: number } {
    return { used: this.mem.used, limit: this.mem.limit };
  }

  allocate(length: number): Float32Array {
    if (!this.mem.shared) return new Float32Array(length);
    const ptr = this.place(length * 4);
    this.kernels.zero(ptr, length * 4); // the region may have held a call's temporaries or a released buffer
    return this.mem.f32(ptr, length);
  }

  /** dst[i] = src[i] for i < n (both in the memory: a bulk copy, much faster there than dst.set). */
  copy(dst: Float32Array, src: Float32Array, n: number): void {
    checkLength(dst, n, "copy dst");
    checkLength(src, n, "copy src");
    const to = this.mem.addressOf(dst);
    const from = this.mem.addressOf(src);
    if (to < 0 || from < 0) dst.set(src.length === n ? src : src.subarray(0, n));
    else this.kernels.copy(to, from, n * 4);
  }

  /** Sets every element of `array` to 0 (in the memory: a bulk fill, much faster there than array.fill). */
  zero(array: Float32Array): void {
    const ptr = this.mem.addressOf(array);
    if (ptr < 0) array.fill(0);
    else this.kernels.zero(ptr, array.length * 4);
  }

  upload(data: Float32Array): Float32Array {
    if (!this.mem.shared || this.mem.addressOf(data) >= 0) return data;
    const view = this.allocate(data.length);
    view.set(data);
    return view;
  }

  uploadMatrix(matrix: WeightMatrix): WeightMatrix {
    if (this.matrices.has(matrix)) return matrix;
    const copy = (src: Float32Array): number => {
      const ptr = this.place(src.byteLength);
      new Uint8Array(this.mem.memory.buffer, ptr, src.byteLength).set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
      return ptr;
    };
    const mem = this.mem;
    let placed: WeightMatrix;
    let address: MatrixAddress;
    switch (matrix.type) {
      case "f32": {
        const data = copy(matrix.data);
        address = { data };
        const length = matrix.data.length;
        placed = mem.shared
          ? { type: "f32", data: mem.f32(data, length), rows: matrix.rows, cols: matrix.cols }
          : { type: "f32", get data() { return mem.f32(data, length); }, rows: matrix.rows, cols: matrix.cols } satisfies F32Matrix;
        break;
      }
      case "f32_columns": {
        let data = this.columnStorage.get(matrix.data);
        if (data === undefined) {
          data = copy(matrix.data);
          this.columnStorage.set(matrix.data, data);
        }
        address = { data };
        const [at, length] = [data, matrix.data.length];
        const { rows, cols, stride, firstColumn } = matrix;
        placed = mem.shared
          ? { type: "f32_columns", data: mem.f32(data, length), rows, cols, stride, firstColumn }
          : ({ type: "f32_columns", get data() { return mem.f32(at, length); }, rows, cols, stride, firstColumn } satisfies F32ColumnsMatrix);
        break;
      }
      case "f16":
      case "bf16": {
        const { type, rows, cols } = matrix;
        const data = this.place(matrix.data.byteLength);
        new Uint16Array(mem.memory.buffer, data, matrix.data.length).set(matrix.data);
        address = { data, finite: type === "f16" && f16AllFinite(matrix.data) };
        const length = matrix.data.length;
        placed = mem.shared
          ? { type, data: new Uint16Array(mem.memory.buffer, data, length), rows, cols }
          : ({ type, get data() { return new Uint16Array(mem.memory.buffer, data, length); }, rows, cols } satisfies HalfMatrix);
        break;
      }
      default: {
        // Quantized: one copy, as panels (quant-panels.ts); the object handed out rebuilds its arrays on request.
        address = { data: placePanels(mem, matrix, this.place(panelBytes(matrix.type, matrix.rows, matrix.cols))) };
        placed = panelMatrixView(mem, address.data, matrix);
        break;
      }
    }
    this.matrices.set(placed, address);
    return placed;
  }

  // ---- per-call argument placement ----------------------------------------------------------

  /** Address of the first `length` floats of `array`, copied into a temporary when not in the memory. */
  private input(array: ArrayLike<number> & ArrayBufferView, length: number, what: string): number {
    checkLength(array, length, what);
    const ptr = this.mem.addressOf(array);
    if (ptr >= 0) return ptr;
    const temp = this.mem.reserve(length * 4);
    const heap = this.mem.heap;
    const at = temp >>> 2;
    if (array instanceof Float32Array) heap.set(array.length === length ? array : array.subarray(0, length), at);
    else for (let i = 0; i < length; i++) heap[at + i] = array[i]!;
    return temp;
  }

  /** Runs `body` with temporaries released afterwards; `outputs` are copied back to foreign arrays. */
  private call(body: (copyBack: (array: Float32Array, ptr: number, length: number) => void) => void): void {
    this.checkLive();
    const mark = this.mem.top;
    const pending = this.pending;
    pending.length = 0;
    try {
      body(this.copyBack);
      for (const [array, ptr, length] of pending) array.set(this.mem.heap.subarray(ptr >>> 2, (ptr >>> 2) + length));
    } finally {
      pending.length = 0;
      this.mem.top = mark;
    }
  }

  /** Outputs of the current call that live outside the memory, copied back when it ends (kernels never nest). */
  private readonly pending: [Float32Array, number, number][] = [];
  /** Made once, not per call: a decode step runs a few hundred kernels. */
  private readonly copyBack = (array: Float32Array, ptr: number, length: number): void => {
    if (this.mem.addressOf(array) < 0) this.pending.push([array, ptr, length]);
  };

  /** Address for an output (or in-place) array: itself, or a temporary copied back after the call. */
  private output(array: Float32Array, length: number, what: string, copyIn: boolean): number {
    checkLength(array, length, what);
    const ptr = this.mem.addressOf(array);
    if (ptr >= 0) return ptr;
    const temp = this.mem.reserve(length * 4);
    if (copyIn) this.mem.heap.set(array.length === length ? array : array.subarray(0, length), temp >>> 2);
    return temp;
  }

  /** A key mask as 0/1 floats in a temporary (0: no mask), its length checked. */
  private keyMask(keyMask: ArrayLike<number> | undefined, keyCount: number, what: string): number {
    if (keyMask === undefined) return 0;
    if (keyMask.length < keyCount) throw new RangeError(`${what} keyMask has ${keyMask.length} entries, needs ${keyCount}`);
    const mp = this.mem.reserve(keyCount * 4);
    const mask = this.mem.f32(mp, keyCount);
    for (let t = 0; t < keyCount; t++) mask[t] = keyMask[t] === 0 ? 0 : 1;
    return mp;
  }

  private matrixAddress(w: WeightMatrix): MatrixAddress {
    const known = this.matrices.get(w);
    if (known !== undefined) return known;
    // Not uploaded: use it in place when its arrays are in the memory, else copy for this call
    // (quantized matrices are always written out as panels for the call).
    if (w.type === "f32") return { data: this.input(w.data, w.rows * w.cols, "weight") };
    if (w.type === "f32_columns") return { data: this.input(w.data, w.cols * w.stride, "weight") };
    if (isHalfMatrix(w)) {
      checkLength(w.data, w.rows * w.cols, `${w.type} weight`);
      let data = this.mem.addressOf(w.data);
      if (data < 0) {
        data = this.mem.reserve(w.rows * w.cols * 2);
        new Uint16Array(this.mem.memory.buffer, data, w.rows * w.cols).set(w.data.subarray(0, w.rows * w.cols));
      }
      return { data, finite: w.type === "f16" && f16AllFinite(w.data.subarray(0, w.rows * w.cols)) };
    }
    return { data: placePanels(this.mem, w, this.mem.reserve(panelBytes(w.type, w.rows, w.cols))) };
  }

  // ---- kernels ------------------------------------------------------------------------------

  matmul(out: Float32Array, x: Float32Array, w: WeightMatrix, bias: Float32Array | null, m: number): void {
    const { rows: n, cols: k } = w;
    if (m === 0 || n === 0) return;
    this.call((copyBack) => {
      const address = this.matrixAddress(w);
      const xp = this.input(x, m * k, "matmul x");
      const bp = bias === null ? 0 : this.input(bias, n, "matmul bias");
      const op = this.output(out, m * n, "matmul out", false);
      const pool = this.pool;
      const parallel = pool !== null && m * n * k >= PARALLEL_MATMUL_WORK && n >= 8;
      const rows = chunkRows(n, CHUNKS_PER_THREAD * this.threads, 4);
      const chunks = Math.ceil(n / rows);
      if (w.type === "f32" && m >= GEMM_ROWS) {
        // [m, n] = x [m, k] · W [n, k]ᵀ: W is B stored transposed.
        runGemm(this.tasks, this.kernels, { c: op, ldc: n, a: xp, lda: k, aTransposed: false, b: address.data, ldb: k, bTransposed: true, m, n, k, accumulate: false, bias: bp });
      } else if (w.type === "f32") {
        if (parallel) {
          pool.ints.set([op, xp, address.data, bp, m, n, k, rows], ARGS);
          pool.run(OP_MATMUL_F32, chunks);
        } else {
          this.kernels.matmulF32(op, xp, address.data, bp, m, n, k, 0, n);
        }
      } else if (w.type === "f16" || w.type === "bf16") {
        const kind = w.type === "bf16" ? 17 : address.finite === true ? 18 : 16;
        const scratchBytes = Math.ceil((k * 4) / 64) * 64;
        if (parallel) {
          const scratch = this.mem.reserve(scratchBytes * pool.parts);
          pool.ints.set([kind, op, xp, address.data, bp, m, n, k, rows, scratch, scratchBytes], ARGS);
          pool.run(OP_MATMUL_HALF, chunks);
        } else {
          this.kernels.matmulHalf(kind, op, xp, address.data, bp, m, n, k, 0, n, this.mem.reserve(scratchBytes));
        }
      } else if (w.type === "f32_columns") {
        const { stride, firstColumn } = w;
        if (firstColumn + n > stride) throw new RangeError(`columns ${firstColumn}..${firstColumn + n} exceed the weight's ${stride}`);
        if (m === 1) {
          this.columnsProduct(op, xp, address.data, bp, m, n, k, stride, firstColumn);
        } else {
          // [m, n] = x [m, k] · W[:, first ..]: the window is B, read through the stride.
          runGemm(this.tasks, this.kernels, { c: op, ldc: n, a: xp, lda: k, aTransposed: false, b: address.data + firstColumn * 4, ldb: stride, bTransposed: false, m, n, k, accumulate: false, bias: bp });
        }
      } else {
        panelProduct(this.mem, this.kernels, pool, w.type, op, xp, address.data, bp, m, n, k);
      }
      copyBack(out, op, m * n);
    });
  }

  /**
   * out[m, nOut] = x[m, kIn] · W where W is stored [kIn, stride] and its columns
   * first .. first+nOut are used (all addresses in the memory), split by output
   * columns across the threads.
   */
  private columnsProduct(out: number, x: number, w: number, bias: number, m: number, nOut: number, kIn: number, stride: number, first: number): void {
    const pool = this.pool;
    if (pool !== null && m * nOut * kIn >= PARALLEL_MATMUL_WORK && nOut >= 32) {
      const columns = chunkRows(nOut, CHUNKS_PER_THREAD * pool.parts, 16);
      pool.ints.set([out, x, w, bias, m, nOut, kIn, stride, first, columns], ARGS);
      pool.run(OP_MATMUL_COLUMNS, Math.ceil(nOut / columns));
    } else {
      this.kernels.matmulF32Columns(out, x, w, bias, m, nOut, kIn, stride, first, 0, nOut);
    }
  }

  /** Backward of out[rows, n] = x[rows, k] · weightᵀ + bias (backward.ts), as backwardKernels().matmulBackward. */
  matmulBackward(
    dx: Float32Array | null,
    dWeight: Float32Array | null,
    dBias: Float32Array | null,
    dOut: Float32Array,
    x: Float32Array,
    weight: Float32Array,
    rows: number,
    outFeatures: number,
    inFeatures: number,
  ): void {
    this.backwardKernels().matmulBackward(dx, dWeight, dBias, dOut, x, weight, rows, outFeatures, inFeatures);
  }

  /** The backward kernels of a training step on this backend (backward.ts), all in WASM. */
  backwardKernels(): BackwardKernels<Float32Array> {
    return (this.backward ??= new WasmBackwardKernels(this.host));
  }

  /** The optimizer's kernels (AdamW, gradient norm and scaling) on this backend's memory. */
  optimizerKernels(): OptimizerKernels<Float32Array> {
    return (this.optimizer ??= new WasmOptimizerKernels(this.host, (length) => this.allocate(length)));
  }

  embedding(out: Float32Array, table: Float32Array, ids: ArrayLike<number>, dim: number): void {
    embedding(out, table, ids, dim); // row copies: memcpy already
  }

  add(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void {
    this.call((copyBack) => {
      const ap = this.input(a, n, "add a");
      const bp = this.input(b, n, "add b");
      const op = this.output(out, n, "add out", false);
      this.kernels.add(op, ap, bp, n);
      copyBack(out, op, n);
    });
  }

  mul(out: Float32Array, a: Float32Array, b: Float32Array, n: number): void {
    this.call((copyBack) => {
      const ap = this.input(a, n, "mul a");
      const bp = this.input(b, n, "mul b");
      const op = this.output(out, n, "mul out", false);
      this.kernels.mul(op, ap, bp, n);
      copyBack(out, op, n);
    });
  }

  rmsNorm(out: Float32Array, x: Float32Array, weight: Float32Array, rows: number, dim: number, eps: number, weightOffset: number): void {
    this.call((copyBack) => {
      const xp = this.input(x, rows * dim, "rmsNorm x");
      const wp = this.input(weight, dim, "rmsNorm weight");
      const op = this.output(out, rows * dim, "rmsNorm out", false);
      this.normRows(op, xp, wp, 0, rows, dim, eps, weightOffset, true);
      copyBack(out, op, rows * dim);
    });
  }

  layerNorm(out: Float32Array, x: Float32Array, weight: Float32Array, bias: Float32Array, rows: number, dim: number, eps: number): void {
    this.call((copyBack) => {
      const xp = this.input(x, rows * dim, "layerNorm x");
      const wp = this.input(weight, dim, "layerNorm weight");
      const bp = this.input(bias, dim, "layerNorm bias");
      const op = this.output(out, rows * dim, "layerNorm out", false);
      this.normRows(op, xp, wp, bp, rows, dim, eps, 0, false);
      copyBack(out, op, rows * dim);
    });
  }

  /** A norm over rows (addresses in the memory): in blocks of rows on every thread when large. */
  private normRows(out: number, x: number, weight: number, bias: number, rows: number, dim: number, eps: number, weightOffset: number, rms: boolean): void {
    if (this.pool === null || rows * dim < PARALLEL_ELEMENTWISE) {
      if (rms) this.kernels.rmsNorm(out, x, weight, rows, dim, eps, weightOffset);
      else this.kernels.layerNorm(out, x, weight, bias, rows, dim, eps);
      return;
    }
    const block = this.tasks.block([out, x, weight, bias, rows, dim, eps, weightOffset, NORM_ROWS_CHUNK, rms ? 1 : 0], [6, 7]);
    this.tasks.run(TASK_NORM_ROWS, block, Math.ceil(rows / NORM_ROWS_CHUNK), true);
  }

  softmax(x: Float32Array, rows: number, cols: number): void {
    this.inPlace(x, rows * cols, "softmax x", (p) => this.kernels.softmaxRows(p, rows, cols));
  }

  scale(x: Float32Array, n: number, factor: number): void {
    this.inPlace(x, n, "scale x", (p) => this.kernels.scaleInPlace(p, n, factor));
  }

  gelu(x: Float32Array, n: number, approximation: GeluApproximation): void {
    const op = approximation === "tanh" ? ACTIVATION_GELU_TANH : ACTIVATION_GELU_ERF;
    this.inPlace(x, n, "gelu x", (p) => this.activation(op, p, n, () => (approximation === "tanh" ? this.kernels.geluTanh(p, n) : this.kernels.geluErf(p, n))));
  }

  relu(x: Float32Array, n: number): void {
    this.inPlace(x, n, "relu x", (p) => this.kernels.relu(p, n));
  }

  silu(x: Float32Array, n: number): void {
    this.inPlace(x, n, "silu x", (p) => this.activation(ACTIVATION_SILU, p, n, () => this.kernels.silu(p, n)));
  }

  tanh(x: Float32Array, n: number): void {
    this.inPlace(x, n, "tanh x", (p) => this.activation(ACTIVATION_TANH, p, n, () => this.kernels.tanhInPlace(p, n)));
  }

  /** An activation in place: `single` on this thread, or in blocks on every thread when large. */
  private activation(op: number, x: number, n: number, single: () => void): void {
    if (this.pool === null || n < PARALLEL_ELEMENTWISE) {
      single();
      return;
    }
    this.tasks.run(TASK_ACTIVATION, this.tasks.block([op, x, n, POINTWISE_CHUNK]), Math.ceil(n / POINTWISE_CHUNK), true);
  }

  // The recurrent cells run the js reference on the buffers (views of this memory or foreign arrays).
  lstmCell(state: Float32Array, gatesInput: Float32Array, gatesHidden: Float32Array, cPrev: Float32Array, rows: number, hidden: number): void {
    lstmCell(state, gatesInput, gatesHidden, cPrev, rows, hidden);
  }

  gruCell(h: Float32Array, gatesInput: Float32Array, gatesHidden: Float32Array, hPrev: Float32Array, rows: number, hidden: number): void {
    gruCell(h, gatesInput, gatesHidden, hPrev, rows, hidden);
  }

  private inPlace(x: Float32Array, n: number, what: string, kernel: (ptr: number) => void): void {
    this.call((copyBack) => {
      const p = this.output(x, n, what, true);
      kernel(p);
      copyBack(x, p, n);
    });
  }

  rope(
    x: Float32Array,
    rows: number,
    nHeads: number,
    headDim: number,
    firstPosition: number,
    cos: Float32Array,
    sin: Float32Array,
    rotaryDim: number,
    layout: RopeLayout,
  ): void {
    const half = rotaryDim / 2;
    const first = firstPosition * half;
    const count = rows * half;
    checkLength(cos, first + count, "rope cos");
    checkLength(sin, first + count, "rope sin");
    this.call((copyBack) => {
      const xp = this.output(x, rows * nHeads * headDim, "rope x", true);
      const cp = this.input(cos.subarray(first, first + count), count, "rope cos");
      const sp = this.input(sin.subarray(first, first + count), count, "rope sin");
      this.kernels.rope(xp, rows, nHeads, headDim, cp, sp, rotaryDim, layout === "interleaved" ? 1 : 0);
      copyBack(x, xp, rows * nHeads * headDim);
    });
  }

  attention(
    out: Float32Array,
    q: Float32Array,
    k: Float32Array,
    v: Float32Array,
    shape: AttentionShape,
    _scores: Float32Array,
    keyMask?: ArrayLike<number>,
  ): void {
    const { queryCount, keyCount, queryOffset, nHeads, nKvHeads, headDim, scale, causal } = shape;
    const window = shape.window ?? 0;
    const softcap = shape.softcap ?? 0;
    const slopes = shape.alibiSlopes ?? null;
    const bias = shape.positionBias ?? null;
    if (queryCount === 0) return;
    if (slopes !== null && slopes.length < nHeads) throw new RangeError(`attention has ${slopes.length} ALiBi slopes for ${nHeads} heads`);
    if (nHeads % nKvHeads !== 0) throw new RangeError(`nHeads ${nHeads} is not a multiple of nKvHeads ${nKvHeads}`);
    this.call((copyBack) => {
      const qLength = queryCount * nHeads * headDim;
      const kvLength = keyCount * nKvHeads * headDim;
      const qp = this.input(q, qLength, "attention q");
      const kp = this.input(k, kvLength, "attention k");
      const vp = this.input(v, kvLength, "attention v");
      const op = this.output(out, qLength, "attention out", false);
      const mp = this.keyMask(keyMask, keyCount, "attention");
      const pool = this.pool;
      const parallel = pool !== null && nHeads > 1 && queryCount * keyCount * nHeads * headDim >= PARALLEL_ATTENTION_WORK;
      // A chunk is a run of heads computed together (the kernel then reads the cache's rows in
      // order), one per thread; any thread may claim any chunk, so each has its own scratch.
      const headsPerPart = Math.ceil(nHeads / (parallel ? Math.min(pool.parts, nHeads) : 1));
      const scratchBytes = Math.ceil((this.kernels.attentionScratchFloats(headsPerPart, headDim) * 4) / 64) * 64;
      const scratch = this.mem.reserve(scratchBytes * (parallel ? pool.parts : 1));
      const c = causal ? 1 : 0;
      const sp = slopes === null ? 0 : this.input(slopes, nHeads, "attention ALiBi slopes");
      const [bw, bb, maxDistance] = bias === null ? [0, 0, 0] : this.placePositionBias(bias, nHeads);
      if (parallel) {
        pool.ints.set([op, qp, kp, vp, queryCount, keyCount, queryOffset, nHeads, nKvHeads, headDim, 0, c, mp, scratch, scratchBytes, window, 0, sp, bw, bb, maxDistance, headsPerPart], ARGS);
        pool.floats[ARGS + 10] = scale;
        pool.floats[ARGS + 16] = softcap;
        pool.run(OP_ATTENTION, Math.ceil(nHeads / headsPerPart));
      } else {
        this.kernels.attention(op, qp, kp, vp, queryCount, keyCount, queryOffset, nHeads, nKvHeads, headDim, scale, c, mp, 0, nHeads, scratch, window, softcap, sp, bw, bb, maxDistance);
      }
      copyBack(out, op, qLength);
    });
  }

  /**
   * A relative position bias's weights and buckets in the memory, for one call: the
   * weights' address (read in place when uploaded), the buckets' (checked, copied) and maxDistance.
   */
  private placePositionBias(bias: RelativePositionBias, nHeads: number): [number, number, number] {
    const { weights, buckets, maxDistance } = bias;
    if (!Number.isSafeInteger(maxDistance) || maxDistance < 0 || buckets.length < 2 * maxDistance + 1) {
      throw new RangeError(`attention position bias: maxDistance ${maxDistance} needs ${2 * maxDistance + 1} buckets, got ${buckets.length}`);
    }
    const rows = Math.floor(weights.length / nHeads);
    const count = 2 * maxDistance + 1;
    const bp = this.mem.reserve(count * 4);
    const placed = new Int32Array(this.mem.memory.buffer, bp, count);
    for (let i = 0; i < count; i++) {
      const row = buckets[i]!;
      if (!(row >= 0 && row < rows)) throw new RangeError(`attention position bias: bucket ${row} (distance ${i - maxDistance}) is outside the ${rows} rows of weights`);
      placed[i] = row;
    }
    const wp = this.input(weights, rows * nHeads, "attention position bias weights");
    return [wp, bp, maxDistance];
  }

  attentionProbabilities(
    probs: Float32Array,
    q: Float32Array,
    k: Float32Array,
    shape: AttentionShape,
    scores: Float32Array,
    keyMask?: ArrayLike<number>,
  ): void {
    // Inspection only, never on the decode path: the js reference, reading the buffers where they are.
    attentionProbabilities(probs, q, k, shape, scores, keyMask);
  }

  // The attention variants (attention-variants.ts): the js reference, on the buffers where they are.
  readonly sparseAttention = sparseAttention;
  readonly sparseAttentionProbabilities = sparseAttentionProbabilities;
  readonly linearAttention = linearAttention;
  readonly linearAttentionProbabilities = linearAttentionProbabilities;
  readonly eluPlusOne = eluPlusOne;
  readonly positiveRandomFeatures = positiveRandomFeatures;
}

/** Whether no f16 pattern is an infinity or NaN (exponent bits all ones). */
function f16AllFinite(bits: Uint16Array): boolean {
  for (let i = 0; i < bits.length; i++) if ((bits[i]! & 0x7c00) === 0x7c00) return false;
  return true;
}

function checkLength(array: ArrayLike<number>, length: number, what: string): void {
  if (array.length < length) throw new RangeError(`${what} has ${array.length} elements, needs ${length}`);
}

/** A WASM SIMD backend; `threads` > 1 starts worker threads (call dispose() when done). */
export function createWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  return WasmBackend.create(options);
}
