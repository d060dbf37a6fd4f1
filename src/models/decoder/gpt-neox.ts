// GPT-NeoX / Pythia (Black et al. 2022; HF modeling_gpt_neox.py): LayerNorm with
// bias, exact GELU MLP, partial rotary embeddings (rotary_pct / partial_rotary_factor),
// and attention's q|k|v fused per head in query_key_value ([nHeads, 3, headDim] rows:
// each head's q, k and v side by side), split after the product. With
// use_parallel_residual the block is x + attn(ln1(x)) + mlp(ln2(x)).

import type { Backend, RopeLayout } from "../../backend/backend.js";
import { SelfAttention } from "../../nn/attention.js";
import { DecoderBlock } from "../../nn/block.js";
import { Mlp } from "../../nn/mlp.js";
import type { NamedTensors } from "../../tensor/tensor.js";
import { ConfigReader, type JsonObject } from "../config-reader.js";
import { DecoderOnlyModel, type DecoderConfig } from "../decoder-only.js";
import { readRope, type RopeSettings } from "../rope-config.js";
import { WeightStore, type Initializer } from "../weight-store.js";
import { LayerReader, readActivation, readLlamaShape, rotaryFor } from "./layers.js";
import type { Activation } from "../../nn/mlp.js";

export interface GptNeoxConfig extends DecoderConfig {
  readonly layerNormEps: number;
  readonly activation: Activation;
  readonly rope: RopeSettings;
  readonly parallelResidual: boolean;
  readonly attentionBias: boolean;
  readonly tieWordEmbeddings: boolean;
}

export function parseGptNeoxConfig(json: JsonObject, source: string): GptNeoxConfig {
  const c = new ConfigReader(json, source);
  const shape = readLlamaShape(c, "gpt_neox");
  return {
    ...shape,
    numKvHeads: shape.numHeads,
    layerNormEps: c.positiveNumber("layer_norm_eps", 1e-5),
    activation: readActivation(c, "hidden_act", "gelu"),
    rope: readRope(c),
    parallelResidual: c.boolean("use_parallel_residual", true),
    attentionBias: c.boolean("attention_bias", true),
    tieWordEmbeddings: c.boolean("tie_word_embeddings", false),
  };
}

/** Buffers older checkpoints carry that are not parameters. */
const NEOX_BUFFERS = /^gpt_neox\.layers\.\d+\.attention\.(bias|masked_bias|rotary_emb\.inv_freq)$/;

export function buildGptNeox(
  config: GptNeoxConfig,
  tensors: NamedTensors,
  source: string,
  backend: Backend,
  ropeLayout: RopeLayout,
  initializer: Initializer | null = null,
): DecoderOnlyModel {
  const weights = new WeightStore(tensors, source, backend, initializer);
  const read = new LayerReader(weights, backend);
  const { hiddenSize: dim, vocabSize, intermediateSize: ffn, numHeads, headDim, layerNormEps: eps } = config;
  const rotary = rotaryFor(config.rope, headDim, config.contextLength, ropeLayout, source);
  const bias = config.attentionBias;
  const tokenEmbedding = read.embedding("gpt_neox.embed_in.weight", vocabSize, dim);
  const blocks = Array.from({ length: config.numLayers }, (_, l) => {
    const p = `gpt_neox.layers.${l}`;
    const attention = new SelfAttention({
      heads: { nHeads: numHeads, nKvHeads: numHeads, headDim },
      projection: { kind: "fused-per-head", qkv: read.linear(`${p}.attention.query_key_value`, 3 * numHeads * headDim, dim, bias) },
      output: read.linear(`${p}.attention.dense`, dim, numHeads * headDim, bias),
      rotary,
      causal: true,
      scale: 1 / Math.sqrt(headDim),
    });
    const mlp = new Mlp(read.linear(`${p}.mlp.dense_h_to_4h`, ffn, dim, true), read.linear(`${p}.mlp.dense_4h_to_h`, dim, ffn, true), config.activation);
    return new DecoderBlock(l, {
      inputNorm: read.layerNorm(`${p}.input_layernorm`, dim, eps),
      attention,
      ffnNorm: read.layerNorm(`${p}.post_attention_layernorm`, dim, eps),
      ffn: mlp,
      parallel: config.parallelResidual,
    });
  });
  const finalNorm = read.layerNorm("gpt_neox.final_layer_norm", dim, eps);
  const lmHead = read.lmHead("embed_out.weight", tokenEmbedding, config.tieWordEmbeddings);
  const ignoredTensors = weights.assertAllUsed(NEOX_BUFFERS);
  const parts = { tokenEmbedding, positionEmbedding: null, blocks, finalNorm, lmHead, ignoredTensors };
  return new DecoderOnlyModel(config, parts, backend, weights.parameterCount, weights.parameters);
}
