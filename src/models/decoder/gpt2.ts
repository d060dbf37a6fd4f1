// GPT-2 (Radford et al. 2019), loaded from Hugging Face GPT2LMHeadModel files:
// learned position embeddings, pre-norm LayerNorm blocks, GELU MLP, LM head tied
// to the token embedding. Follows nanoGPT model.py and HF modeling_gpt2.py.
//
// Checkpoint quirks: the attention and MLP weights are Conv1D, stored [in, out]
// (the transpose of nn.Linear) and used in that layout (F32ColumnsMatrix), so the
// q, k and v projections are column windows of the one fused c_attn weight;
// `sanitizeGpt2` adds the "transformer." prefix files saved from GPT2Model lack;
// their attention-mask buffers (attn.bias, attn.masked_bias) are ignored.

import type { Backend } from "../../backend/backend.js";
import { ConfigError } from "../../errors.js";
import { SelfAttention } from "../../nn/attention.js";
import { DecoderBlock } from "../../nn/block.js";
import { Embedding } from "../../nn/embedding.js";
import { Linear } from "../../nn/linear.js";
import { Mlp, type Activation } from "../../nn/mlp.js";
import { LayerNorm } from "../../nn/norm.js";
import type { NamedTensors, Tensor } from "../../tensor/tensor.js";
import { f32ColumnsMatrix, f32Matrix } from "../../tensor/weights.js";
import { ConfigReader, type JsonObject } from "../config-reader.js";
import { DecoderOnlyModel, type DecoderConfig } from "../decoder-only.js";
import { WeightStore, type Initializer } from "../weight-store.js";
import { readActivation } from "./layers.js";

export interface Gpt2Config extends DecoderConfig {
  readonly layerNormEpsilon: number;
  readonly activation: Activation;
  readonly scaleAttentionWeights: boolean;
}

export function parseGpt2Config(json: JsonObject, source: string): Gpt2Config {
  const c = new ConfigReader(json, source);
  const hiddenSize = c.positiveInt("n_embd");
  const numHeads = c.positiveInt("n_head");
  c.requireDivisible("n_embd", hiddenSize, "n_head", numHeads);
  const activation = readActivation(c, "activation_function", "gelu_new");
  if (c.boolean("scale_attn_by_inverse_layer_idx", false)) {
    throw new ConfigError(source, `"scale_attn_by_inverse_layer_idx": true is not supported`);
  }
  const eos = c.tokenIds("eos_token_id");
  const bos = c.tokenIds("bos_token_id");
  return {
    modelType: "gpt2",
    vocabSize: c.positiveInt("vocab_size"),
    hiddenSize,
    numLayers: c.positiveInt("n_layer"),
    numHeads,
    numKvHeads: numHeads,
    headDim: hiddenSize / numHeads,
    intermediateSize: c.has("n_inner") ? c.positiveInt("n_inner") : 4 * hiddenSize,
    contextLength: c.positiveInt("n_positions", c.has("n_ctx") ? c.positiveInt("n_ctx") : undefined),
    bosTokenId: bos[0],
    eosTokenIds: eos,
    layerNormEpsilon: c.positiveNumber("layer_norm_epsilon", 1e-5),
    activation,
    scaleAttentionWeights: c.boolean("scale_attn_weights", true),
  };
}

/** Buffers some GPT-2 files carry that are not parameters. */
const GPT2_BUFFERS = /^transformer\.h\.\d+\.attn\.(bias|masked_bias)$/;

/** Canonical HF names ("transformer." prefix) for files saved from GPT2Model. */
export function sanitizeGpt2(tensors: NamedTensors): NamedTensors {
  const out = new Map<string, Tensor>();
  for (const [name, tensor] of tensors) {
    const prefixed = name.startsWith("transformer.") || name.startsWith("lm_head.") ? name : `transformer.${name}`;
    out.set(prefixed, tensor);
  }
  return out;
}

export function buildGpt2(
  config: Gpt2Config,
  tensors: NamedTensors,
  source: string,
  backend: Backend,
  initializer: Initializer | null = null,
): DecoderOnlyModel {
  const weights = new WeightStore(sanitizeGpt2(tensors), source, backend, initializer);
  const { hiddenSize: dim, vocabSize, intermediateSize: ffn, numLayers, contextLength, layerNormEpsilon: eps } = config;
  const layerNorm = (prefix: string) =>
    new LayerNorm(weights.take(`${prefix}.weight`, [dim]), weights.take(`${prefix}.bias`, [dim]), eps);
  /** A Conv1D [inF, outF] as Linears over consecutive windows of its output columns, sharing its storage. */
  const conv1d = (prefix: string, inF: number, outF: number, windows = 1): Linear[] => {
    const weight = weights.take(`${prefix}.weight`, [inF, outF]);
    const bias = weights.take(`${prefix}.bias`, [outF]);
    const count = outF / windows;
    return Array.from({ length: windows }, (_, i) =>
      new Linear(f32ColumnsMatrix(weight, inF, outF, i * count, count), bias.subarray(i * count, (i + 1) * count)),
    );
  };

  const table = weights.take("transformer.wte.weight", [vocabSize, dim]);
  const blocks = [];
  for (let l = 0; l < numLayers; l++) {
    const p = `transformer.h.${l}`;
    const [query, key, value] = conv1d(`${p}.attn.c_attn`, dim, 3 * dim, 3) as [Linear, Linear, Linear]; // c_attn columns [q | k | v]
    const attention = new SelfAttention({
      heads: { nHeads: config.numHeads, nKvHeads: config.numHeads, headDim: config.headDim },
      projection: { kind: "separate", query, key, value },
      output: conv1d(`${p}.attn.c_proj`, dim, dim)[0]!,
      rotary: null,
      causal: true,
      scale: config.scaleAttentionWeights ? 1 / Math.sqrt(config.headDim) : 1,
    });
    const mlp = new Mlp(conv1d(`${p}.mlp.c_fc`, dim, ffn)[0]!, conv1d(`${p}.mlp.c_proj`, ffn, dim)[0]!, config.activation);
    blocks.push(new DecoderBlock(l, { inputNorm: layerNorm(`${p}.ln_1`), attention, ffnNorm: layerNorm(`${p}.ln_2`), ffn: mlp }));
  }
  const finalNorm = layerNorm("transformer.ln_f");
  const wpe = weights.take("transformer.wpe.weight", [contextLength, dim]);
  // The head is tied to the token embedding (one copy) unless the file has its own.
  const head = weights.has("lm_head.weight") ? weights.matrix("lm_head.weight", vocabSize, dim) : f32Matrix(table, vocabSize, dim);
  const ignoredTensors = weights.assertAllUsed(GPT2_BUFFERS);
  const parts = {
    ignoredTensors,
    tokenEmbedding: new Embedding(table, vocabSize, dim),
    positionEmbedding: new Embedding(wpe, contextLength, dim),
    blocks,
    finalNorm,
    lmHead: new Linear(head, null),
  };
  return new DecoderOnlyModel(config, parts, backend, weights.parameterCount, weights.parameters);
}
