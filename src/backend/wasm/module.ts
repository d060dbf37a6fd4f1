// Loads the compiled WASM kernels (dist/src/backend/wasm/kernels*.wasm, built from
// ./kernels/*.ts by scripts/build-wasm.mjs) and describes their exports. Node reads
// the file beside this module; a browser fetches it by the same relative URL,
// which bundlers that understand `new URL(…, import.meta.url)` also pick up.

/** The kernels' exports; every pointer argument is a byte address in the shared memory. */
export interface KernelExports {
  matmulF32(out: number, x: number, w: number, bias: number, m: number, n: number, k: number, j0: number, j1: number): void;
  matmulF32Columns(
    out: number, x: number, w: number, bias: number, m: number, n: number, k: number, stride: number, first: number, j0: number, j1: number,
  ): void;
  quantizeActivations(format: number, xq: number, xd: number, xs: number, x: number, m: number, k: number): void;
  matmulHalf(
    kind: number, out: number, x: number, w: number, bias: number, m: number, n: number, k: number, j0: number, j1: number, scratch: number,
  ): void;
  matmulQuant(
    kind: number, out: number, xq: number, xd: number, xs: number, w: number, bias: number,
    m: number, n: number, k: number, j0: number, j1: number, scratch: number,
  ): void;
  zero(at: number, bytes: number): void;
  copy(to: number, from: number, bytes: number): void;
  add(out: number, a: number, b: number, n: number): void;
  mul(out: number, a: number, b: number, n: number): void;
  scaleInPlace(x: number, n: number, factor: number): void;
  rmsNorm(out: number, x: number, weight: number, rows: number, dim: number, eps: number, weightOffset: number): void;
  layerNorm(out: number, x: number, weight: number, bias: number, rows: number, dim: number, eps: number): void;
  softmaxRows(x: number, rows: number, cols: number): void;
  geluTanh(x: number, n: number): void;
  geluErf(x: number, n: number): void;
  relu(x: number, n: number): void;
  silu(x: number, n: number): void;
  tanhInPlace(x: number, n: number): void;
  sumForBandwidth(x: number, n: number): number;
  rope(x: number, rows: number, nHeads: number, headDim: number, cos: number, sin: number, rotaryDim: number, interleaved: number): void;
  /** Chunk `chunk` of task `task` (tasks.ts) with its argument block at `args`, on thread `thread`'s scratch. */
  runTask(task: number, args: number, chunk: number, thread: number): void;
  /** Per-thread scratch bytes of a quantized product of m activation rows (panels.ts). */
  quantScratchBytes(m: number): number;
  /** Per-thread scratch bytes of a GEMM block of `colsPerChunk` columns (gemm.ts). */
  gemmScratchBytes(colsPerChunk: number): number;
  /** Per-thread scratch floats of the attention backward (attention-backward.ts). */
  attentionBackwardScratchFloats(keyCount: number): number;
  /** Per-thread scratch floats of the attention of `heads` heads (attention.ts). */
  attentionScratchFloats(heads: number, headDim: number): number;
  attention(
    out: number, q: number, k: number, v: number,
    queryCount: number, keyCount: number, queryOffset: number,
    nHeads: number, nKvHeads: number, headDim: number, scale: number, causal: number,
    mask: number, h0: number, h1: number, scratch: number, window: number, softcap: number, slopes: number,
    biasWeights: number, biasBuckets: number, maxDistance: number,
  ): void;
}

const compiled = new Map<string, Promise<WebAssembly.Module>>();

/**
 * The compiled kernels (once per process or page): the build for a shared memory
 * (threads), or the same code for an ordinary memory; with `relaxed`, the build
 * using relaxed SIMD's fused multiply–add (only for engines that validate it).
 */
export function kernelModule(shared: boolean, relaxed = false): Promise<WebAssembly.Module> {
  const file = `./kernels${relaxed ? "-relaxed" : ""}${shared ? "" : "-unshared"}.wasm`;
  let module = compiled.get(file);
  if (module === undefined) {
    module = compileKernels(file);
    compiled.set(file, module);
  }
  return module;
}

async function compileKernels(file: string): Promise<WebAssembly.Module> {
  const url = new URL(file, import.meta.url);
  if (url.protocol === "file:") {
    const { readFile } = await import("node:fs/promises");
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = new Uint8Array(await readFile(url));
    } catch (error) {
      throw new Error(`the WASM kernels are not built (${url.pathname}): run "npm run build" (${String(error)})`);
    }
    return WebAssembly.compile(bytes);
  }
  try {
    return await WebAssembly.compileStreaming(fetch(url));
  } catch {
    // A server that does not send Content-Type: application/wasm.
    const response = await fetch(url);
    if (!response.ok) throw new Error(`the WASM kernels could not be fetched from ${url.href}: HTTP ${response.status}`);
    return WebAssembly.compile(await response.arrayBuffer());
  }
}

export function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): KernelExports {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return instance.exports as unknown as KernelExports;
}
