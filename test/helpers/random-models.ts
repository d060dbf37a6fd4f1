// Tiny random decoders built in memory from an HF-style config, for unit tests
// that need no files. Projections use stds that make attention far from uniform
// (as the shared fixtures do), so position and head mistakes show in the logits.
import type { JsonObject } from "../../src/models/config-reader.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { randomNormal, seededRandom } from "./random.js";

export type Tensors = Map<string, Tensor>;

function filler(seed: number) {
  const random = seededRandom(seed);
  return (shape: number[], std: number, mean = 0): Tensor => ({
    data: randomNormal(random, shape.reduce((a, b) => a * b, 1), std, mean),
    shape,
  });
}

export const GPT2_CONFIG: JsonObject = {
  model_type: "gpt2",
  vocab_size: 97,
  n_embd: 24,
  n_head: 3,
  n_layer: 2,
  n_positions: 40,
  layer_norm_epsilon: 1e-5,
  activation_function: "gelu_new",
  bos_token_id: 96,
  eos_token_id: 96,
};

export function randomGpt2(config: JsonObject = GPT2_CONFIG, seed = 1): Tensors {
  const t = filler(seed);
  const d = config["n_embd"] as number;
  const v = config["vocab_size"] as number;
  const ctx = config["n_positions"] as number;
  const out: Tensors = new Map();
  out.set("transformer.wte.weight", t([v, d], 0.3));
  out.set("transformer.wpe.weight", t([ctx, d], 0.3));
  for (let l = 0; l < (config["n_layer"] as number); l++) {
    const p = `transformer.h.${l}`;
    out.set(`${p}.ln_1.weight`, t([d], 0.2, 1));
    out.set(`${p}.ln_1.bias`, t([d], 0.1));
    out.set(`${p}.attn.c_attn.weight`, t([d, 3 * d], 1.2 / Math.sqrt(d)));
    out.set(`${p}.attn.c_attn.bias`, t([3 * d], 0.05));
    out.set(`${p}.attn.c_proj.weight`, t([d, d], 0.5 / Math.sqrt(d)));
    out.set(`${p}.attn.c_proj.bias`, t([d], 0.05));
    out.set(`${p}.ln_2.weight`, t([d], 0.2, 1));
    out.set(`${p}.ln_2.bias`, t([d], 0.1));
    out.set(`${p}.mlp.c_fc.weight`, t([d, 4 * d], 1.5 / Math.sqrt(d)));
    out.set(`${p}.mlp.c_fc.bias`, t([4 * d], 0.05));
    out.set(`${p}.mlp.c_proj.weight`, t([4 * d, d], 0.5 / Math.sqrt(4 * d)));
    out.set(`${p}.mlp.c_proj.bias`, t([d], 0.05));
  }
  out.set("transformer.ln_f.weight", t([d], 0.2, 1));
  out.set("transformer.ln_f.bias", t([d], 0.1));
  return out;
}

export const LLAMA_CONFIG: JsonObject = {
  model_type: "llama",
  vocab_size: 83,
  hidden_size: 32,
  intermediate_size: 45,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 48,
  rms_norm_eps: 1e-5,
  rope_theta: 10000,
  tie_word_embeddings: false,
  bos_token_id: 1,
  eos_token_id: 2,
};

export function randomLlama(config: JsonObject = LLAMA_CONFIG, seed = 2): Tensors {
  const t = filler(seed);
  const d = config["hidden_size"] as number;
  const v = config["vocab_size"] as number;
  const ffn = config["intermediate_size"] as number;
  const heads = config["num_attention_heads"] as number;
  const kvHeads = (config["num_key_value_heads"] as number | undefined) ?? heads;
  const headDim = (config["head_dim"] as number | undefined) ?? d / heads;
  const bias = config["attention_bias"] === true || config["model_type"] === "qwen2";
  const out: Tensors = new Map();
  out.set("model.embed_tokens.weight", t([v, d], 0.3));
  for (let l = 0; l < (config["num_hidden_layers"] as number); l++) {
    const p = `model.layers.${l}`;
    out.set(`${p}.input_layernorm.weight`, t([d], 0.2, 1));
    out.set(`${p}.self_attn.q_proj.weight`, t([heads * headDim, d], 1.2 / Math.sqrt(d)));
    out.set(`${p}.self_attn.k_proj.weight`, t([kvHeads * headDim, d], 1.2 / Math.sqrt(d)));
    out.set(`${p}.self_attn.v_proj.weight`, t([kvHeads * headDim, d], 1 / Math.sqrt(d)));
    if (bias) {
      out.set(`${p}.self_attn.q_proj.bias`, t([heads * headDim], 0.1));
      out.set(`${p}.self_attn.k_proj.bias`, t([kvHeads * headDim], 0.1));
      out.set(`${p}.self_attn.v_proj.bias`, t([kvHeads * headDim], 0.1));
    }
    out.set(`${p}.self_attn.o_proj.weight`, t([d, heads * headDim], 0.5 / Math.sqrt(heads * headDim)));
    out.set(`${p}.post_attention_layernorm.weight`, t([d], 0.2, 1));
    out.set(`${p}.mlp.gate_proj.weight`, t([ffn, d], 1.5 / Math.sqrt(d)));
    out.set(`${p}.mlp.up_proj.weight`, t([ffn, d], 1.5 / Math.sqrt(d)));
    out.set(`${p}.mlp.down_proj.weight`, t([d, ffn], 0.5 / Math.sqrt(ffn)));
  }
  out.set("model.norm.weight", t([d], 0.2, 1));
  if (config["tie_word_embeddings"] !== true) out.set("lm_head.weight", t([v, d], 0.3));
  return out;
}
