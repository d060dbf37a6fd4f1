// Picks a backend: "wasm" (WebAssembly SIMD kernels, with worker threads when
// SharedArrayBuffer is available), "js" (the plain reference), or "auto" (the
// default): wasm when the runtime validates WebAssembly SIMD, else js. Threads
// default to the available cores (os.availableParallelism() in Node,
// navigator.hardwareConcurrency in browsers); in a browser page that is not
// cross-origin isolated there is no SharedArrayBuffer, so wasm runs on one thread.

import type { Backend } from "./backend.js";
import { jsBackend } from "./js/index.js";
import { OptionError } from "../errors.js";

export type { WasmBackend } from "./wasm/index.js";

export type BackendName = "js" | "wasm" | "auto";

export interface BackendOptions {
  backend?: BackendName;
  /** Threads for the wasm backend, the caller's included (default: available cores). */
  threads?: number;
}

/** The most threads a backend starts (more than the cores only slows the spin-waits). */
const MAX_THREADS = 64;

export async function createBackend(options: BackendOptions = {}): Promise<Backend> {
  const name = options.backend ?? "auto";
  if (name !== "js" && name !== "wasm" && name !== "auto") {
    throw new OptionError("backend", `expected "js", "wasm" or "auto", got ${JSON.stringify(name)}`);
  }
  const threads = options.threads;
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS)) {
    throw new OptionError("threads", `expected an integer from 1 to ${MAX_THREADS}, got ${String(threads)}`);
  }
  if (name === "js") return jsBackend;
  if (!wasmSimdSupported()) {
    if (name === "wasm") throw new OptionError("backend", "this runtime has no WebAssembly SIMD; use --backend js");
    return jsBackend;
  }
  const { createWasmBackend } = await import("./wasm/index.js");
  const shared = typeof SharedArrayBuffer !== "undefined";
  return createWasmBackend({ threads: shared ? (threads ?? (await availableCores())) : 1 });
}

const shared = new Map<string, Promise<Backend>>();

/**
 * The process-wide backend for these options, created on first use: models loaded
 * with the same options share it (one memory, one pool of worker threads).
 */
export function sharedBackend(options: BackendOptions = {}): Promise<Backend> {
  const key = `${options.backend ?? "auto"}@${options.threads ?? "default"}`;
  let backend = shared.get(key);
  if (backend === undefined) {
    backend = createBackend(options);
    shared.set(key, backend);
    backend.catch(() => shared.delete(key));
  }
  return backend;
}

/** Scopes handed to models by modelBackend: theirs to release. */
const modelScopes = new WeakSet<Backend>();

/**
 * The backend a model loads onto: the process-wide one for these options, through a
 * scope of its own when the backend has scopes (WASM), so that releaseModelBackend
 * gives back what the model placed there while other models keep running.
 */
export async function modelBackend(options: BackendOptions = {}): Promise<Backend> {
  const backend = await sharedBackend(options);
  const scoped = (backend as Partial<{ scope(): Backend }>).scope?.();
  if (scoped === undefined) return backend;
  modelScopes.add(scoped);
  return scoped;
}

/**
 * Gives back the memory of a model's backend when it is the model's own scope
 * (modelBackend); a backend the caller passed stays as it is (the caller disposes it).
 */
export function releaseModelBackend(backend: Backend): void {
  if (!modelScopes.has(backend)) return;
  modelScopes.delete(backend);
  disposeBackend(backend);
}

/** Whether WebAssembly with 128-bit SIMD is available (validates a tiny module using v128). */
export function wasmSimdSupported(): boolean {
  if (typeof WebAssembly !== "object") return false;
  // (module (func (result v128) i32.const 0 i32x4.splat))
  const bytes = new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 8, 1, 6, 0, 65, 0, 253, 17, 11,
  ]);
  try {
    return WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

/**
 * Whether the engine validates relaxed SIMD (a tiny module using f32x4.relaxed_madd):
 * Chrome ≥ 114, Firefox ≥ 120, Node ≥ 21; Node 20 with --experimental-wasm-relaxed-simd.
 */
export function relaxedSimdSupported(): boolean {
  if (typeof WebAssembly !== "object") return false;
  // (module (func (param v128 v128 v128) (result v128) local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd))
  const bytes = new Uint8Array([
    0, 97, 115, 109, 1, 0, 0, 0, 1, 8, 1, 96, 3, 123, 123, 123, 1, 123, 3, 2, 1, 0, 10, 13, 1, 11, 0, 32, 0, 32, 1, 32, 2, 253, 133, 2, 11,
  ]);
  try {
    return WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

async function availableCores(): Promise<number> {
  if (typeof process !== "undefined" && process.versions?.node !== undefined) {
    const os = await import("node:os");
    return Math.max(1, Math.min(MAX_THREADS, os.availableParallelism()));
  }
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return Math.max(1, Math.min(MAX_THREADS, nav?.hardwareConcurrency ?? 1));
}

/** Stops a backend's worker threads, if it has any (the wasm backend); a no-op for js. */
export function disposeBackend(backend: Backend): void {
  (backend as Partial<{ dispose(): void }>).dispose?.();
}
