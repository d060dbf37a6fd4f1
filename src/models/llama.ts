// The Llama family (Touvron et al. 2023) from Hugging Face LlamaForCausalLM files,
// and the close relatives that share its layout (Mistral, Qwen2): rotary
// positions, pre-norm RMSNorm blocks, grouped-query attention, SwiGLU MLP, LM head
// tied or not. Follows llama2.c model.py, HF modeling_llama.py and mlx-lm llama.py.
//
// Rotary layout: HF files store q_proj/k_proj rows permuted for `rotate_half`
// ("half"); llama2.c and GGUF files keep Meta's interleaved rows ("interleaved").
// The loader says which, and RoPE is applied in the matching layout.

import type { Backend, RopeLayout } from "../backend/backend.js";
import { ConfigError } from "../errors.js";
import { SelfAttention } from "../nn/attention.js";
import { PreNormBlock } from "../nn/block.js";
import { Embedding } from "../nn/embedding.js";
import { Linear } from "../nn/linear.js";
import { GatedMlp, type Activation } from "../nn/mlp.js";
import { RMSNorm } from "../nn/norm.js";
import { RotaryEmbedding, type RopeScaling } from "../nn/rotary-embedding.js";
import type { NamedTensors } from "../tensor/tensor.js";
import { f32Matrix } from "../tensor/weights.js";
import { ConfigReader, type JsonObject } from "./config-reader.js";
import { DecoderOnlyModel, type DecoderConfig } from "./decoder-only.js";
import { WeightStore, type Initializer } from "./weight-store.js";

export interface LlamaConfig extends DecoderConfig {
  readonly rmsNormEps: number;
  readonly ropeTheta: number;
  readonly ropeScaling: RopeScaling | null;
  readonly activation: Activation;
  readonly attentionBias: boolean;
  readonly mlpBias: boolean;
  readonly tieWordEmbeddings: boolean;
}

const ACTIVATIONS: Record<string, Activation> = {
  silu: "silu",
  swish: "silu",
  gelu: "gelu_erf",
  gelu_pytorch_tanh: "gelu_tanh",
  gelu_new: "gelu_tanh",
};

function parseRopeScaling(c: ConfigReader): RopeScaling | null {
  const raw = c.json["rope_scaling"];
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError(c.source, `"rope_scaling" must be an object or null`);
  }
  const scaling = new ConfigReader(raw as JsonObject, `${c.source} rope_scaling`);
  const type = scaling.has("rope_type") ? scaling.string("rope_type") : scaling.string("type");
  if (type === "default") return null;
  if (type === "linear") return { type, factor: scaling.positiveNumber("factor") };
  if (type === "llama3") {
    return {
      type,
      factor: scaling.positiveNumber("factor"),
      lowFreqFactor: scaling.positiveNumber("low_freq_factor"),
      highFreqFactor: scaling.positiveNumber("high_freq_factor"),
      originalMaxPositionEmbeddings: scaling.positiveInt("original_max_position_embeddings"),
    };
  }
  throw new ConfigError(c.source, `rope_scaling type "${type}" is not supported (supported: linear, llama3)`);
}

export function parseLlamaConfig(json: JsonObject, source: string): LlamaConfig {
  const c = new ConfigReader(json, source);
  const modelType = c.string("model_type", "llama");
  const hiddenSize = c.positiveInt("hidden_size");
  const numHeads = c.positiveInt("num_attention_heads");
  const numKvHeads = c.positiveInt("num_key_value_heads", numHeads);
  c.requireDivisible("num_attention_heads", numHeads, "num_key_value_heads", numKvHeads);
  if (!c.has("head_dim")) c.requireDivisible("hidden_size", hiddenSize, "num_attention_heads", numHeads);
  const headDim = c.has("head_dim") ? c.positiveInt("head_dim") : hiddenSize / numHeads;
  if (headDim % 2 !== 0) throw new ConfigError(source, `head size ${headDim} must be even for rotary embeddings`);
  const activationName = c.string("hidden_act", "silu");
  const activation = ACTIVATIONS[activationName];
  if (activation === undefined) {
    throw new ConfigError(source, `"hidden_act" "${activationName}" is not supported (known: ${Object.keys(ACTIVATIONS).join(", ")})`);
  }
  let contextLength = c.positiveInt("max_position_embeddings");
  // Mistral's sliding window: capping the context at the window keeps every
  // computation exact (attention never reaches beyond it).
  if (c.has("sliding_window") && c.boolean("use_sliding_window", true)) {
    contextLength = Math.min(contextLength, c.positiveInt("sliding_window"));
  }
  const bos = c.tokenIds("bos_token_id");
  return {
    modelType,
    vocabSize: c.positiveInt("vocab_size"),
    hiddenSize,
    numLayers: c.positiveInt("num_hidden_layers"),
    numHeads,
    numKvHeads,
    headDim,
    intermediateSize: c.positiveInt("intermediate_size"),
    contextLength,
    bosTokenId: bos[0],
    eosTokenIds: c.tokenIds("eos_token_id"),
    rmsNormEps: c.positiveNumber("rms_norm_eps", 1e-6),
    ropeTheta: c.positiveNumber("rope_theta", 10000),
    ropeScaling: parseRopeScaling(c),
    activation,
    // Qwen2 always has q/k/v biases and its config does not say so.
    attentionBias: c.boolean("attention_bias", modelType === "qwen2"),
    mlpBias: c.boolean("mlp_bias", false),
    tieWordEmbeddings: c.boolean("tie_word_embeddings", false),
  };
}

/** Buffers older checkpoints carry that are not parameters. */
const LLAMA_BUFFERS = /^model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq$/;

export function buildLlama(
  config: LlamaConfig,
  tensors: NamedTensors,
  source: string,
  backend: Backend,
  ropeLayout: RopeLayout,
  initializer: Initializer | null = null,
): DecoderOnlyModel {
  const weights = new WeightStore(tensors, source, backend, initializer);
  const { hiddenSize: dim, vocabSize, intermediateSize: ffn, numLayers, numHeads, numKvHeads, headDim } = config;
  const linear = (prefix: string, outF: number, inF: number, hasBias: boolean) =>
    new Linear(weights.matrix(`${prefix}.weight`, outF, inF), hasBias ? weights.take(`${prefix}.bias`, [outF]) : null);
  const rmsNorm = (name: string) => new RMSNorm(weights.take(name, [dim]), config.rmsNormEps);
  const rotary = new RotaryEmbedding({
    rotaryDim: headDim,
    theta: config.ropeTheta,
    maxPositions: config.contextLength,
    layout: ropeLayout,
    scaling: config.ropeScaling,
  });

  const table = weights.take("model.embed_tokens.weight", [vocabSize, dim]);
  const blocks = [];
  for (let l = 0; l < numLayers; l++) {
    const p = `model.layers.${l}`;
    const bias = config.attentionBias;
    const attention = new SelfAttention(
      linear(`${p}.self_attn.q_proj`, numHeads * headDim, dim, bias),
      linear(`${p}.self_attn.k_proj`, numKvHeads * headDim, dim, bias),
      linear(`${p}.self_attn.v_proj`, numKvHeads * headDim, dim, bias),
      linear(`${p}.self_attn.o_proj`, dim, numHeads * headDim, weights.has(`${p}.self_attn.o_proj.bias`) && bias),
      { nHeads: numHeads, nKvHeads: numKvHeads, headDim },
      rotary,
      true,
    );
    const mlp = new GatedMlp(
      linear(`${p}.mlp.gate_proj`, ffn, dim, config.mlpBias),
      linear(`${p}.mlp.up_proj`, ffn, dim, config.mlpBias),
      linear(`${p}.mlp.down_proj`, dim, ffn, config.mlpBias),
      config.activation,
    );
    blocks.push(new PreNormBlock(rmsNorm(`${p}.input_layernorm.weight`), attention, rmsNorm(`${p}.post_attention_layernorm.weight`), mlp));
  }
  const finalNorm = rmsNorm("model.norm.weight");
  // A tied head reads the embedding table itself: one copy, and training updates both.
  const head = config.tieWordEmbeddings
    ? f32Matrix(table, vocabSize, dim)
    : weights.matrix("lm_head.weight", vocabSize, dim);
  weights.assertAllUsed(LLAMA_BUFFERS);
  const parts = {
    tokenEmbedding: new Embedding(table, vocabSize, dim),
    positionEmbedding: null,
    blocks,
    finalNorm,
    lmHead: new Linear(head, null),
  };
  return new DecoderOnlyModel(config, parts, backend, weights.parameterCount, weights.parameters);
}
