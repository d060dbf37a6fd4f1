// A token sequence whose keys and values sit in a KV cache: the ids the cache holds,
// in order, so that a new sequence (a conversation re-rendered with one more turn)
// runs only the ids after the longest common prefix with them. Shorter or diverging
// sequences roll the cache back by setting its length. One per chat session; a
// server slot can hold one the same way.

import type { DecodeState, DecoderOnlyModel } from "../models/decoder-only.js";

function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

export class CachedSequence {
  private state: DecodeState | null = null;
  /** The ids whose keys and values fill the cache, in order (cache.length of them). */
  private held: number[] = [];

  constructor(private readonly network: DecoderOnlyModel) {}

  /** The ids in the cache (read-only view: the repetition penalty reads it). */
  get ids(): readonly number[] {
    return this.held;
  }

  /** [vocab] logits after the last id run. */
  get logits(): Float32Array {
    return this.acquire().logits;
  }

  /** Brings the cache to hold `ids`, running only what follows the part it already has; logits then belong to the last id. */
  prefill(ids: readonly number[]): { reused: number; processed: number } {
    const state = this.acquire();
    let reused = commonPrefixLength(this.held, ids);
    if (reused === ids.length) reused--; // the last id runs again: its logits are needed
    state.cache.length = reused;
    this.held.length = reused;
    this.feed(ids.slice(reused));
    return { reused, processed: ids.length - reused };
  }

  /** Runs `ids` after those held and appends them. */
  feed(ids: ArrayLike<number>): void {
    const state = this.acquire();
    try {
      this.network.forward(ids, state.cache, state.logits, "last");
    } catch (error) {
      state.cache.length = 0; // a failed step leaves the cache in an unknown state
      this.held = [];
      throw error;
    }
    for (let i = 0; i < ids.length; i++) this.held.push(ids[i]!);
  }

  /** Hands the KV cache back to the model; the next prefill starts a new one. */
  release(): void {
    if (this.state !== null) this.network.releaseState(this.state);
    this.state = null;
    this.held = [];
  }

  private acquire(): DecodeState {
    this.state ??= this.network.acquireState(this.network.config.contextLength);
    return this.state;
  }
}
