// The KV cache: keys and values of the processed positions, per layer, so a
// generation step only computes the new token's projections. `length` counts the
// positions processed; `maxPositions` bounds them (the context, or what a call
// asked for).
//
// A full-attention layer's buffer starts at the size the caller expects to use and
// doubles when a sequence outgrows it (a context of 128k positions is never
// allocated for a short chat). A sliding-window layer (Mistral; Gemma's local
// layers) keeps only what its window can still reach: window − 1 + max(chunk,
// window) rows, and when full it moves its last window − 1 rows to the front
// (`offset` is then the position of row 0) — about one row copied per token, and
// constant memory however long generation runs.

import type { Backend } from "../backend/backend.js";
import { InputError } from "../errors.js";
import { SequenceCache, type LayerState, type LayerStateSizes } from "./sequence-cache.js";

export class LayerKvCache implements LayerState {
  /** [rows, kvDim] */
  keys: Float32Array;
  /** [rows, kvDim] */
  values: Float32Array;
  /** Position of row 0. */
  offset = 0;

  constructor(
    readonly kvDim: number,
    /** Rows the buffers hold now. */
    public rows: number,
    /** Rows a full-attention layer may grow to (its positions); a window layer never grows. */
    readonly maxRows: number,
    /** Keys a query sees, itself included (0: all). */
    readonly window: number,
    private readonly backend: Backend,
  ) {
    this.keys = backend.allocate(rows * kvDim);
    this.values = backend.allocate(rows * kvDim);
  }

  /**
   * Makes room for `rows` new positions from `position` on and returns the row
   * the first goes to: a sliding window drops the keys no query can reach any
   * more; a full layer grows.
   */
  reserve(position: number, rows: number): number {
    let row = position - this.offset;
    if (row < 0) throw new RangeError(`position ${position} is before the cache's first row (${this.offset})`);
    if (row + rows <= this.rows) return row;
    if (this.window > 0) {
      const keep = Math.min(row, this.window - 1);
      const from = row - keep;
      this.keys.copyWithin(0, from * this.kvDim, row * this.kvDim);
      this.values.copyWithin(0, from * this.kvDim, row * this.kvDim);
      this.offset += from;
      row = keep;
      if (row + rows <= this.rows) return row;
    } else if (row + rows <= this.maxRows) {
      this.grow(Math.min(this.maxRows, Math.max(row + rows, 2 * this.rows)), row);
      return row;
    }
    throw new InputError(`${position + rows} positions do not fit: the KV cache holds ${this.maxRows} positions`);
  }

  reset(): void {
    this.offset = 0;
  }

  canResumeAt(position: number): boolean {
    return this.offset === 0 || (this.window > 0 && position >= this.offset + this.window - 1);
  }

  get floats(): number {
    return 2 * this.rows * this.kvDim;
  }

  private grow(rows: number, filled: number): void {
    const keys = this.backend.allocate(rows * this.kvDim);
    const values = this.backend.allocate(rows * this.kvDim);
    keys.set(this.keys.subarray(0, filled * this.kvDim));
    values.set(this.values.subarray(0, filled * this.kvDim));
    this.keys = keys;
    this.values = values;
    this.rows = rows;
  }
}

/**
 * A layer's KV cache: a sliding-window layer's holds window − 1 + max(chunk, window)
 * rows and never grows; a full-attention layer's starts with initialPositions rows.
 */
export function layerKvCache(kvDim: number, window: number, sizes: LayerStateSizes, backend: Backend): LayerKvCache {
  const { maxPositions, chunkRows, initialPositions } = sizes;
  return window > 0
    ? new LayerKvCache(kvDim, Math.min(maxPositions, window - 1 + Math.max(chunkRows, window)), 0, window, backend)
    : new LayerKvCache(kvDim, Math.min(maxPositions, initialPositions), maxPositions, 0, backend);
}

/** A SequenceCache whose layers all keep keys and values of one width. */
export class KvCache extends SequenceCache<LayerKvCache> {
  /**
   * A cache for up to `maxPositions` positions. windows[l] is layer l's sliding
   * window (0: full attention); `chunkRows` is the most positions one forward call
   * adds; full layers start with `initialPositions` rows (default: all).
   */
  constructor(
    readonly kvDim: number,
    maxPositions: number,
    windows: readonly number[],
    chunkRows: number,
    backend: Backend,
    initialPositions: number = maxPositions,
  ) {
    super(
      maxPositions,
      windows.map((window) => layerKvCache(kvDim, window, { maxPositions, chunkRows, initialPositions }, backend)),
    );
  }
}
