// The decoder-only language model shared by the GPT-2 and Llama families:
//   token embeddings (+ learned positions) → N × block → final norm → LM head → logits
// Prompts are processed in chunks of up to `chunkRows` tokens, each token's keys
// and values kept in a KV cache, so generation then runs one token per step.
// The family files (gpt2.ts, llama.ts) build the parts from a config.

import { crossEntropy } from "../autograd/cross-entropy.js";
import { add } from "../autograd/elementwise.js";
import type { Variable } from "../autograd/variable.js";
import type { Backend } from "../backend/backend.js";
import { InputError } from "../errors.js";
import { residualDropout, type PreNormBlock } from "../nn/block.js";
import type { Embedding } from "../nn/embedding.js";
import { KvCache } from "../nn/kv-cache.js";
import type { Linear } from "../nn/linear.js";
import type { Norm } from "../nn/norm.js";
import type { ParameterIndex } from "../nn/parameter-index.js";
import { Scratch } from "../nn/scratch.js";
import type { TapeContext } from "../nn/tape-context.js";

/** The architecture-independent description every decoder family fills in. */
export interface DecoderConfig {
  /** HF model_type, e.g. "gpt2", "llama". */
  readonly modelType: string;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly intermediateSize: number;
  /** Longest sequence the model can process (max_position_embeddings / n_positions). */
  readonly contextLength: number;
  readonly bosTokenId: number | undefined;
  readonly eosTokenIds: readonly number[];
}

export interface DecoderParts {
  readonly tokenEmbedding: Embedding;
  /** Learned absolute positions (GPT-2); null when positions are rotary. */
  readonly positionEmbedding: Embedding | null;
  readonly blocks: readonly PreNormBlock[];
  readonly finalNorm: Norm;
  readonly lmHead: Linear;
}

export type LogitRows = "all" | "last";

const DEFAULT_CHUNK_ROWS = 64;

/** A KV cache with the [vocab] logits buffer of its sequence's last position. */
export interface DecodeState {
  readonly cache: KvCache;
  /** [vocab] */
  readonly logits: Float32Array;
}

export class DecoderOnlyModel {
  private scratch: Scratch | null = null;
  /** Decode states no sequence is using: reused, since a backend's memory (WASM's) is never freed. */
  private readonly idleStates: DecodeState[] = [];

  constructor(
    readonly config: DecoderConfig,
    readonly parts: DecoderParts,
    readonly backend: Backend,
    /** Number of distinct parameters (tied weights counted once). */
    readonly parameterCount: number,
    /** The float32 weights by HF name, sharing storage with the modules (for training). */
    readonly parameters: ParameterIndex,
    readonly chunkRows: number = DEFAULT_CHUNK_ROWS,
  ) {}

  /** A KV cache for up to `capacity` positions (default: the whole context). */
  createCache(capacity: number = this.config.contextLength): KvCache {
    if (capacity > this.config.contextLength) {
      throw new InputError(`a cache of ${capacity} positions exceeds the context length ${this.config.contextLength}`);
    }
    return new KvCache(this.config.numLayers, this.config.numKvHeads * this.config.headDim, capacity, this.backend);
  }

  /**
   * A reset cache of at least `capacity` positions with a logits buffer, reused from
   * an earlier sequence when one is free; hand it back with releaseState when done.
   */
  acquireState(capacity: number): DecodeState {
    const index = this.idleStates.findIndex((s) => s.cache.capacity >= capacity);
    if (index !== -1) {
      const [state] = this.idleStates.splice(index, 1);
      state!.cache.reset();
      return state!;
    }
    return { cache: this.createCache(capacity), logits: this.backend.allocate(this.config.vocabSize) };
  }

  releaseState(state: DecodeState): void {
    this.idleStates.push(state);
  }

  /**
   * Runs `ids` at positions cache.length, cache.length+1, … and appends their keys
   * and values to the cache. Writes logits into `logits`: [ids.length, vocab] for
   * "all", or [1, vocab] (the last token's) for "last".
   */
  forward(ids: ArrayLike<number>, cache: KvCache, logits: Float32Array, rows: LogitRows): void {
    const { hiddenSize: dim, vocabSize } = this.config;
    const start = cache.length;
    if (ids.length === 0) throw new InputError("no token ids to process");
    if (start + ids.length > cache.capacity) {
      throw new InputError(
        `${start + ids.length} tokens do not fit: the KV cache holds ${cache.capacity} positions ` +
          `(context length ${this.config.contextLength})`,
      );
    }
    const needed = rows === "all" ? ids.length * vocabSize : vocabSize;
    if (logits.length < needed) throw new RangeError(`logits buffer has ${logits.length} floats, needs ${needed}`);
    const scratch = this.scratchFor(cache.capacity);
    for (let done = 0; done < ids.length; done += scratch.sizes.rows) {
      const count = Math.min(scratch.sizes.rows, ids.length - done);
      const chunk = count === ids.length ? ids : Array.prototype.slice.call(ids, done, done + count);
      const x = scratch.residual; // [count, dim]
      this.embed(x, chunk, start + done, scratch);
      const blocks = this.parts.blocks;
      for (let layer = 0; layer < blocks.length; layer++) {
        blocks[layer]!.forward(this.backend, x, count, dim, cache.layers[layer]!, start + done, scratch);
      }
      if (rows === "all") {
        this.parts.finalNorm.forward(this.backend, scratch.normed, x, count);
        this.parts.lmHead.forward(this.backend, logits.subarray(done * vocabSize), scratch.normed, count); // [count, vocab]
      } else if (done + count === ids.length) {
        const last = x.subarray((count - 1) * dim, count * dim); // [1, dim]
        this.parts.finalNorm.forward(this.backend, scratch.normed, last, 1);
        this.parts.lmHead.forward(this.backend, logits, scratch.normed, 1); // [1, vocab]
      }
      cache.length = start + done + count;
    }
  }

  /** Every Linear layer, blocks first, then the LM head (for adapters such as LoRA). */
  linears(): Linear[] {
    return [...this.parts.blocks.flatMap((b) => [...b.attention.linears(), ...b.ffn.linears()]), this.parts.lmHead];
  }

  /**
   * Mean next-token cross-entropy of `batch` rows of ids against their targets
   * (same shape; −100 marks positions that do not count), recorded on ctx's tape.
   * Every position is computed at once, as in training; no KV cache.
   */
  lossOnTape(ctx: TapeContext, inputIds: readonly (readonly number[])[], targets: readonly (readonly number[])[]): Variable {
    const batch = inputIds.length;
    const seq = inputIds[0]?.length ?? 0;
    if (batch === 0 || seq === 0) throw new InputError("the batch has no tokens");
    if (seq > this.config.contextLength) throw new InputError(`rows of ${seq} ids exceed the context length ${this.config.contextLength}`);
    if (targets.length !== batch || inputIds.some((r, b) => r.length !== seq || targets[b]?.length !== seq)) {
      throw new InputError(`inputIds and targets must both be ${batch} rows of ${seq} ids`);
    }
    const { tokenEmbedding, positionEmbedding, blocks, finalNorm, lmHead } = this.parts;
    let x = tokenEmbedding.forwardOnTape(ctx, inputIds.flat()); // [batch · seq, dim]
    if (positionEmbedding !== null) {
      const positions = Array.from({ length: batch * seq }, (_, i) => i % seq);
      x = add(ctx.tape, x, positionEmbedding.forwardOnTape(ctx, positions));
    }
    x = residualDropout(ctx, x);
    for (const block of blocks) x = block.forwardOnTape(ctx, x, batch);
    const logits = lmHead.forwardOnTape(ctx, finalNorm.forwardOnTape(ctx, x)); // [batch · seq, vocab]
    return crossEntropy(ctx.tape, logits, targets.flat(), { ignoreIndex: -100 });
  }

  /** x [rows, dim] = token embeddings (+ position embeddings of firstPosition…). */
  private embed(x: Float32Array, ids: ArrayLike<number>, firstPosition: number, scratch: Scratch): void {
    const { tokenEmbedding, positionEmbedding } = this.parts;
    tokenEmbedding.forward(this.backend, x, ids);
    if (positionEmbedding !== null) {
      positionEmbedding.forwardRange(scratch.delta, firstPosition, ids.length); // [rows, dim]
      this.backend.add(x, x, scratch.delta, ids.length * this.config.hiddenSize);
    }
  }

  /** Activation buffers, allocated on first use and grown only for a larger cache. */
  private scratchFor(maxKeys: number): Scratch {
    if (this.scratch === null || this.scratch.sizes.maxKeys < maxKeys) {
      const { hiddenSize, numHeads, headDim, intermediateSize } = this.config;
      this.scratch = new Scratch({
        rows: this.chunkRows,
        dim: hiddenSize,
        queryDim: numHeads * headDim,
        ffnDim: intermediateSize,
        maxKeys,
      }, this.backend);
    }
    return this.scratch;
  }
}
