// T5 (Raffel et al. 2020) from Hugging Face checkpoints (HF modeling_t5.py,
// T5ForConditionalGeneration): one token embedding `shared` for the encoder and
// the decoder, no absolute positions but a learned relative position bias added
// to the attention scores (buckets shared by every layer of a stack: bidirectional
// in the encoder, causal in the decoder; weights stored in block 0 only), scores
// q·k without 1/√d_kv, T5's LayerNorm (RMS: no mean, no bias), pre-norm blocks,
// ReLU or gated-GELU (T5 v1.1, tanh GELU) feed-forward, no biases anywhere, final
// norms on both stacks. The decoder output is multiplied by d_model^-0.5 before a
// head tied to `shared` (the original T5); T5 v1.1 has its own lm_head and no
// rescale (config tie_word_embeddings false, or transformers 5's scale_decoder_outputs).

import type { Backend } from "../../backend/backend.js";
import { ConfigError } from "../../errors.js";
import { SelfAttention } from "../../nn/attention.js";
import { DecoderBlock } from "../../nn/block.js";
import { CrossAttention } from "../../nn/cross-attention.js";
import { Embedding } from "../../nn/embedding.js";
import { Linear } from "../../nn/linear.js";
import { GatedMlp, Mlp, type Activation, type FeedForward } from "../../nn/mlp.js";
import { RelativeAttentionBias } from "../../nn/relative-position-bias.js";
import { Seq2SeqDecoderBlock } from "../../nn/seq2seq-decoder-block.js";
import type { NamedTensors } from "../../tensor/tensor.js";
import { f32Matrix } from "../../tensor/weights.js";
import { ConfigReader, type JsonObject } from "../config-reader.js";
import { ACTIVATIONS, LayerReader } from "../decoder/layers.js";
import { WeightStore, type Initializer } from "../weight-store.js";
import { Seq2SeqNetwork, type Seq2SeqConfig } from "./encoder-decoder.js";
import { tiedTables } from "./tied-weights.js";

export interface T5Spec {
  readonly config: Seq2SeqConfig;
  readonly numBuckets: number;
  readonly maxDistance: number;
  readonly eps: number;
  readonly activation: Activation;
  /** gated-* feed_forward_proj: wo(act(wi_0 x) · wi_1 x); else wo(act(wi x)). */
  readonly gated: boolean;
  /** The decoder output × d_model^-0.5 before the head. */
  readonly scaleOutputs: boolean;
}

/** The longest input and output T5 is given without n_positions (relative positions set no hard limit). */
const DEFAULT_T5_POSITIONS = 512;

export function parseT5Config(json: JsonObject, source: string): T5Spec {
  const c = new ConfigReader(json, source);
  const hiddenSize = c.positiveInt("d_model");
  const headDim = c.positiveInt("d_kv");
  const numHeads = c.positiveInt("num_heads");
  const encoderLayers = c.positiveInt("num_layers");
  const decoderLayers = c.positiveInt("num_decoder_layers", encoderLayers);
  const ffnDim = c.positiveInt("d_ff");
  const projection = c.string("feed_forward_proj", "relu");
  const parts = projection.split("-");
  const gated = parts[0] === "gated" && parts.length === 2;
  if (parts.length > 2 || (parts.length === 2 && !gated)) {
    throw new ConfigError(source, `"feed_forward_proj" "${projection}" is not "<activation>" or "gated-<activation>"`);
  }
  const activationName = projection === "gated-gelu" ? "gelu_new" : parts[parts.length - 1]!;
  const activation = ACTIVATIONS[activationName];
  if (activation === undefined) {
    throw new ConfigError(source, `"feed_forward_proj" "${projection}": activation "${activationName}" is not supported (known: ${Object.keys(ACTIVATIONS).join(", ")})`);
  }
  const padTokenId = c.tokenIds("pad_token_id")[0] ?? 0;
  const decoderStart = c.tokenIds("decoder_start_token_id")[0] ?? padTokenId;
  const eosTokenIds = c.tokenIds("eos_token_id");
  const positions = c.positiveInt("n_positions", DEFAULT_T5_POSITIONS);
  const scaleDecoderOutputs = json["scale_decoder_outputs"];
  if (scaleDecoderOutputs !== undefined && scaleDecoderOutputs !== null && typeof scaleDecoderOutputs !== "boolean") {
    throw new ConfigError(source, `"scale_decoder_outputs" must be true or false, got ${JSON.stringify(scaleDecoderOutputs)}`);
  }
  const numBuckets = c.positiveInt("relative_attention_num_buckets", 32);
  const maxDistance = c.positiveInt("relative_attention_max_distance", 128);
  if (numBuckets < 4) throw new ConfigError(source, `"relative_attention_num_buckets" must be at least 4, got ${numBuckets}`);
  return {
    config: {
      modelType: c.string("model_type"),
      vocabSize: c.positiveInt("vocab_size"),
      sourceVocabSize: c.positiveInt("vocab_size"),
      hiddenSize,
      encoderLayers,
      decoderLayers,
      encoderHeads: numHeads,
      decoderHeads: numHeads,
      headDim,
      encoderFfnDim: ffnDim,
      decoderFfnDim: ffnDim,
      maxSourcePositions: positions,
      maxTargetPositions: positions,
      padTokenId,
      eosTokenIds,
      bosTokenId: c.tokenIds("bos_token_id")[0],
      decoderStartTokenId: decoderStart,
    },
    numBuckets,
    maxDistance,
    eps: c.positiveNumber("layer_norm_epsilon", 1e-6),
    activation,
    gated,
    scaleOutputs: typeof scaleDecoderOutputs === "boolean" ? scaleDecoderOutputs : c.boolean("tie_word_embeddings", true),
  };
}

export function buildT5(spec: T5Spec, tensors: NamedTensors, source: string, backend: Backend, initializer: Initializer | null = null): Seq2SeqNetwork {
  const { config, eps } = spec;
  const weights = new WeightStore(tensors, source, backend, initializer);
  const read = new LayerReader(weights, backend);
  const { hiddenSize: dim, vocabSize, headDim } = config;
  const inner = config.encoderHeads * headDim;
  // One table for the encoder's and decoder's tokens and the head, unless the file stores them apart (T5 v1.1's lm_head).
  const [, encoderTable, decoderTable, headTable] = tiedTables(
    weights,
    ["shared.weight", "encoder.embed_tokens.weight", "decoder.embed_tokens.weight", "lm_head.weight"],
    [vocabSize, dim],
  ) as [Float32Array, Float32Array, Float32Array, Float32Array];
  const heads = { nHeads: config.encoderHeads, nKvHeads: config.encoderHeads, headDim };
  const linear = (prefix: string, outF: number, inF: number) => read.linear(prefix, outF, inF, false);
  const bias = (stack: string, bidirectional: boolean) =>
    new RelativeAttentionBias(
      weights.take(`${stack}.block.0.layer.0.SelfAttention.relative_attention_bias.weight`, [spec.numBuckets, config.encoderHeads]),
      spec.numBuckets,
      config.encoderHeads,
      spec.maxDistance,
      bidirectional,
    );
  const selfAttention = (prefix: string, causal: boolean, positionBias: RelativeAttentionBias) =>
    new SelfAttention({
      heads,
      projection: { kind: "separate", query: linear(`${prefix}.q`, inner, dim), key: linear(`${prefix}.k`, inner, dim), value: linear(`${prefix}.v`, inner, dim) },
      output: linear(`${prefix}.o`, dim, inner),
      rotary: null,
      causal,
      scale: 1,
      positionBias,
    });
  const ffn = (prefix: string, ffnDim: number): FeedForward =>
    spec.gated
      ? new GatedMlp(linear(`${prefix}.wi_0`, ffnDim, dim), linear(`${prefix}.wi_1`, ffnDim, dim), linear(`${prefix}.wo`, dim, ffnDim), spec.activation)
      : new Mlp(linear(`${prefix}.wi`, ffnDim, dim), linear(`${prefix}.wo`, dim, ffnDim), spec.activation);
  const norm = (name: string) => read.rmsNorm(`${name}.weight`, dim, eps);

  const encoderBias = bias("encoder", true);
  const encoderBlocks = Array.from({ length: config.encoderLayers }, (_, l) => {
    const p = `encoder.block.${l}.layer`;
    return new DecoderBlock(l, {
      inputNorm: norm(`${p}.0.layer_norm`),
      attention: selfAttention(`${p}.0.SelfAttention`, false, encoderBias),
      ffnNorm: norm(`${p}.1.layer_norm`),
      ffn: ffn(`${p}.1.DenseReluDense`, config.encoderFfnDim),
    });
  });
  const encoderFinalNorm = norm("encoder.final_layer_norm");

  const decoderBias = bias("decoder", false);
  const decoderBlocks = Array.from({ length: config.decoderLayers }, (_, l) => {
    const p = `decoder.block.${l}.layer`;
    return new Seq2SeqDecoderBlock(l, {
      placement: "pre",
      selfAttentionNorm: norm(`${p}.0.layer_norm`),
      selfAttention: selfAttention(`${p}.0.SelfAttention`, true, decoderBias),
      crossAttentionNorm: norm(`${p}.1.layer_norm`),
      crossAttention: new CrossAttention({
        heads,
        query: linear(`${p}.1.EncDecAttention.q`, inner, dim),
        key: linear(`${p}.1.EncDecAttention.k`, inner, dim),
        value: linear(`${p}.1.EncDecAttention.v`, inner, dim),
        output: linear(`${p}.1.EncDecAttention.o`, dim, inner),
        scale: 1,
      }),
      ffnNorm: norm(`${p}.2.layer_norm`),
      ffn: ffn(`${p}.2.DenseReluDense`, config.decoderFfnDim),
    });
  });
  const decoderFinalNorm = norm("decoder.final_layer_norm");

  const lmHead = new Linear(f32Matrix(headTable, vocabSize, dim), null);

  // transformers ignores a cross-attention bias some old checkpoints carry (T5 has none there).
  weights.assertAllUsed(/^decoder\.block\.0\.layer\.1\.EncDecAttention\.relative_attention_bias\.weight$/);
  const embedding = (table: Float32Array) => ({ tokens: new Embedding(table, vocabSize, dim), scale: 1, positions: null, norm: null, paddingIdx: null });
  return new Seq2SeqNetwork(
    config,
    {
      encoderEmbedding: embedding(encoderTable),
      encoderBlocks,
      encoderFinalNorm,
      decoderEmbedding: embedding(decoderTable),
      decoderBlocks,
      decoderFinalNorm,
      outputScale: spec.scaleOutputs ? dim ** -0.5 : 1,
      lmHead,
    },
    backend,
    weights.parameterCount,
    weights.parameters,
  );
}
