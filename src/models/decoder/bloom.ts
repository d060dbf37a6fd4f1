// BLOOM (BigScience 2022; HF modeling_bloom.py): no position embeddings — ALiBi
// biases the attention scores instead (Press et al. 2022), with slopes for any head
// count as BLOOM computes them — a LayerNorm right after the word embeddings,
// LayerNorm-with-bias pre-norm blocks, q|k|v fused per head in query_key_value,
// tanh-GELU MLP, the LM head tied to the embeddings.

import type { Backend } from "../../backend/backend.js";
import { SelfAttention } from "../../nn/attention.js";
import { DecoderBlock } from "../../nn/block.js";
import { Mlp } from "../../nn/mlp.js";
import type { NamedTensors } from "../../tensor/tensor.js";
import { ConfigReader, type JsonObject } from "../config-reader.js";
import { DecoderOnlyModel, type DecoderConfig } from "../decoder-only.js";
import { WeightStore, type Initializer } from "../weight-store.js";
import { LayerReader } from "./layers.js";

export interface BloomConfig extends DecoderConfig {
  readonly layerNormEps: number;
  readonly tieWordEmbeddings: boolean;
}

/** BLOOM has no position limit of its own; this is the context lmscope gives it when the config names none. */
const BLOOM_DEFAULT_CONTEXT = 2048;

export function parseBloomConfig(json: JsonObject, source: string): BloomConfig {
  const c = new ConfigReader(json, source);
  const hiddenSize = c.positiveInt("hidden_size", c.has("n_embed") ? c.positiveInt("n_embed") : undefined);
  const numHeads = c.positiveInt("n_head", c.has("num_attention_heads") ? c.positiveInt("num_attention_heads") : undefined);
  c.requireDivisible("hidden_size", hiddenSize, "n_head", numHeads);
  const numLayers = c.positiveInt("n_layer", c.has("num_hidden_layers") ? c.positiveInt("num_hidden_layers") : undefined);
  return {
    modelType: "bloom",
    vocabSize: c.positiveInt("vocab_size"),
    hiddenSize,
    numLayers,
    numHeads,
    numKvHeads: numHeads,
    headDim: hiddenSize / numHeads,
    intermediateSize: 4 * hiddenSize,
    contextLength: c.positiveInt("seq_length", c.has("max_position_embeddings") ? c.positiveInt("max_position_embeddings") : BLOOM_DEFAULT_CONTEXT),
    bosTokenId: c.tokenIds("bos_token_id")[0],
    eosTokenIds: c.tokenIds("eos_token_id"),
    layerNormEps: c.positiveNumber("layer_norm_epsilon", 1e-5),
    tieWordEmbeddings: c.boolean("tie_word_embeddings", true),
  };
}

/**
 * ALiBi slopes for n heads (BLOOM's build_alibi_tensor; Press et al.): with
 * p = 2^⌊log₂ n⌋, heads h < p get 2^(−8(h+1)/p) and the remaining n − p heads the
 * odd powers 2^(−4(2k+1)/p), k = 0, 1, …, of the next power of two's sequence.
 */
export function alibiSlopes(n: number): Float32Array {
  const p = 2 ** Math.floor(Math.log2(n));
  const slopes = new Float32Array(n);
  for (let h = 0; h < p; h++) slopes[h] = 2 ** ((-8 * (h + 1)) / p);
  for (let k = 0; k < n - p; k++) slopes[p + k] = 2 ** ((-4 * (2 * k + 1)) / p);
  return slopes;
}

export function buildBloom(
  config: BloomConfig,
  tensors: NamedTensors,
  source: string,
  backend: Backend,
  initializer: Initializer | null = null,
): DecoderOnlyModel {
  const weights = new WeightStore(tensors, source, backend, initializer);
  const read = new LayerReader(weights, backend);
  const { hiddenSize: dim, vocabSize, intermediateSize: ffn, numHeads, headDim, layerNormEps: eps } = config;
  const slopes = alibiSlopes(numHeads);
  const tokenEmbedding = read.embedding("transformer.word_embeddings.weight", vocabSize, dim);
  const embeddingNorm = read.layerNorm("transformer.word_embeddings_layernorm", dim, eps);
  const blocks = Array.from({ length: config.numLayers }, (_, l) => {
    const p = `transformer.h.${l}`;
    const attention = new SelfAttention({
      heads: { nHeads: numHeads, nKvHeads: numHeads, headDim },
      projection: { kind: "fused-per-head", qkv: read.linear(`${p}.self_attention.query_key_value`, 3 * dim, dim, true) },
      output: read.linear(`${p}.self_attention.dense`, dim, dim, true),
      rotary: null,
      causal: true,
      scale: 1 / Math.sqrt(headDim),
      alibiSlopes: slopes,
    });
    const mlp = new Mlp(read.linear(`${p}.mlp.dense_h_to_4h`, ffn, dim, true), read.linear(`${p}.mlp.dense_4h_to_h`, dim, ffn, true), "gelu_tanh");
    return new DecoderBlock(l, {
      inputNorm: read.layerNorm(`${p}.input_layernorm`, dim, eps),
      attention,
      ffnNorm: read.layerNorm(`${p}.post_attention_layernorm`, dim, eps),
      ffn: mlp,
    });
  });
  const finalNorm = read.layerNorm("transformer.ln_f", dim, eps);
  const lmHead = read.lmHead("lm_head.weight", tokenEmbedding, config.tieWordEmbeddings);
  // A tied checkpoint may still store lm_head.weight: transformers ties it to the embeddings all the same.
  const ignoredTensors = weights.assertAllUsed(config.tieWordEmbeddings ? /^lm_head\.weight$/ : null);
  const parts = { tokenEmbedding, positionEmbedding: null, embeddingNorm, blocks, finalNorm, lmHead, ignoredTensors };
  return new DecoderOnlyModel(config, parts, backend, weights.parameterCount, weights.parameters);
}
