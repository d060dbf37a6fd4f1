// Capture points: where the shared modules hand an activation to an optional
// observer (inspection) which may also change it in place (interventions:
// ablation, activation patching). The names follow TransformerLens's hooks, so a
// point is `blocks.<layer>.<point>` or `final_norm`:
//
//   resid_pre     the residual stream entering the block              [rows, hidden]
//   attn.pattern  the attention probabilities, after softmax          [heads, rows, keys]  (read only)
//   attn.z        each head's output before the output projection     [rows, heads · headDim]
//   attn_out      what attention adds to the residual stream          [rows, hidden]
//   resid_mid     the stream between attention and the MLP            [rows, hidden]
//   mlp.post      the MLP's hidden activations (the "neurons")        [rows, ffn]
//   mlp_out       what the MLP adds to the residual stream            [rows, hidden]
//   resid_post    the stream leaving the block                        [rows, hidden]
//   final_norm    the final norm's output (layer = number of layers)  [rows, hidden]
//
// When no observer is attached a module pays one null check per point and
// allocates nothing.

import type { Backend } from "../backend/backend.js";
import type { KvCache } from "./kv-cache.js";
import type { Scratch } from "./scratch.js";

export const BLOCK_POINTS = ["resid_pre", "attn.pattern", "attn.z", "attn_out", "resid_mid", "mlp.post", "mlp_out", "resid_post"] as const;
export type BlockPoint = (typeof BLOCK_POINTS)[number];
export type CapturePoint = BlockPoint | "final_norm";

/** One activation handed to an observer. */
export interface CapturedValue {
  /**
   * Position-wise points: [rows, width], row i at position `position + i` of the
   * sequence. attn.pattern: [heads, rows, keyCount], key t at position `keyOffset + t`.
   */
  readonly data: Float32Array;
  readonly rows: number;
  /** Floats per row (position-wise points); keyCount for the pattern. */
  readonly width: number;
  readonly position: number;
  /** attn.pattern only: the position of key 0 (non-zero once a sliding window has moved on). */
  readonly keyOffset: number;
  /** attn.pattern only: query heads. */
  readonly heads: number;
}

export interface ForwardObserver {
  /** A batch's sequence `index` starts (positions count from 0 again). */
  beginSequence?(index: number): void;
  /** Whether `point` of `layer` is wanted in this pass (asked before the value is computed). */
  wants(layer: number, point: CapturePoint): boolean;
  /** The value at a wanted point; position-wise values may be modified in place. */
  visit(layer: number, point: CapturePoint, value: CapturedValue): void;
}

/** Rows of a batched decode step: row i is the next token of the sequence whose KV cache is caches[i], at positions[i]. */
export interface SequenceRows {
  readonly caches: readonly KvCache[];
  readonly positions: ArrayLike<number>;
}

/** What every module of one forward pass shares: the backend, the scratch buffers, the observer, the block being run. */
export interface ForwardPass {
  readonly backend: Backend;
  readonly scratch: Scratch;
  observer: ForwardObserver | null;
  /** Index of the block being run (set by the block). */
  layer: number;
  /** Set for a batched decode step (one row per sequence); null when the rows are consecutive positions of one sequence. */
  sequences: SequenceRows | null;
}

/** Hands data [rows, width] at `position` to the pass's observer when it wants `point`. */
export function observe(pass: ForwardPass, point: CapturePoint, data: Float32Array, rows: number, width: number, position: number): void {
  const observer = pass.observer;
  if (observer === null || !observer.wants(pass.layer, point)) return;
  observer.visit(pass.layer, point, { data, rows, width, position, keyOffset: 0, heads: 0 });
}
