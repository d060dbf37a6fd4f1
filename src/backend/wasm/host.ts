// What the WASM backend's training kernels (backward.ts, optimizer.ts) need of
// the backend (index.ts): its memory and kernels, the task runner, and its
// per-call argument placement — an address for each array, in place when the
// array lives in the memory, else a temporary copy (outputs copied back when the
// call ends, temporaries released).

import type { WasmMemory } from "./memory.js";
import type { KernelExports } from "./module.js";
import type { Tasks } from "./tasks.js";

export interface KernelHost {
  readonly mem: WasmMemory;
  readonly kernels: KernelExports;
  readonly tasks: Tasks;
  /** Runs `body`, then copies outputs back to arrays outside the memory and releases temporaries. */
  call(body: (copyBack: (array: Float32Array, ptr: number, length: number) => void) => void): void;
  /** Address of the first `length` floats of `array` (copied in when it is not in the memory). */
  input(array: ArrayLike<number> & ArrayBufferView, length: number, what: string): number;
  /** Address for an output or in-place array (a temporary, filled from it when `copyIn`, when not in the memory). */
  output(array: Float32Array, length: number, what: string, copyIn: boolean): number;
  /** Address of an attention key mask as 0/1 floats (a temporary), or 0 without a mask. */
  keyMask(keyMask: ArrayLike<number> | undefined, keyCount: number, what: string): number;
}
