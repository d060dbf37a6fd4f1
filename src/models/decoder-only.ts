// The decoder-only language model every decoder family builds:
//   token embeddings (× a scale; + learned or sinusoidal positions; LayerNorm for BLOOM)
//   → N × block → final norm → LM head → logits (× a scale; soft-capped for Gemma 2)
// Prompts are processed in chunks of up to `chunkRows` tokens, each layer keeping
// what its attention needs of the sequence (keys and values in a KV cache, or
// linear attention's running sums), so generation then runs one token per step.
// The family files (decoder/*.ts) build the parts from a config.

import { tanh } from "../autograd/activations.js";
import { crossEntropy } from "../autograd/cross-entropy.js";
import { add, scale } from "../autograd/elementwise.js";
import type { Variable } from "../autograd/variable.js";
import type { Backend } from "../backend/backend.js";
import { InputError } from "../errors.js";
import type { AbsolutePositions } from "../nn/absolute-positions.js";
import { SelfAttention } from "../nn/attention.js";
import { residualDropout, type DecoderBlock } from "../nn/block.js";
import type { Embedding } from "../nn/embedding.js";
import type { Linear } from "../nn/linear.js";
import type { Norm } from "../nn/norm.js";
import { observe, type ForwardObserver, type ForwardPass } from "../nn/observer.js";
import type { ParameterIndex } from "../nn/parameter-index.js";
import type { RotaryEmbedding } from "../nn/rotary-embedding.js";
import { Scratch } from "../nn/scratch.js";
import { SequenceCache } from "../nn/sequence-cache.js";
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
  /** Multiplier of the token embeddings (Gemma's √hidden, Granite's embedding_multiplier); default 1. */
  readonly embeddingScale?: number;
  /** Absolute positions added to the embeddings (GPT-2's learned table, sinusoids); null when positions are rotary, ALiBi or absent. */
  readonly positionEmbedding: AbsolutePositions | null;
  /** A norm right after the embeddings (BLOOM's word_embeddings_layernorm); default none. */
  readonly embeddingNorm?: Norm | null;
  readonly blocks: readonly DecoderBlock[];
  readonly finalNorm: Norm;
  readonly lmHead: Linear;
  /** Multiplier of the logits (Granite's 1 / logits_scaling); default 1. */
  readonly logitScale?: number;
  /** Final logit soft-capping, cap · tanh(logit / cap) (Gemma 2); 0 or absent: none. */
  readonly logitSoftcap?: number;
  /** Tensors of the checkpoint the network does not use (buffers, a tied head's copy): a load warns about them. */
  readonly ignoredTensors?: readonly string[];
}

export type LogitRows = "all" | "last";

const DEFAULT_CHUNK_ROWS = 64;
/** Positions a full-attention KV cache starts with when the caller does not say how many it will use. */
const INITIAL_CACHE_POSITIONS = 512;

/** A sequence's per-layer cache with the [vocab] logits buffer of its last position. */
export interface DecodeState {
  readonly cache: SequenceCache;
  /** [vocab] */
  readonly logits: Float32Array;
}

export class DecoderOnlyModel {
  private scratch: Scratch | null = null;
  private pass: ForwardPass | null = null;
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

  /**
   * A cache for up to `maxPositions` positions (default: the whole context), each
   * layer's state made by its attention: full-attention KV buffers start with room
   * for `initialPositions` and grow as needed; sliding windows and linear attention
   * keep a constant size.
   */
  createCache(maxPositions: number = this.config.contextLength, initialPositions = maxPositions): SequenceCache {
    if (!Number.isSafeInteger(maxPositions) || maxPositions < 1) throw new InputError(`a KV cache needs a positive number of positions, got ${maxPositions}`);
    if (maxPositions > this.config.contextLength) {
      throw new InputError(`a cache of ${maxPositions} positions exceeds the context length ${this.config.contextLength}`);
    }
    const sizes = { maxPositions, chunkRows: this.chunkRows, initialPositions };
    return new SequenceCache(maxPositions, this.parts.blocks.map((b) => b.attention.createState(sizes, this.backend)));
  }

  /**
   * A reset cache for up to `maxPositions` positions with a logits buffer, reused
   * from an earlier sequence when one is free; hand it back with releaseState.
   * `expectedPositions` (default all) sizes its full-attention buffers to start with.
   */
  acquireState(maxPositions: number, expectedPositions: number = maxPositions): DecodeState {
    const index = this.idleStates.findIndex((s) => s.cache.maxPositions >= maxPositions);
    let state: DecodeState;
    if (index !== -1) {
      state = this.idleStates.splice(index, 1)[0]!;
      state.cache.reset();
    } else {
      state = { cache: this.createCache(maxPositions, expectedPositions), logits: this.backend.allocate(this.config.vocabSize) };
    }
    for (const rotary of this.rotaryEmbeddings()) rotary.reserve(Math.min(maxPositions, Math.max(expectedPositions, INITIAL_CACHE_POSITIONS)));
    return state;
  }

  /** A state for a sequence of unknown length: up to `maxPositions` (default the context), starting small. */
  acquireGrowingState(maxPositions: number = this.config.contextLength): DecodeState {
    return this.acquireState(maxPositions, Math.min(maxPositions, INITIAL_CACHE_POSITIONS));
  }

  releaseState(state: DecodeState): void {
    this.idleStates.push(state);
  }

  /**
   * Runs `ids` at positions cache.length, cache.length+1, … and appends their keys
   * and values to the cache. Writes logits into `logits`: [ids.length, vocab] for
   * "all", or [1, vocab] (the last token's) for "last". An observer sees (and may
   * change) the capture points of nn/observer.ts.
   */
  forward(ids: ArrayLike<number>, cache: SequenceCache, logits: Float32Array, rows: LogitRows, observer: ForwardObserver | null = null): void {
    const { hiddenSize: dim, vocabSize } = this.config;
    const start = cache.length;
    if (ids.length === 0) throw new InputError("no token ids to process");
    if (start + ids.length > cache.maxPositions) {
      throw new InputError(
        `${start + ids.length} tokens do not fit: the KV cache holds ${cache.maxPositions} positions ` +
          `(context length ${this.config.contextLength})`,
      );
    }
    const needed = rows === "all" ? ids.length * vocabSize : vocabSize;
    if (logits.length < needed) throw new RangeError(`logits buffer has ${logits.length} floats, needs ${needed}`);
    const pass = this.passFor(cache.maxLayerRows);
    pass.observer = observer;
    const scratch = pass.scratch;
    for (let done = 0; done < ids.length; done += scratch.sizes.rows) {
      const count = Math.min(scratch.sizes.rows, ids.length - done);
      const chunk = count === ids.length ? ids : Array.prototype.slice.call(ids, done, done + count);
      const position = start + done;
      const x = scratch.residual; // [count, dim]
      this.embed(x, chunk, position, scratch);
      const blocks = this.parts.blocks;
      for (let layer = 0; layer < blocks.length; layer++) {
        blocks[layer]!.forward(pass, x, count, dim, cache.layers[layer]!, position);
      }
      if (rows === "all") {
        this.logitsOf(pass, x, count, position, logits.subarray(done * vocabSize)); // [count, vocab]
      } else if (done + count === ids.length) {
        this.logitsOf(pass, x.subarray((count - 1) * dim, count * dim), 1, position + count - 1, logits); // [1, vocab]
      }
      cache.length = position + count;
    }
    pass.observer = null;
  }

  /**
   * One decode step for several sequences at once (continuous batching): ids[i] is
   * the next token of the sequence whose KV cache is caches[i], appended at that
   * cache's length. Every matrix product runs once over all the rows — the weights
   * are read once per step, not once per sequence — and each row attends to its own
   * cache. Writes logits [ids.length, vocab].
   */
  decodeBatch(ids: ArrayLike<number>, caches: readonly SequenceCache[], logits: Float32Array): void {
    const { hiddenSize: dim, vocabSize } = this.config;
    const rows = ids.length;
    if (rows === 0) throw new InputError("no sequences to step");
    if (caches.length !== rows) throw new InputError(`${rows} tokens for ${caches.length} sequences`);
    if (rows > this.chunkRows) throw new InputError(`a batched step takes at most ${this.chunkRows} sequences, got ${rows}`);
    if (new Set(caches).size !== rows) throw new InputError("a sequence appears twice in one batched step");
    if (!this.batchedDecoding) {
      throw new InputError("batched decoding needs softmax attention in every layer (this model has linear-attention layers: step its sequences one by one)");
    }
    if (logits.length < rows * vocabSize) throw new RangeError(`logits buffer has ${logits.length} floats, needs ${rows * vocabSize}`);
    let maxKeys = 1;
    for (const cache of caches) {
      if (cache.length + 1 > cache.maxPositions) throw new InputError(`a sequence is full: its KV cache holds ${cache.maxPositions} positions`);
      maxKeys = Math.max(maxKeys, cache.maxLayerRows);
    }
    const pass = this.passFor(maxKeys);
    const positions = this.batchPositions(caches);
    pass.sequences = { caches, positions };
    try {
      const x = pass.scratch.residual; // [rows, dim]
      this.parts.tokenEmbedding.forward(this.backend, x, ids);
      const n = rows * dim;
      const embeddingScale = this.parts.embeddingScale ?? 1;
      if (embeddingScale !== 1) this.backend.scale(x, n, embeddingScale);
      const { positionEmbedding, embeddingNorm } = this.parts;
      if (positionEmbedding !== null) {
        for (let r = 0; r < rows; r++) positionEmbedding.forwardRange(pass.scratch.delta.subarray(r * dim, (r + 1) * dim), positions[r]!, 1);
        this.backend.add(x, x, pass.scratch.delta, n);
      }
      if (embeddingNorm !== undefined && embeddingNorm !== null) embeddingNorm.forward(this.backend, x, x, rows);
      const blocks = this.parts.blocks;
      for (let layer = 0; layer < blocks.length; layer++) blocks[layer]!.forward(pass, x, rows, dim, caches[0]!.layers[layer]!, 0);
      this.parts.finalNorm.forward(this.backend, pass.scratch.normed, x, rows);
      this.headOf(pass.scratch.normed, rows, logits);
      for (const cache of caches) cache.length++;
    } finally {
      pass.sequences = null;
    }
  }

  /** Whether decodeBatch can step this model's sequences: softmax attention in every layer. */
  get batchedDecoding(): boolean {
    return this.parts.blocks.every((b) => b.attention instanceof SelfAttention);
  }

  /** Each cache's next position, in a buffer reused from step to step. */
  private batchPositions(caches: readonly SequenceCache[]): Int32Array {
    if (this.positionsBuffer.length < caches.length) this.positionsBuffer = new Int32Array(this.chunkRows);
    for (let i = 0; i < caches.length; i++) this.positionsBuffer[i] = caches[i]!.length;
    return this.positionsBuffer;
  }

  private positionsBuffer = new Int32Array(0);

  /**
   * logits [rows, vocab] of hidden states h [rows, dim]: the final norm (observed as
   * final_norm), the LM head, the logit scale and soft-cap. h is left unchanged.
   */
  logitsOf(pass: ForwardPass, h: Float32Array, rows: number, position: number, logits: Float32Array): void {
    const normed = pass.scratch.normed; // [rows, dim]
    this.parts.finalNorm.forward(this.backend, normed, h, rows);
    pass.layer = this.config.numLayers;
    observe(pass, "final_norm", normed, rows, this.config.hiddenSize, position);
    this.headOf(normed, rows, logits);
  }

  /** logits [rows, vocab] of final-normed states [rows, dim]: the LM head, the logit scale and soft-cap. */
  headOf(normed: Float32Array, rows: number, logits: Float32Array): void {
    this.parts.lmHead.forward(this.backend, logits, normed, rows);
    const n = rows * this.config.vocabSize;
    const scaleBy = this.parts.logitScale ?? 1;
    if (scaleBy !== 1) this.backend.scale(logits, n, scaleBy);
    const cap = this.parts.logitSoftcap ?? 0;
    if (cap > 0) {
      this.backend.scale(logits, n, 1 / cap);
      this.backend.tanh(logits, n);
      this.backend.scale(logits, n, cap);
    }
  }

  /** The shared forward-pass record (backend, scratch for attention over `maxKeys` keys, observer slot). */
  passFor(maxKeys: number): ForwardPass {
    const scratch = this.scratchFor(maxKeys);
    if (this.pass === null || this.pass.scratch !== scratch) this.pass = { backend: this.backend, scratch, observer: null, layer: 0, sequences: null };
    return this.pass;
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
    return crossEntropy(ctx.tape, this.logitsOnTape(ctx, inputIds), targets.flat(), { ignoreIndex: -100 });
  }

  /** logits [batch · seq, vocab] of rows of ids of equal length, recorded on ctx's tape. */
  logitsOnTape(ctx: TapeContext, inputIds: readonly (readonly number[])[]): Variable {
    const batch = inputIds.length;
    const seq = inputIds[0]!.length;
    const { tokenEmbedding, positionEmbedding, embeddingNorm, blocks, finalNorm, lmHead } = this.parts;
    let x = tokenEmbedding.forwardOnTape(ctx, inputIds.flat()); // [batch · seq, dim]
    const embeddingScale = this.parts.embeddingScale ?? 1;
    if (embeddingScale !== 1) x = scale(ctx.tape, x, embeddingScale);
    if (positionEmbedding !== null) {
      const positions = Array.from({ length: batch * seq }, (_, i) => i % seq);
      x = add(ctx.tape, x, positionEmbedding.forwardOnTape(ctx, positions));
    }
    if (embeddingNorm !== undefined && embeddingNorm !== null) x = embeddingNorm.forwardOnTape(ctx, x);
    x = residualDropout(ctx, x);
    for (const block of blocks) x = block.forwardOnTape(ctx, x, batch);
    let logits = lmHead.forwardOnTape(ctx, finalNorm.forwardOnTape(ctx, x)); // [batch · seq, vocab]
    const logitScale = this.parts.logitScale ?? 1;
    if (logitScale !== 1) logits = scale(ctx.tape, logits, logitScale);
    const cap = this.parts.logitSoftcap ?? 0;
    if (cap > 0) logits = scale(ctx.tape, tanh(ctx.tape, scale(ctx.tape, logits, 1 / cap)), cap);
    return logits;
  }

  /** The distinct rotary tables of the blocks (layers may share one, or use their own base). */
  private rotaryEmbeddings(): Set<RotaryEmbedding> {
    const tables = new Set<RotaryEmbedding>();
    for (const block of this.parts.blocks) if (block.attention.rotary !== null) tables.add(block.attention.rotary);
    return tables;
  }

  /** x [rows, dim] = token embeddings · scale (+ position embeddings of firstPosition…) (→ embedding norm). */
  private embed(x: Float32Array, ids: ArrayLike<number>, firstPosition: number, scratch: Scratch): void {
    const { tokenEmbedding, positionEmbedding, embeddingNorm } = this.parts;
    const n = ids.length * this.config.hiddenSize;
    tokenEmbedding.forward(this.backend, x, ids);
    const embeddingScale = this.parts.embeddingScale ?? 1;
    if (embeddingScale !== 1) this.backend.scale(x, n, embeddingScale);
    if (positionEmbedding !== null) {
      positionEmbedding.forwardRange(scratch.delta, firstPosition, ids.length); // [rows, dim]
      this.backend.add(x, x, scratch.delta, n);
    }
    if (embeddingNorm !== undefined && embeddingNorm !== null) embeddingNorm.forward(this.backend, x, x, ids.length);
  }

  /** Activation buffers, allocated on first use; the attention scores grow with the caches. */
  private scratchFor(maxKeys: number): Scratch {
    if (this.scratch === null) {
      const { hiddenSize, numHeads, headDim, intermediateSize } = this.config;
      this.scratch = new Scratch(
        {
          rows: this.chunkRows,
          dim: hiddenSize,
          queryDim: numHeads * headDim,
          kvDim: this.config.numKvHeads * headDim,
          fusedQkvDim: Math.max(0, ...this.parts.blocks.map((b) => b.attention.fusedQkvDim)),
          ffnDim: intermediateSize,
          maxKeys,
        },
        this.backend,
      );
    }
    this.scratch.reserveKeys(maxKeys, this.backend);
    return this.scratch;
  }
}
