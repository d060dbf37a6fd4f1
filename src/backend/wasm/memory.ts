// The WASM backend's linear memory and its bump allocator. Weights, the KV cache
// and activation buffers are placed here once, so kernels read them in place.
// With a shared memory (SharedArrayBuffer; Node, or a cross-origin-isolated page)
// views stay valid when the memory grows and worker threads see the same bytes.
// Without it (a page that is not cross-origin isolated) a grow detaches every
// view, so the backend then keeps activations in ordinary arrays and only
// weights here (see index.ts).

/** Buffers start above the kernels' constant data (scripts/build-wasm.mjs checks it stays below). */
export const ARENA_START = 64 * 1024;
const PAGE = 64 * 1024;
const ALIGN = 64;

export class WasmMemory {
  readonly memory: WebAssembly.Memory;
  readonly shared: boolean;
  /** Next free byte. */
  top = ARENA_START;
  /** Every buffer object the memory has had: a view into any of them is in this memory. */
  private readonly buffers = new Set<ArrayBufferLike>();
  private heapView: Float32Array;
  private intsView: Int32Array;

  /** The most bytes the memory may grow to. */
  readonly limit: number;

  constructor(shared: boolean) {
    this.shared = shared;
    const created = shared ? createShared() : { memory: new WebAssembly.Memory({ initial: 2, maximum: 65536 }), maximum: 65536 };
    this.memory = created.memory;
    this.limit = created.maximum * PAGE;
    this.buffers.add(this.memory.buffer);
    this.heapView = new Float32Array(this.memory.buffer);
    this.intsView = new Int32Array(this.memory.buffer);
  }

  /** The whole memory as floats (index = address / 4), for copies without a view per call. */
  get heap(): Float32Array {
    return this.heapView;
  }

  /** The whole memory as int32 (index = address / 4): kernel argument blocks, token ids. */
  get ints(): Int32Array {
    return this.intsView;
  }

  /** Reserves `bytes` (64-byte aligned), growing the memory when needed; contents are not cleared. */
  reserve(bytes: number): number {
    const ptr = Math.ceil(this.top / ALIGN) * ALIGN;
    const end = ptr + bytes;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      const pages = Math.ceil((end - have) / PAGE);
      try {
        this.memory.grow(pages);
      } catch (error) {
        throw new RangeError(`the WASM memory cannot grow to ${end} bytes (${String(error)})`);
      }
      this.buffers.add(this.memory.buffer);
      this.heapView = new Float32Array(this.memory.buffer);
      this.intsView = new Int32Array(this.memory.buffer);
    }
    this.top = end;
    return ptr;
  }

  f32(ptr: number, length: number): Float32Array {
    return new Float32Array(this.memory.buffer, ptr, length);
  }

  /** The byte address of a view into this memory, or −1 for any other array. */
  addressOf(view: ArrayBufferView): number {
    if (this.shared && this.buffers.has(view.buffer)) return view.byteOffset;
    if (!this.shared && view.buffer === this.memory.buffer) return view.byteOffset;
    return -1;
  }
}

function createShared(): { memory: WebAssembly.Memory; maximum: number } {
  // 4 GiB of address space is only reserved, not committed; smaller limits for
  // runtimes (mobile browsers) that refuse to reserve that much.
  let lastError: unknown;
  for (const maximum of [65536, 32768, 16384]) {
    try {
      return { memory: new WebAssembly.Memory({ initial: 2, maximum, shared: true }), maximum };
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}
