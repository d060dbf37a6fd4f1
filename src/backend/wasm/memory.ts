// The WASM backend's linear memory and its allocator. Weights, the KV cache and
// activation buffers are placed here once (place), so kernels read them in place,
// and given back when their model is disposed (release): a first-fit free list
// whose neighbouring holes merge, and whose last hole lowers the top, so loading
// models one after another reuses the same bytes. A kernel call's temporaries are
// reserved above the top (reserve) and dropped by resetting it when the call ends.
// A WebAssembly memory never shrinks: released bytes are reused, not returned.
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
  /** Released regions below the top, by address, none adjacent to another: [ptr, bytes]. */
  private readonly holes: [number, number][] = [];
  /** Bytes in the holes. */
  private holeBytes = 0;
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

  /** Reserves `bytes` (64-byte aligned) at the top, growing the memory when needed; contents are not cleared. A call's temporaries. */
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

  /** Bytes placed and not released (the top minus the holes). */
  get used(): number {
    return this.top - this.holeBytes;
  }

  /** Places a lasting buffer of `bytes` (64-byte aligned): in the first hole it fits, else at the top. */
  place(bytes: number): number {
    const size = Math.ceil(bytes / ALIGN) * ALIGN;
    for (let i = 0; i < this.holes.length; i++) {
      const [ptr, length] = this.holes[i]!;
      if (length < size) continue;
      if (length === size) this.holes.splice(i, 1);
      else this.holes[i] = [ptr + size, length - size];
      this.holeBytes -= size;
      return ptr;
    }
    const ptr = this.reserve(size);
    this.top = ptr + size;
    return ptr;
  }

  /** Gives back a buffer from place (its address and the byte count asked for). */
  release(ptr: number, bytes: number): void {
    const size = Math.ceil(bytes / ALIGN) * ALIGN;
    if (ptr % ALIGN !== 0 || ptr < ARENA_START || ptr + size > this.top) throw new RangeError(`release of ${bytes} bytes at ${ptr}: not a placed region`);
    let i = 0;
    while (i < this.holes.length && this.holes[i]![0] < ptr) i++;
    const before = this.holes[i - 1];
    const after = this.holes[i];
    if ((before !== undefined && before[0] + before[1] > ptr) || (after !== undefined && ptr + size > after[0])) {
      throw new RangeError(`release of ${bytes} bytes at ${ptr}: the region is already free`);
    }
    let start = ptr, length = size;
    if (after !== undefined && after[0] === ptr + size) {
      length += after[1];
      this.holes.splice(i, 1);
    }
    if (before !== undefined && before[0] + before[1] === ptr) {
      start = before[0];
      length += before[1];
      this.holes.splice(--i, 1);
    }
    this.holeBytes += size;
    if (start + length >= this.top) {
      this.top = start;
      this.holeBytes -= length;
    } else {
      this.holes.splice(i, 0, [start, length]);
    }
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
