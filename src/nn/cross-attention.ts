// Cross-attention, the encoder–decoder attention of Vaswani et al. 2017 (§3.2.3):
// the queries come from the decoder's stream, the keys and values from the
// encoder's output. Those keys and values depend only on the input, so they are
// projected once per input into a CrossAttentionMemory and every decoding step
// (and every beam) reads them; padding tokens of the input are masked out of
// every query's keys. No causal mask and no position bias: any decoder position
// may look at any input token.

import { attention } from "../autograd/attention.js";
import type { Variable } from "../autograd/variable.js";
import type { AttentionShape, Backend } from "../backend/backend.js";
import type { AttentionHeads } from "./attention-layer.js";
import type { Linear } from "./linear.js";
import { observe, type ForwardPass } from "./observer.js";
import type { TapeContext } from "./tape-context.js";

/** One decoder layer's keys and values of an encoded input ([length, nHeads · headDim] each). */
export class CrossAttentionMemory {
  readonly keys: Float32Array;
  readonly values: Float32Array;
  /** Input tokens projected so far (the keys a query sees). */
  length = 0;

  constructor(
    readonly kvDim: number,
    /** Input tokens the buffers hold at most. */
    readonly capacity: number,
    backend: Backend,
  ) {
    this.keys = backend.allocate(capacity * kvDim);
    this.values = backend.allocate(capacity * kvDim);
  }
}

export interface CrossAttentionConfig {
  /** nKvHeads must equal nHeads. */
  readonly heads: AttentionHeads;
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  readonly output: Linear;
  /** Multiplier of q·k (1/√headDim; T5: 1). */
  readonly scale: number;
}

export class CrossAttention {
  readonly heads: AttentionHeads;
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  readonly outputProj: Linear;
  readonly scale: number;
  /** The kernel's sizes, updated in place for each call. */
  private readonly shape: AttentionShape;

  constructor(config: CrossAttentionConfig) {
    this.heads = config.heads;
    this.query = config.query;
    this.key = config.key;
    this.value = config.value;
    this.outputProj = config.output;
    this.scale = config.scale;
    if (this.heads.nKvHeads !== this.heads.nHeads) throw new RangeError("cross-attention has as many key/value heads as query heads");
    this.shape = { queryCount: 0, keyCount: 0, queryOffset: 0, ...this.heads, scale: this.scale, causal: false };
  }

  /** memory ← the keys and values of encoder states [length, encoderDim] (once per input). */
  project(backend: Backend, memory: CrossAttentionMemory, encoderStates: Float32Array, length: number): void {
    if (length > memory.capacity) throw new RangeError(`${length} input tokens exceed the cross-attention memory of ${memory.capacity}`);
    this.key.forward(backend, memory.keys, encoderStates, length); // [length, nHeads · headDim]
    this.value.forward(backend, memory.values, encoderStates, length); // [length, nHeads · headDim]
    memory.length = length;
  }

  /**
   * out [rows, dim] = cross-attention of the decoder states x [rows, dim] (at
   * positions position …) over the memory's input tokens; keyMask [memory.length]
   * (optional) is 0 for padding tokens.
   */
  forward(pass: ForwardPass, out: Float32Array, x: Float32Array, rows: number, position: number, memory: CrossAttentionMemory, keyMask?: ArrayLike<number>): void {
    const { backend, scratch } = pass;
    const { nHeads } = this.heads;
    scratch.reserveKeys(memory.length, backend);
    const query = scratch.query; // [rows, nHeads, headDim]
    this.query.forward(backend, query, x, rows);
    const shape = this.shape;
    shape.queryCount = rows;
    shape.keyCount = memory.length;
    if (pass.observer?.wants(pass.layer, "cross_attn.pattern") === true) {
      const probs = new Float32Array(nHeads * rows * memory.length); // [nHeads, rows, length]
      backend.attentionProbabilities(probs, query, memory.keys, shape, new Float32Array(memory.length), keyMask);
      pass.observer.visit(pass.layer, "cross_attn.pattern", { data: probs, rows, width: memory.length, position, keyOffset: 0, heads: nHeads });
    }
    backend.attention(scratch.context, query, memory.keys, memory.values, shape, scratch.scores, keyMask); // [rows, nHeads, headDim]
    this.outputProj.forward(backend, out, scratch.context, rows); // [rows, dim]
    observe(pass, "cross_attn_out", out, rows, this.outputProj.outFeatures, position);
  }

  /**
   * The same on a tape for `batch` pairs: decoder states x [batch · targetLength, dim]
   * over encoder states [batch · sourceLength, encoderDim]; keyMask [batch · sourceLength].
   */
  forwardOnTape(ctx: TapeContext, x: Variable, encoderStates: Variable, batch: number, keyMask?: ArrayLike<number>): Variable {
    const { nHeads, headDim } = this.heads;
    const q = this.query.forwardOnTape(ctx, x); // [batch · target, nHeads · headDim]
    const k = this.key.forwardOnTape(ctx, encoderStates); // [batch · source, nHeads · headDim]
    const v = this.value.forwardOnTape(ctx, encoderStates);
    const options = { nHeads, nKvHeads: nHeads, headDim, causal: false, scale: this.scale, batch };
    return this.outputProj.forwardOnTape(ctx, attention(ctx.tape, q, k, v, keyMask === undefined ? options : { ...options, keyMask }));
  }
}
