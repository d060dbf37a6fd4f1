// The post-norm encoder–decoder of the original Transformer (Vaswani et al. 2017)
// in the tensor layout of Hugging Face's BART and Marian (modeling_bart.py,
// modeling_marian.py): token embeddings × √d_model (scale_embedding) + absolute
// positions (learned with BART's offset of 2, or sinusoidal) → optional LayerNorm
// (BART's layernorm_embedding) → post-norm layers (self-attention, cross-attention
// in the decoder, two-layer feed-forward; every projection with a bias; scores
// scaled by head_dim^-0.5) → LM head tied to the shared embedding + final_logits_bias.
// bart.ts, marian.ts and transformer.ts read their configs into a BartStyleSpec.
//
// Tensor names: model.shared.weight; model.{encoder,decoder}.embed_tokens.weight
// (tied copies), model.{encoder,decoder}.embed_positions.weight (learned);
// model.{encoder,decoder}.layernorm_embedding.{weight,bias};
// model.{encoder,decoder}.layers.N.{self_attn,encoder_attn}.{q,k,v,out}_proj.{weight,bias},
// ...{self_attn_layer_norm,encoder_attn_layer_norm,final_layer_norm}.{weight,bias},
// ...{fc1,fc2}.{weight,bias}; lm_head.weight (tied); final_logits_bias [1, vocab].

import type { Backend } from "../../backend/backend.js";
import { SelfAttention } from "../../nn/attention.js";
import { CrossAttention } from "../../nn/cross-attention.js";
import { Embedding } from "../../nn/embedding.js";
import { Linear } from "../../nn/linear.js";
import { Mlp, type Activation } from "../../nn/mlp.js";
import { PostNormBlock } from "../../nn/post-norm-block.js";
import { Seq2SeqDecoderBlock } from "../../nn/seq2seq-decoder-block.js";
import { SinusoidalPositions, type SinusoidLayout } from "../../nn/sinusoidal-positions.js";
import type { NamedTensors } from "../../tensor/tensor.js";
import { f32Matrix } from "../../tensor/weights.js";
import { LayerReader } from "../decoder/layers.js";
import { WeightStore, type Initializer } from "../weight-store.js";
import { Seq2SeqNetwork, type PositionEncoding, type Seq2SeqConfig, type StackEmbedding } from "./encoder-decoder.js";
import { tiedTables } from "./tied-weights.js";

export type AbsolutePositions =
  /** A learned table of maxPositions + offset rows, read at position + offset. */
  | { readonly kind: "learned"; readonly offset: number }
  | { readonly kind: "sinusoidal"; readonly layout: SinusoidLayout };

export interface BartStyleSpec {
  readonly config: Seq2SeqConfig;
  readonly positions: AbsolutePositions;
  /** LayerNorm after the embeddings (BART's layernorm_embedding). */
  readonly embeddingNorm: boolean;
  /** The head's bias final_logits_bias [1, vocab] (zeros when a checkpoint lacks it); false: no bias at all. */
  readonly finalLogitsBias: boolean;
  readonly activation: Activation;
  /** Token embeddings × √d_model. */
  readonly scaleEmbedding: boolean;
  readonly layerNormEps: number;
  /** One token table for encoder and decoder (share_encoder_decoder_embeddings). */
  readonly shareEmbeddings: boolean;
  /** The LM head is the decoder's token table (tie_word_embeddings). */
  readonly tieOutput: boolean;
}

export function buildBartStyle(spec: BartStyleSpec, tensors: NamedTensors, source: string, backend: Backend, initializer: Initializer | null = null): Seq2SeqNetwork {
  const { config } = spec;
  const weights = new WeightStore(tensors, source, backend, initializer);
  const read = new LayerReader(weights, backend);
  const { hiddenSize: dim, vocabSize, sourceVocabSize, headDim } = config;
  const eps = spec.layerNormEps;

  // Token tables: model.shared serves both stacks (and the head) when shared.
  let encoderTable: Float32Array;
  let decoderTable: Float32Array;
  let headTable: Float32Array | null = null;
  if (spec.shareEmbeddings) {
    const names = ["model.shared.weight", "model.encoder.embed_tokens.weight", "model.decoder.embed_tokens.weight", ...(spec.tieOutput ? ["lm_head.weight"] : [])];
    const tables = tiedTables(weights, names, [vocabSize, dim]);
    [, encoderTable, decoderTable] = tables as [Float32Array, Float32Array, Float32Array];
    if (spec.tieOutput) headTable = tables[3]!;
  } else {
    encoderTable = weights.take("model.encoder.embed_tokens.weight", [sourceVocabSize, dim]);
    const tables = tiedTables(weights, ["model.decoder.embed_tokens.weight", ...(spec.tieOutput ? ["lm_head.weight"] : [])], [vocabSize, dim]);
    decoderTable = tables[0]!;
    if (spec.tieOutput) headTable = tables[1]!;
  }
  const headWeight = headTable === null ? weights.matrix("lm_head.weight", vocabSize, dim) : f32Matrix(headTable, vocabSize, dim);
  let headBias: Float32Array | null = null;
  if (spec.finalLogitsBias) {
    if (weights.has("final_logits_bias") || initializer !== null) {
      headBias = weights.take("final_logits_bias", [1, vocabSize]);
    } else {
      // transformers starts a missing final_logits_bias (a buffer) at zeros
      headBias = backend.upload(new Float32Array(vocabSize));
      weights.parameters.add("final_logits_bias", headBias, [1, vocabSize]);
    }
  }
  const lmHead = new Linear(headWeight, headBias);

  const embedding = (stack: "encoder" | "decoder", table: Float32Array, count: number, maxPositions: number): StackEmbedding => {
    let positions: PositionEncoding;
    if (spec.positions.kind === "learned") {
      const rows = maxPositions + spec.positions.offset;
      positions = { kind: "learned", table: read.embedding(`model.${stack}.embed_positions.weight`, rows, dim), offset: spec.positions.offset };
    } else {
      positions = { kind: "sinusoidal", table: new SinusoidalPositions(maxPositions, dim, spec.positions.layout) };
    }
    return {
      tokens: new Embedding(table, count, dim),
      scale: spec.scaleEmbedding ? Math.sqrt(dim) : 1,
      positions,
      norm: spec.embeddingNorm ? read.layerNorm(`model.${stack}.layernorm_embedding`, dim, eps) : null,
      paddingIdx: config.padTokenId < count ? config.padTokenId : null,
    };
  };
  const linear = (prefix: string, outF: number, inF: number) => read.linear(prefix, outF, inF, true);
  const layerNorm = (prefix: string) => read.layerNorm(prefix, dim, eps);
  const scale = headDim ** -0.5;

  const encoderEmbedding = embedding("encoder", encoderTable, sourceVocabSize, config.maxSourcePositions);
  const encoderHeads = { nHeads: config.encoderHeads, nKvHeads: config.encoderHeads, headDim };
  const encoderBlocks = Array.from({ length: config.encoderLayers }, (_, l) => {
    const p = `model.encoder.layers.${l}`;
    const inner = config.encoderHeads * headDim;
    const attention = new SelfAttention({
      heads: encoderHeads,
      projection: { kind: "separate", query: linear(`${p}.self_attn.q_proj`, inner, dim), key: linear(`${p}.self_attn.k_proj`, inner, dim), value: linear(`${p}.self_attn.v_proj`, inner, dim) },
      output: linear(`${p}.self_attn.out_proj`, dim, inner),
      rotary: null,
      causal: false,
      scale,
    });
    const attentionNorm = layerNorm(`${p}.self_attn_layer_norm`);
    const ffn = new Mlp(linear(`${p}.fc1`, config.encoderFfnDim, dim), linear(`${p}.fc2`, dim, config.encoderFfnDim), spec.activation);
    return new PostNormBlock(l, attention, attentionNorm, ffn, layerNorm(`${p}.final_layer_norm`));
  });

  const decoderEmbedding = embedding("decoder", decoderTable, vocabSize, config.maxTargetPositions);
  const decoderHeads = { nHeads: config.decoderHeads, nKvHeads: config.decoderHeads, headDim };
  const decoderBlocks = Array.from({ length: config.decoderLayers }, (_, l) => {
    const p = `model.decoder.layers.${l}`;
    const inner = config.decoderHeads * headDim;
    return new Seq2SeqDecoderBlock(l, {
      placement: "post",
      selfAttention: new SelfAttention({
        heads: decoderHeads,
        projection: { kind: "separate", query: linear(`${p}.self_attn.q_proj`, inner, dim), key: linear(`${p}.self_attn.k_proj`, inner, dim), value: linear(`${p}.self_attn.v_proj`, inner, dim) },
        output: linear(`${p}.self_attn.out_proj`, dim, inner),
        rotary: null,
        causal: true,
        scale,
      }),
      selfAttentionNorm: layerNorm(`${p}.self_attn_layer_norm`),
      crossAttention: new CrossAttention({
        heads: decoderHeads,
        query: linear(`${p}.encoder_attn.q_proj`, inner, dim),
        key: linear(`${p}.encoder_attn.k_proj`, inner, dim),
        value: linear(`${p}.encoder_attn.v_proj`, inner, dim),
        output: linear(`${p}.encoder_attn.out_proj`, dim, inner),
        scale,
      }),
      crossAttentionNorm: layerNorm(`${p}.encoder_attn_layer_norm`),
      ffn: new Mlp(linear(`${p}.fc1`, config.decoderFfnDim, dim), linear(`${p}.fc2`, dim, config.decoderFfnDim), spec.activation),
      ffnNorm: layerNorm(`${p}.final_layer_norm`),
    });
  });

  // Sinusoidal tables are computed, not loaded; older Marian checkpoints store them anyway.
  weights.assertAllUsed(spec.positions.kind === "sinusoidal" ? /^model\.(encoder|decoder)\.embed_positions\.weight$/ : null);
  return new Seq2SeqNetwork(
    config,
    { encoderEmbedding, encoderBlocks, encoderFinalNorm: null, decoderEmbedding, decoderBlocks, decoderFinalNorm: null, outputScale: 1, lmHead },
    backend,
    weights.parameterCount,
    weights.parameters,
  );
}
