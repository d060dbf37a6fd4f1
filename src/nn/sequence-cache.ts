// What a decoder keeps of one sequence between forward calls, layer by layer, so
// that a generation step only computes the new token: each layer's state, of the
// kind its attention needs — the keys and values of the positions processed
// (kv-cache.ts: all of them, or a sliding window's), or linear attention's running
// sums (linear-attention-state.ts), whose size does not grow with the sequence.
// `length` counts the positions processed; `maxPositions` bounds them.

/** One layer's share of a SequenceCache. */
export interface LayerState {
  /** Key rows one attention call may read (sizes the kernels' score scratch); 0 for a state that keeps no keys. */
  readonly rows: number;
  /** Floats the state holds now: its memory. */
  readonly floats: number;
  /** Back to the empty state of a new sequence. */
  reset(): void;
  /**
   * Whether the state can go on from `position` (≤ the positions processed), its
   * later positions forgotten: a KV cache can while it still holds the keys those
   * positions see; running sums cannot be taken back.
   */
  canResumeAt(position: number): boolean;
}

/** Sizes a layer's state is made for. */
export interface LayerStateSizes {
  /** Positions the sequence may reach. */
  readonly maxPositions: number;
  /** The most positions one forward call adds. */
  readonly chunkRows: number;
  /** Positions a growing buffer starts with (it grows on demand up to maxPositions). */
  readonly initialPositions: number;
}

export class SequenceCache<S extends LayerState = LayerState> {
  /** Positions already processed (the position of the next token). */
  length = 0;

  constructor(
    readonly maxPositions: number,
    readonly layers: readonly S[],
  ) {}

  get numLayers(): number {
    return this.layers.length;
  }

  /** Rows of the longest key buffer (keys one attention call may see). */
  get maxLayerRows(): number {
    let rows = 0;
    for (const layer of this.layers) rows = Math.max(rows, layer.rows);
    return rows;
  }

  /** Floats every layer's state holds now. */
  get floats(): number {
    let floats = 0;
    for (const layer of this.layers) floats += layer.floats;
    return floats;
  }

  reset(): void {
    this.length = 0;
    for (const layer of this.layers) layer.reset();
  }

  /**
   * Forgets the positions from `length` on (a chat turn that diverged) and returns
   * how many the cache still holds: `length`, or 0 when a layer cannot resume there
   * (a sliding window already dropped keys those positions need; linear attention's
   * sums) — the sequence must then be run again from the start.
   */
  rollback(length: number): number {
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`cannot roll a sequence cache back to ${length}`);
    if (length >= this.length) return this.length;
    if (!this.layers.every((l) => l.canResumeAt(length))) {
      this.reset();
      return 0;
    }
    this.length = length;
    return length;
  }
}
