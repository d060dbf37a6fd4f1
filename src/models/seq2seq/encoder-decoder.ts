// The encoder–decoder Transformer every sequence-to-sequence family builds
// (Vaswani et al. 2017, Figure 1):
//
//   input ids  → token embeddings (× scale; + positions; norm) → N × encoder block
//              (bidirectional self-attention, padding masked) → final norm → encoder output
//   output ids → token embeddings (× scale; + positions; norm) → M × decoder block
//              (causal self-attention with a KV cache, cross-attention to the encoder
//              output, feed-forward) → final norm (× T5's d^-0.5) → LM head (+ bias) → logits
//
// An input is encoded once (EncodedInput): the encoder's output and, for every
// decoder layer, the cross-attention keys and values of it, which every decoding
// step and every beam then reads. The decoder runs like the decoder-only model:
// a prompt in chunks, then a token per step, each keeping its keys and values in
// a KV cache. Encoded inputs, decoder states and scratch buffers are pooled and
// reused (a backend's memory, WASM's, is never freed). Training records the same
// modules on a tape with teacher forcing: every target position at once.
// The family files beside this one build the parts from a config.

import { crossEntropy } from "../../autograd/cross-entropy.js";
import { add, scale } from "../../autograd/elementwise.js";
import type { Variable } from "../../autograd/variable.js";
import type { Backend } from "../../backend/backend.js";
import { InputError } from "../../errors.js";
import { residualDropout, type DecoderBlock } from "../../nn/block.js";
import { CrossAttentionMemory } from "../../nn/cross-attention.js";
import type { Embedding } from "../../nn/embedding.js";
import { KvCache } from "../../nn/kv-cache.js";
import type { Linear } from "../../nn/linear.js";
import type { Norm } from "../../nn/norm.js";
import { observe, type ForwardObserver, type ForwardPass } from "../../nn/observer.js";
import type { ParameterIndex } from "../../nn/parameter-index.js";
import { PostNormBlock } from "../../nn/post-norm-block.js";
import { Scratch } from "../../nn/scratch.js";
import type { Seq2SeqDecoderBlock } from "../../nn/seq2seq-decoder-block.js";
import type { SinusoidalPositions } from "../../nn/sinusoidal-positions.js";
import type { TapeContext } from "../../nn/tape-context.js";

/** The architecture-independent description every seq2seq family fills in. */
export interface Seq2SeqConfig {
  /** HF model_type: "t5", "bart", "marian", "transformer". */
  readonly modelType: string;
  /** The decoder's vocabulary: logits are [*, vocabSize]. */
  readonly vocabSize: number;
  /** The encoder's input vocabulary (the same as vocabSize unless the embeddings are not shared: Marian's decoder_vocab_size). */
  readonly sourceVocabSize: number;
  readonly hiddenSize: number;
  readonly encoderLayers: number;
  readonly decoderLayers: number;
  readonly encoderHeads: number;
  readonly decoderHeads: number;
  readonly headDim: number;
  readonly encoderFfnDim: number;
  readonly decoderFfnDim: number;
  /** The longest input the encoder takes (its position table; T5: n_positions). */
  readonly maxSourcePositions: number;
  /** The longest decoder sequence, decoder start token included. */
  readonly maxTargetPositions: number;
  readonly padTokenId: number;
  readonly eosTokenIds: readonly number[];
  readonly bosTokenId: number | undefined;
  /** The token the decoder starts from (decoder_start_token_id). */
  readonly decoderStartTokenId: number;
}

/** Absolute positions added to the token embeddings; T5 has none (its positions are a bias inside attention). */
export type PositionEncoding =
  /** A learned table read at position + offset (BART's offset 2). */
  | { readonly kind: "learned"; readonly table: Embedding; readonly offset: number }
  | { readonly kind: "sinusoidal"; readonly table: SinusoidalPositions };

export interface StackEmbedding {
  readonly tokens: Embedding;
  /** Multiplier of the token embeddings (√d_model with scale_embedding), else 1. */
  readonly scale: number;
  readonly positions: PositionEncoding | null;
  /** A norm right after the embeddings (BART's layernorm_embedding). */
  readonly norm: Norm | null;
  /** Token id whose embedding row gets no gradient (torch padding_idx). */
  readonly paddingIdx: number | null;
}

/** An encoder layer: BART's and the original's post-norm block, or T5's pre-norm one. */
export type EncoderBlock = PostNormBlock | DecoderBlock;

export interface Seq2SeqParts {
  readonly encoderEmbedding: StackEmbedding;
  readonly encoderBlocks: readonly EncoderBlock[];
  readonly encoderFinalNorm: Norm | null;
  readonly decoderEmbedding: StackEmbedding;
  readonly decoderBlocks: readonly Seq2SeqDecoderBlock[];
  readonly decoderFinalNorm: Norm | null;
  /** Multiplier of the final decoder states before the head (T5 with a tied head: d_model^-0.5), else 1. */
  readonly outputScale: number;
  /** The LM head; its bias is BART's and Marian's final_logits_bias. */
  readonly lmHead: Linear;
}

/** An input run through the encoder: its output states and each decoder layer's cross-attention keys and values. */
export class EncodedInput {
  /** [capacity, hidden] the encoder's output (rows < length are meaningful) */
  readonly states: Float32Array;
  /** One per decoder layer. */
  readonly memories: CrossAttentionMemory[];
  /** Input tokens. */
  length = 0;
  /** [length] 0 at padding tokens; null when every token is real. */
  mask: Int32Array | null = null;

  constructor(
    readonly capacity: number,
    hiddenSize: number,
    kvDim: number,
    decoderLayers: number,
    backend: Backend,
  ) {
    this.states = backend.allocate(capacity * hiddenSize);
    this.memories = Array.from({ length: decoderLayers }, () => new CrossAttentionMemory(kvDim, capacity, backend));
  }
}

/** A decoder sequence's KV cache and the [vocab] logits of its last position. */
export interface DecoderState {
  readonly cache: KvCache;
  /** [vocab] */
  readonly logits: Float32Array;
}

/** A training batch: inputs (padded, attentionMask 0 at padding), decoder inputs and the labels they predict. */
export interface Seq2SeqBatch {
  /** [batch][sourceLength] */
  readonly inputIds: readonly (readonly number[])[];
  /** [batch][sourceLength]: 1 for tokens, 0 for padding; default all 1. */
  readonly attentionMask?: readonly (readonly number[])[] | undefined;
  /** [batch][targetLength]: the targets shifted right, starting with the decoder start token. */
  readonly decoderInputIds: readonly (readonly number[])[];
  /** [batch][targetLength]: the token each decoder position predicts; −100 is not scored. */
  readonly labels: readonly (readonly number[])[];
}

export type LogitRows = "all" | "last";

const DEFAULT_CHUNK_ROWS = 64;
/** Decoder positions a cache starts with when the caller does not say how many it will use. */
const INITIAL_CACHE_POSITIONS = 64;

export class Seq2SeqNetwork {
  private encoderScratch: Scratch | null = null;
  private decoderScratch: Scratch | null = null;
  private encoderKeys: KvCache | null = null;
  private readonly idleInputs: EncodedInput[] = [];
  private readonly idleStates: DecoderState[] = [];

  constructor(
    readonly config: Seq2SeqConfig,
    readonly parts: Seq2SeqParts,
    readonly backend: Backend,
    /** Number of distinct parameters (tied weights counted once). */
    readonly parameterCount: number,
    /** The float32 weights by HF name, sharing storage with the modules (for training). */
    readonly parameters: ParameterIndex,
    readonly chunkRows: number = DEFAULT_CHUNK_ROWS,
  ) {}

  private get kvDim(): number {
    return this.config.decoderHeads * this.config.headDim;
  }

  // ---- the encoder --------------------------------------------------------------------------

  /**
   * Runs the encoder on one input (ids, with mask 0 at padding tokens) and projects
   * every decoder layer's cross-attention keys and values of its output. The result
   * comes from a pool: hand it back with releaseEncoded.
   */
  encode(ids: ArrayLike<number>, mask: ArrayLike<number> | null, observer: ForwardObserver | null = null): EncodedInput {
    const { hiddenSize: dim, maxSourcePositions } = this.config;
    const length = ids.length;
    if (length === 0) throw new InputError("the input has no tokens");
    if (length > maxSourcePositions) throw new InputError(`the input has ${length} tokens, more than the ${maxSourcePositions} the model's encoder takes`);
    if (mask !== null && mask.length !== length) throw new InputError(`the attention mask has ${mask.length} entries for ${length} input tokens`);
    const padded = mask !== null && Array.prototype.some.call(mask, (m: number) => m === 0);
    if (mask !== null && !Array.prototype.some.call(mask, (m: number) => m !== 0)) throw new InputError("the attention mask hides every input token");
    const encoded = this.acquireEncoded(length);
    encoded.length = length;
    encoded.mask = padded ? Int32Array.from(mask, (m) => (m === 0 ? 0 : 1)) : null;
    const keyMask = encoded.mask ?? undefined;
    const scratch = this.encoderScratchFor(length);
    const pass: ForwardPass = { backend: this.backend, scratch, observer, layer: 0, sequences: null };
    const x = scratch.residual; // [length, dim]
    this.embed(this.parts.encoderEmbedding, x, ids, 0, scratch);
    const keys = this.encoderKeysFor(length);
    this.parts.encoderBlocks.forEach((block, layer) => {
      const cache = keys.layers[layer]!;
      if (block instanceof PostNormBlock) {
        block.forward(pass, x, length, dim, cache, keyMask);
      } else {
        cache.reset();
        block.forward(pass, x, length, dim, cache, 0, keyMask);
      }
    });
    const finalNorm = this.parts.encoderFinalNorm;
    if (finalNorm !== null) finalNorm.forward(this.backend, x, x, length);
    pass.layer = this.config.encoderLayers;
    observe(pass, "final_norm", x, length, dim, 0);
    encoded.states.set(x.subarray(0, length * dim));
    this.parts.decoderBlocks.forEach((block, layer) => block.crossAttention.project(this.backend, encoded.memories[layer]!, encoded.states, length));
    return encoded;
  }

  releaseEncoded(encoded: EncodedInput): void {
    this.idleInputs.push(encoded);
  }

  // ---- the decoder --------------------------------------------------------------------------

  /**
   * A reset decoder state for up to `maxPositions` decoder positions (start token
   * included), from the pool; `expectedPositions` sizes its cache to start with.
   */
  acquireState(maxPositions: number = this.config.maxTargetPositions, expectedPositions = Math.min(maxPositions, INITIAL_CACHE_POSITIONS)): DecoderState {
    const limit = this.config.maxTargetPositions;
    if (!Number.isSafeInteger(maxPositions) || maxPositions < 1) throw new InputError(`a decoder state needs a positive number of positions, got ${maxPositions}`);
    if (maxPositions > limit) throw new InputError(`${maxPositions} decoder positions exceed the model's ${limit}`);
    const index = this.idleStates.findIndex((s) => s.cache.maxPositions >= maxPositions);
    if (index !== -1) {
      const state = this.idleStates.splice(index, 1)[0]!;
      state.cache.reset();
      return state;
    }
    const windows = new Array<number>(this.config.decoderLayers).fill(0);
    const cache = new KvCache(this.kvDim, maxPositions, windows, this.chunkRows, this.backend, Math.max(1, Math.min(expectedPositions, maxPositions)));
    return { cache, logits: this.backend.allocate(this.config.vocabSize) };
  }

  releaseState(state: DecoderState): void {
    this.idleStates.push(state);
  }

  /** Copies one state's cached positions into another (a beam taking over its parent's history). */
  copyState(from: DecoderState, to: DecoderState): void {
    if (to.cache.maxPositions < from.cache.length) throw new RangeError(`a state of ${to.cache.maxPositions} positions cannot take ${from.cache.length}`);
    const length = from.cache.length;
    from.cache.layers.forEach((source, layer) => {
      const target = to.cache.layers[layer]!;
      target.reset();
      target.reserve(0, length);
      const n = length * source.kvDim;
      target.keys.set(source.keys.subarray(0, n));
      target.values.set(source.values.subarray(0, n));
    });
    to.cache.length = length;
    to.logits.set(from.logits);
  }

  /**
   * Runs the decoder on `ids` at positions state.cache.length, … (their keys and
   * values join the cache), attending to `encoded`. Writes logits: [ids.length, vocab]
   * for "all", or the last position's [1, vocab] for "last".
   */
  decode(ids: ArrayLike<number>, state: DecoderState, encoded: EncodedInput, logits: Float32Array, rows: LogitRows, observer: ForwardObserver | null = null): void {
    const { hiddenSize: dim, vocabSize } = this.config;
    const cache = state.cache;
    const start = cache.length;
    if (ids.length === 0) throw new InputError("no decoder token ids to process");
    if (start + ids.length > cache.maxPositions) {
      throw new InputError(`${start + ids.length} decoder tokens do not fit: the decoder takes at most ${cache.maxPositions} positions here`);
    }
    const needed = rows === "all" ? ids.length * vocabSize : vocabSize;
    if (logits.length < needed) throw new RangeError(`logits buffer has ${logits.length} floats, needs ${needed}`);
    const scratch = this.decoderScratchFor(Math.max(cache.maxLayerRows, encoded.length));
    const pass: ForwardPass = { backend: this.backend, scratch, observer, layer: 0, sequences: null };
    const sourceMask = encoded.mask ?? undefined;
    for (let done = 0; done < ids.length; done += scratch.sizes.rows) {
      const count = Math.min(scratch.sizes.rows, ids.length - done);
      const chunk = count === ids.length ? ids : Array.prototype.slice.call(ids, done, done + count);
      const position = start + done;
      const x = scratch.residual; // [count, dim]
      this.embed(this.parts.decoderEmbedding, x, chunk, position, scratch);
      this.parts.decoderBlocks.forEach((block, layer) => {
        block.forward(pass, x, count, dim, cache.layers[layer]!, position, encoded.memories[layer]!, sourceMask);
      });
      if (rows === "all") {
        this.logitsOf(pass, x, count, position, logits.subarray(done * vocabSize));
      } else if (done + count === ids.length) {
        this.logitsOf(pass, x.subarray((count - 1) * dim, count * dim), 1, position + count - 1, logits);
      }
      cache.length = position + count;
    }
  }

  /** logits [rows, vocab] of decoder states h [rows, dim]: final norm (observed as final_norm), × outputScale, LM head. */
  private logitsOf(pass: ForwardPass, h: Float32Array, rows: number, position: number, logits: Float32Array): void {
    const { hiddenSize: dim } = this.config;
    const normed = pass.scratch.normed; // [rows, dim]
    const finalNorm = this.parts.decoderFinalNorm;
    if (finalNorm !== null) finalNorm.forward(this.backend, normed, h, rows);
    else normed.set(h.subarray(0, rows * dim));
    pass.layer = this.config.decoderLayers;
    observe(pass, "final_norm", normed, rows, dim, position);
    if (this.parts.outputScale !== 1) this.backend.scale(normed, rows * dim, this.parts.outputScale);
    this.parts.lmHead.forward(this.backend, logits, normed, rows); // [rows, vocab]
  }

  // ---- training -----------------------------------------------------------------------------

  /**
   * Mean cross-entropy of the labels given the inputs and the decoder inputs
   * (teacher forcing), recorded on ctx's tape; labelSmoothing ε mixes ε/V of every
   * token into each target (torch's label_smoothing).
   */
  lossOnTape(ctx: TapeContext, batch: Seq2SeqBatch, labelSmoothing = 0): Variable {
    const { rows } = this.checkBatch(batch);
    const logits = this.logitsOnTape(ctx, batch); // [batch · target, vocab]
    if (rows !== logits.size / this.config.vocabSize) throw new RangeError(`${rows} labels for ${logits.size / this.config.vocabSize} rows of logits`);
    return crossEntropy(ctx.tape, logits, batch.labels.flat(), { ignoreIndex: -100, labelSmoothing });
  }

  /** logits [batch · targetLength, vocab] of a batch, recorded on ctx's tape. */
  logitsOnTape(ctx: TapeContext, batch: Seq2SeqBatch): Variable {
    const { batch: size, source, target } = this.checkBatch(batch);
    const mask = batch.attentionMask?.flat();
    const keyMask = mask !== undefined && mask.includes(0) ? mask : undefined;
    let x = this.embedOnTape(ctx, this.parts.encoderEmbedding, batch.inputIds.flat(), source); // [batch · source, dim]
    for (const block of this.parts.encoderBlocks) x = block.forwardOnTape(ctx, x, size, keyMask);
    const encoderStates = this.parts.encoderFinalNorm === null ? x : this.parts.encoderFinalNorm.forwardOnTape(ctx, x);
    let y = this.embedOnTape(ctx, this.parts.decoderEmbedding, batch.decoderInputIds.flat(), target); // [batch · target, dim]
    for (const block of this.parts.decoderBlocks) y = block.forwardOnTape(ctx, y, encoderStates, size, keyMask);
    if (this.parts.decoderFinalNorm !== null) y = this.parts.decoderFinalNorm.forwardOnTape(ctx, y);
    if (this.parts.outputScale !== 1) y = scale(ctx.tape, y, this.parts.outputScale);
    return this.parts.lmHead.forwardOnTape(ctx, y);
  }

  /** Checks a batch's shapes, ids, mask and labels; returns its sizes (rows = batch · targetLength). */
  checkBatch(batch: Seq2SeqBatch): { batch: number; source: number; target: number; rows: number } {
    const { inputIds, decoderInputIds, labels, attentionMask } = batch;
    const size = inputIds.length;
    if (size === 0) throw new InputError("the batch has no pairs");
    const source = inputIds[0]!.length;
    const target = decoderInputIds[0]?.length ?? 0;
    if (source === 0 || target === 0) throw new InputError("every pair needs at least one input and one decoder token");
    const vocab = this.config.vocabSize;
    const rowsOf = (name: string, rows: readonly (readonly number[])[] | undefined, length: number, valid: (v: number) => boolean, expected: string): void => {
      if (rows === undefined) return;
      if (rows.length !== size) throw new InputError(`${name} has ${rows.length} rows, inputIds has ${size}`);
      rows.forEach((row, b) => {
        if (row.length !== length) throw new InputError(`${name} row ${b} has ${row.length} entries, expected ${length} (pad the rows to equal length)`);
        const bad = row.findIndex((v) => !valid(v));
        if (bad !== -1) throw new InputError(`${name}[${b}][${bad}] is ${String(row[bad])}; expected ${expected}`);
      });
    };
    const isId = (v: number) => Number.isInteger(v) && v >= 0 && v < vocab;
    const sourceVocab = this.config.sourceVocabSize;
    rowsOf("inputIds", inputIds, source, (v) => Number.isInteger(v) && v >= 0 && v < sourceVocab, `a token id in [0, ${sourceVocab})`);
    rowsOf("attentionMask", attentionMask, source, (v) => v === 0 || v === 1, "0 or 1");
    rowsOf("decoderInputIds", decoderInputIds, target, isId, `a token id in [0, ${vocab})`);
    rowsOf("labels", labels, target, (v) => v === -100 || isId(v), `a token id in [0, ${vocab}) or −100`);
    attentionMask?.forEach((row, b) => {
      if (!row.includes(1)) throw new InputError(`attentionMask row ${b} hides every input token`);
    });
    if (source > this.config.maxSourcePositions) throw new InputError(`inputs of ${source} tokens exceed the ${this.config.maxSourcePositions} the encoder takes`);
    if (target > this.config.maxTargetPositions) throw new InputError(`decoder inputs of ${target} tokens exceed the ${this.config.maxTargetPositions} the decoder takes`);
    return { batch: size, source, target, rows: size * target };
  }

  /** [ids.length, dim] = embeddings of rows of `length` ids (positions restart at each row), on a tape. */
  private embedOnTape(ctx: TapeContext, embedding: StackEmbedding, ids: readonly number[], length: number): Variable {
    let x = embedding.tokens.forwardOnTape(ctx, ids, embedding.paddingIdx ?? undefined);
    if (embedding.scale !== 1) x = scale(ctx.tape, x, embedding.scale);
    const positions = embedding.positions;
    if (positions !== null) {
      const at = Array.from({ length: ids.length }, (_, i) => i % length);
      x =
        positions.kind === "learned"
          ? add(ctx.tape, x, positions.table.forwardOnTape(ctx, at.map((p) => p + positions.offset)))
          : positions.table.addOnTape(ctx, x, at);
    }
    if (embedding.norm !== null) x = embedding.norm.forwardOnTape(ctx, x);
    return residualDropout(ctx, x);
  }

  // ---- shared pieces ------------------------------------------------------------------------

  /** x [rows, dim] = token embeddings · scale (+ positions firstPosition …) (→ norm). */
  private embed(embedding: StackEmbedding, x: Float32Array, ids: ArrayLike<number>, firstPosition: number, scratch: Scratch): void {
    const n = ids.length * this.config.hiddenSize;
    embedding.tokens.forward(this.backend, x, ids);
    if (embedding.scale !== 1) this.backend.scale(x, n, embedding.scale);
    const positions = embedding.positions;
    if (positions !== null) {
      const addend = scratch.delta; // [rows, dim]
      if (positions.kind === "learned") positions.table.forwardRange(addend, firstPosition + positions.offset, ids.length);
      else positions.table.forwardRange(addend, firstPosition, ids.length);
      this.backend.add(x, x, addend, n);
    }
    if (embedding.norm !== null) embedding.norm.forward(this.backend, x, x, ids.length);
  }

  private acquireEncoded(length: number): EncodedInput {
    const index = this.idleInputs.findIndex((e) => e.capacity >= length);
    if (index !== -1) return this.idleInputs.splice(index, 1)[0]!;
    const { hiddenSize, decoderLayers } = this.config;
    return new EncodedInput(length, hiddenSize, this.kvDim, decoderLayers, this.backend);
  }

  private scratchSizes(rows: number, maxKeys: number): ConstructorParameters<typeof Scratch>[0] {
    const { hiddenSize, encoderHeads, decoderHeads, headDim, encoderFfnDim, decoderFfnDim } = this.config;
    return {
      rows,
      dim: hiddenSize,
      queryDim: Math.max(encoderHeads, decoderHeads) * headDim,
      kvDim: Math.max(encoderHeads, decoderHeads) * headDim,
      fusedQkvDim: 0,
      ffnDim: Math.max(encoderFfnDim, decoderFfnDim),
      maxKeys,
    };
  }

  /** The encoder's activations for a whole input of `length` tokens, grown for longer inputs. */
  private encoderScratchFor(length: number): Scratch {
    if (this.encoderScratch === null || this.encoderScratch.sizes.rows < length) {
      this.encoderScratch = new Scratch(this.scratchSizes(length, length), this.backend);
    }
    return this.encoderScratch;
  }

  private decoderScratchFor(maxKeys: number): Scratch {
    this.decoderScratch ??= new Scratch(this.scratchSizes(this.chunkRows, maxKeys), this.backend);
    this.decoderScratch.reserveKeys(maxKeys, this.backend);
    return this.decoderScratch;
  }

  /** Keys and values of one input, per encoder layer (used from position 0, never appended to). */
  private encoderKeysFor(length: number): KvCache {
    if (this.encoderKeys === null || this.encoderKeys.maxPositions < length) {
      const windows = new Array<number>(this.config.encoderLayers).fill(0);
      this.encoderKeys = new KvCache(this.config.encoderHeads * this.config.headDim, length, windows, length, this.backend);
    }
    return this.encoderKeys;
  }
}
