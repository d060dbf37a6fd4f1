// A bump allocator for the buffers of one recording (activations, their
// gradients, kernel scratch): blocks taken once from a backend and handed out
// again after reset(), so a training loop allocates nothing per step once its
// first step has sized the blocks (a step asks for the same sizes in the same
// order every time). Gradients spent during the backward pass come back through
// release() and serve the next ones of the same size, which keeps a step's
// footprint (and the memory it sweeps) near its activations'. The blocks of the
// WASM backend live in its memory, so its kernels work on tape buffers in place;
// the js backend's are plain arrays.

/** Floats per block; a larger request gets a block of its own size. */
const BLOCK = 1 << 20;
/** Buffers start on 16-float (64-byte) boundaries. */
const ALIGN = 16;

export class TapeArena<A extends Float32Array | Float64Array = Float32Array> {
  private readonly blocks: A[] = [];
  private block = 0;
  private used = 0;
  /** Buffers given back with release(), by length: reused before the blocks are cut further. */
  private readonly spare = new Map<number, A[]>();

  /**
   * `take(length)` returns a new zeroed buffer of `length` floats (backend.allocate);
   * `clear` zeroes a buffer (a backend's faster way, or fill).
   */
  constructor(
    private readonly take: (length: number) => A,
    private readonly clear: (buffer: A) => void = (buffer) => buffer.fill(0),
  ) {}

  /** A zeroed buffer of `length` floats, valid until reset() (or its release()). */
  allocate(length: number): A {
    const reused = this.spare.get(length)?.pop();
    if (reused !== undefined) {
      this.clear(reused);
      return reused;
    }
    const view = this.cut(length);
    this.clear(view);
    return view;
  }

  /** A buffer of `length` floats with whatever it held before: for outputs their kernel overwrites. */
  allocateOutput(length: number): A {
    return this.cut(length);
  }

  /** Takes back a buffer that nothing reads any more; allocate() hands it out again. */
  release(buffer: A): void {
    let list = this.spare.get(buffer.length);
    if (list === undefined) {
      list = [];
      this.spare.set(buffer.length, list);
    }
    list.push(buffer);
  }

  private cut(length: number): A {
    const size = Math.ceil(length / ALIGN) * ALIGN;
    for (;;) {
      let current = this.blocks[this.block];
      if (current === undefined) {
        current = this.take(Math.max(BLOCK, size));
        this.blocks.push(current);
      }
      if (this.used + size <= current.length) {
        const view = current.subarray(this.used, this.used + length) as A;
        this.used += size;
        return view;
      }
      if (this.used === 0) {
        // Too small for this request even empty (a larger shape than before): a block of its size, here.
        this.blocks.splice(this.block, 0, this.take(size));
        continue;
      }
      this.block++;
      this.used = 0;
    }
  }

  /** Every buffer handed out so far may be handed out again. */
  reset(): void {
    this.block = 0;
    this.used = 0;
    for (const list of this.spare.values()) list.length = 0;
  }
}
