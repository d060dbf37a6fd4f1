// The boxes of lmscope's configurable Transformer, built from its spec (config.ts)
// by tensor name, shared by the decoder and the encoder:
//
//   model.embed_tokens.weight                       token embeddings [vocab, dim]
//   model.embed_positions.weight                    learned positions [context, dim]
//   model.layers.N.attention_norm.{weight,bias}     norm before attention (pre) or after its residual add (post)
//   model.layers.N.self_attn.{q,k,v,o}_proj.{weight,bias}
//   model.layers.N.mlp_norm.{weight,bias}           norm before the MLP (pre) or after its residual add (post)
//   model.layers.N.mlp.{up,down}_proj               ReLU / GELU: down(act(up(x)))
//   model.layers.N.mlp.{gate,up,down}_proj          SwiGLU: down(silu(gate(x)) · up(x))
//   model.norm.{weight,bias}                        final norm (pre-norm stacks only)
//
// (biases only with "bias": true; RMSNorm has no bias). Sinusoids, RoPE tables,
// ALiBi slopes and Performer features are computed, not stored.

import type { Backend } from "../../backend/backend.js";
import { SelfAttention } from "../../nn/attention.js";
import type { AbsolutePositions } from "../../nn/absolute-positions.js";
import type { AttentionLayer } from "../../nn/attention-layer.js";
import { DecoderBlock } from "../../nn/block.js";
import type { Embedding } from "../../nn/embedding.js";
import type { Linear } from "../../nn/linear.js";
import { EluFeatureMap } from "../../nn/feature-map.js";
import { LinearAttention } from "../../nn/linear-attention.js";
import { GatedMlp, Mlp, type FeedForward } from "../../nn/mlp.js";
import { IdentityNorm, RMSNorm, type Norm } from "../../nn/norm.js";
import { PerformerFeatureMap } from "../../nn/performer-features.js";
import type { RotaryEmbedding } from "../../nn/rotary-embedding.js";
import { SinusoidalPositions } from "../../nn/sinusoidal-positions.js";
import { SparseSelfAttention } from "../../nn/sparse-attention.js";
import { alibiSlopes } from "../decoder/bloom.js";
import { LayerReader, rotaryFor } from "../decoder/layers.js";
import type { WeightStore } from "../weight-store.js";
import type { LmscopeSpec } from "./config.js";

export class LmscopeParts {
  private readonly read: LayerReader;
  /** One rotary table for every layer (RoPE), or none. */
  private readonly rotary: RotaryEmbedding | null;
  private readonly slopes: Float32Array | null;

  constructor(
    readonly spec: LmscopeSpec,
    readonly weights: WeightStore,
    backend: Backend,
  ) {
    this.read = new LayerReader(weights, backend);
    const { headDim, contextLength, numHeads } = spec.config;
    this.rotary = spec.rope === null ? null : rotaryFor(spec.rope, headDim, contextLength, "half", weights.source);
    this.slopes = spec.positions === "alibi" ? alibiSlopes(numHeads) : null;
  }

  tokenEmbedding(): Embedding {
    const { vocabSize, hiddenSize } = this.spec.config;
    return this.read.embedding("model.embed_tokens.weight", vocabSize, hiddenSize);
  }

  /** The LM head: the token embedding table itself when tied, else lm_head.weight. */
  lmHead(tokenEmbedding: Embedding): Linear {
    return this.read.lmHead("lm_head.weight", tokenEmbedding, this.spec.tieWordEmbeddings);
  }

  /** The positions added to the embeddings: a learned table, the sinusoids, or none (RoPE, ALiBi, none). */
  absolutePositions(): AbsolutePositions | null {
    const { contextLength, hiddenSize } = this.spec.config;
    switch (this.spec.positions) {
      case "learned":
        return this.read.embedding("model.embed_positions.weight", contextLength, hiddenSize);
      case "sinusoidal":
        return new SinusoidalPositions(contextLength, hiddenSize, "interleaved");
      default:
        return null;
    }
  }

  /** A norm of the spec's kind over `dim` features. */
  norm(prefix: string, dim = this.spec.config.hiddenSize): Norm {
    const { norm, normEps } = this.spec;
    return norm === "rmsnorm" ? new RMSNorm(this.weights.take(`${prefix}.weight`, [dim]), normEps) : this.read.layerNorm(prefix, dim, normEps);
  }

  /** The norm after the last block: the spec's for pre-norm stacks; post-norm ones end normalised already. */
  finalNorm(): Norm {
    return this.spec.normPosition === "pre" ? this.norm("model.norm") : new IdentityNorm(this.spec.config.hiddenSize);
  }

  /** Layer l's attention, causal (decoder) or bidirectional (encoder). */
  attention(l: number, causal: boolean): AttentionLayer {
    const { hiddenSize: dim, numHeads, numKvHeads, headDim } = this.spec.config;
    const p = `model.layers.${l}.self_attn`;
    const bias = this.spec.bias;
    const query = this.read.linear(`${p}.q_proj`, numHeads * headDim, dim, bias);
    const key = this.read.linear(`${p}.k_proj`, numKvHeads * headDim, dim, bias);
    const value = this.read.linear(`${p}.v_proj`, numKvHeads * headDim, dim, bias);
    const output = this.read.linear(`${p}.o_proj`, dim, numHeads * headDim, bias);
    const heads = { nHeads: numHeads, nKvHeads: numKvHeads, headDim };
    const attention = this.spec.attention;
    if (attention.type === "linear" || attention.type === "performer") {
      const featureMap =
        attention.type === "linear" ? new EluFeatureMap(headDim) : new PerformerFeatureMap(attention.features, headDim, attention.seed + l);
      return new LinearAttention({ heads, query, key, value, output, rotary: this.rotary, featureMap });
    }
    const softmax = {
      heads,
      projection: { kind: "separate" as const, query, key, value },
      output,
      rotary: this.rotary,
      causal,
      scale: 1 / Math.sqrt(headDim),
      alibiSlopes: this.slopes,
    };
    if (attention.type === "sparse") return new SparseSelfAttention({ ...softmax, window: attention.window, stride: attention.stride });
    return new SelfAttention({ ...softmax, window: attention.type === "sliding_window" ? attention.window : 0 });
  }

  /** Layer l's position-wise MLP. */
  mlp(l: number): FeedForward {
    const { hiddenSize: dim, intermediateSize: ffn } = this.spec.config;
    const p = `model.layers.${l}.mlp`;
    const bias = this.spec.bias;
    const gate = this.spec.mlp === "swiglu" ? this.read.linear(`${p}.gate_proj`, ffn, dim, bias) : null;
    const up = this.read.linear(`${p}.up_proj`, ffn, dim, bias);
    const down = this.read.linear(`${p}.down_proj`, dim, ffn, bias);
    if (gate !== null) return new GatedMlp(gate, up, down, "silu");
    return new Mlp(up, down, this.spec.mlp === "relu" ? "relu" : "gelu_erf");
  }

  /** Block l: norms before the sub-layers (pre) or after their residual adds (post). */
  block(l: number, causal: boolean): DecoderBlock {
    const p = `model.layers.${l}`;
    const attentionNorm = this.norm(`${p}.attention_norm`);
    const attention = this.attention(l, causal);
    const ffnNorm = this.norm(`${p}.mlp_norm`);
    const ffn = this.mlp(l);
    return this.spec.normPosition === "pre"
      ? new DecoderBlock(l, { inputNorm: attentionNorm, attention, ffnNorm, ffn })
      : new DecoderBlock(l, { inputNorm: null, attention, attentionResidualNorm: attentionNorm, ffnNorm: null, ffn, ffnResidualNorm: ffnNorm });
  }
}
