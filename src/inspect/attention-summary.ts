// Reading attention maps ([1, heads, seq, seq], query rows × key columns, as
// inspectPrompt captures them): one query's row, the earlier token a head looks
// at most, and maps pooled to a few cells for thumbnails.

import type { CapturedArray } from "./recorder.js";

/** The weights query `query` of `head` gives to each key: [seq] (a view, not a copy). */
export function attentionRow(map: CapturedArray, head: number, query: number): Float32Array {
  const seq = map.shape[3]!;
  const at = (head * seq + query) * seq;
  return map.data.subarray(at, at + seq);
}

/** The earlier position (key < query) that `head` weighs most from `query`, or null at position 0 (lower position among ties). */
export function mostAttendedPrevious(map: CapturedArray, head: number, query: number): { position: number; weight: number } | null {
  if (query <= 0) return null;
  const row = attentionRow(map, head, query);
  let position = 0;
  for (let key = 1; key < query; key++) if (row[key]! > row[position]!) position = key;
  return { position, weight: row[position]! };
}

export interface PooledMap {
  /** [cells, cells] */
  readonly values: Float32Array;
  readonly cells: number;
  /** Positions per cell along each side (the last cell may hold fewer). */
  readonly block: number;
}

/**
 * The map of `head` in at most `maxCells` × `maxCells` cells, each the largest
 * weight of the block of (query, key) pairs it covers — so a sharp pattern (the
 * previous-token diagonal) stays visible when 512 positions shrink to 48.
 */
export function poolAttention(map: CapturedArray, head: number, maxCells: number): PooledMap {
  const seq = map.shape[3]!;
  const block = Math.ceil(seq / Math.max(1, maxCells));
  const cells = Math.ceil(seq / block);
  const values = new Float32Array(cells * cells);
  const base = head * seq * seq;
  for (let q = 0; q < seq; q++) {
    const row = (q / block) | 0;
    for (let k = 0; k <= q; k++) {
      const weight = map.data[base + q * seq + k]!;
      const at = row * cells + ((k / block) | 0);
      if (weight > values[at]!) values[at] = weight;
    }
  }
  return { values, cells, block };
}
