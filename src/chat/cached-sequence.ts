// A token sequence whose keys and values sit in a KV cache: the ids the cache holds,
// in order, so that a new sequence (a conversation re-rendered with one more turn)
// runs only the ids after the longest common prefix with them. Shorter or diverging
// sequences roll the cache back (all of it, when a sliding window has already
// dropped keys the new tokens would need). One per chat session; a server slot can
// hold one the same way, and `feedTogether` steps the sequences of several slots in
// one pass over the weights (continuous batching, DecoderOnlyModel.decodeBatch).

import { InputError } from "../errors.js";
import type { DecodeState, DecoderOnlyModel } from "../models/decoder-only.js";

/** How many ids two sequences share from the start. */
export function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

export class CachedSequence {
  private state: DecodeState | null = null;
  /** The ids whose keys and values fill the cache, in order (cache.length of them). */
  private held: number[] = [];

  constructor(
    private readonly network: DecoderOnlyModel,
    /** Positions the sequence may reach (default: the model's context). */
    readonly maxPositions: number = network.config.contextLength,
  ) {
    if (!Number.isSafeInteger(maxPositions) || maxPositions < 1 || maxPositions > network.config.contextLength) {
      throw new InputError(`a cached sequence holds 1 to ${network.config.contextLength} positions (the model's context), not ${maxPositions}`);
    }
  }

  /**
   * One decode step of several sequences of the same network in one pass over the
   * weights: ids[i] runs after the ids sequences[i] holds, and each sequence's logits
   * then belong to it. `batchLogits` has room for [sequences.length, vocab] floats
   * (or [chunkRows, vocab]: larger groups run chunkRows at a time). A model whose
   * layers cannot be batched (linear attention) steps them one by one.
   */
  static feedTogether(sequences: readonly CachedSequence[], ids: ArrayLike<number>, batchLogits: Float32Array): void {
    if (sequences.length !== ids.length) throw new InputError(`${ids.length} tokens for ${sequences.length} sequences`);
    if (sequences.length === 0) return;
    const network = sequences[0]!.network;
    if (sequences.some((s) => s.network !== network)) throw new InputError("sequences of different models cannot be stepped together");
    for (const s of sequences) s.checkRoom(1);
    if (!network.batchedDecoding) {
      sequences.forEach((s, i) => s.feed([ids[i]!]));
      return;
    }
    const vocab = network.config.vocabSize;
    for (let first = 0; first < sequences.length; first += network.chunkRows) {
      const group = sequences.slice(first, first + network.chunkRows);
      const states = group.map((s) => s.acquire());
      const groupIds = Array.prototype.slice.call(ids, first, first + group.length) as number[];
      try {
        network.decodeBatch(groupIds, states.map((s) => s.cache), batchLogits); // [group, vocab]
      } catch (error) {
        for (const s of group) s.forget(); // a failed step leaves the caches in an unknown state
        throw error;
      }
      group.forEach((s, i) => {
        states[i]!.logits.set(batchLogits.subarray(i * vocab, (i + 1) * vocab));
        s.held.push(groupIds[i]!);
      });
    }
  }

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
    reused = state.cache.rollback(reused);
    this.held.length = reused;
    this.feed(ids.slice(reused));
    return { reused, processed: ids.length - reused };
  }

  /** Runs `ids` after those held and appends them. */
  feed(ids: ArrayLike<number>): void {
    this.checkRoom(ids.length);
    const state = this.acquire();
    try {
      this.network.forward(ids, state.cache, state.logits, "last");
    } catch (error) {
      this.forget(); // a failed step leaves the cache in an unknown state
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

  /** An InputError when `count` more ids would not fit the sequence's positions. */
  private checkRoom(count: number): void {
    if (this.held.length + count > this.maxPositions) {
      throw new InputError(`${this.held.length + count} tokens do not fit: this sequence holds ${this.maxPositions} positions`);
    }
  }

  /** Empties the cache (keeping its memory). */
  private forget(): void {
    this.state?.cache.reset();
    this.held = [];
  }

  private acquire(): DecodeState {
    this.state ??= this.network.acquireGrowingState(this.maxPositions);
    return this.state;
  }
}
