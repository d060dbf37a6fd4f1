// A tiny config.json for every decoder model_type the registry builds, each with
// the options that make its family differ (sliding windows shorter than the test
// sequences, soft-caps, q/k norms, fused projections, NoPE layers, multipliers),
// and a seeded initializer whose weights make attention far from uniform, so that
// building any family needs no checkpoint file.
import type { JsonObject } from "../../src/models/config-reader.js";
import type { Initializer } from "../../src/models/weight-store.js";
import { Rng } from "../../src/tensor/random.js";
import { numel } from "../../src/tensor/tensor.js";

const LLAMA_SHAPE: JsonObject = {
  vocab_size: 61,
  hidden_size: 24,
  intermediate_size: 40,
  num_hidden_layers: 3,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 64,
  rms_norm_eps: 1e-5,
  bos_token_id: 1,
  eos_token_id: 2,
};

/** model_type → a config exercising its family's particulars. */
export const FAMILY_CONFIGS: Record<string, JsonObject> = {
  gpt2: { model_type: "gpt2", vocab_size: 61, n_embd: 24, n_head: 3, n_layer: 2, n_positions: 64, bos_token_id: 1, eos_token_id: 2 },
  llama: { ...LLAMA_SHAPE, model_type: "llama", rope_scaling: { rope_type: "llama3", factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 16 } },
  mistral: { ...LLAMA_SHAPE, model_type: "mistral", sliding_window: 4, head_dim: 8 },
  qwen2: { ...LLAMA_SHAPE, model_type: "qwen2", num_key_value_heads: 1, use_sliding_window: true, sliding_window: 5, max_window_layers: 1 },
  qwen3: { ...LLAMA_SHAPE, model_type: "qwen3", head_dim: 10, rope_parameters: { rope_type: "default", rope_theta: 1e6 } },
  gemma: { ...LLAMA_SHAPE, model_type: "gemma", head_dim: 8, hidden_act: "gelu_pytorch_tanh" },
  gemma2: {
    ...LLAMA_SHAPE, model_type: "gemma2", head_dim: 10, query_pre_attn_scalar: 12, attn_logit_softcapping: 3, final_logit_softcapping: 5,
    sliding_window: 4, layer_types: ["sliding_attention", "full_attention", "sliding_attention"],
  },
  gemma3_text: {
    ...LLAMA_SHAPE, model_type: "gemma3_text", head_dim: 8, num_key_value_heads: 1, query_pre_attn_scalar: 8, sliding_window: 5,
    layer_types: ["sliding_attention", "sliding_attention", "full_attention"],
    rope_parameters: { full_attention: { rope_type: "default", rope_theta: 1e6 }, sliding_attention: { rope_type: "default", rope_theta: 1e4 } },
  },
  phi3: { ...LLAMA_SHAPE, model_type: "phi3", num_attention_heads: 3, num_key_value_heads: 3, partial_rotary_factor: 0.5 },
  olmo2: { ...LLAMA_SHAPE, model_type: "olmo2", num_key_value_heads: 4 },
  granite: { ...LLAMA_SHAPE, model_type: "granite", embedding_multiplier: 2.5, attention_multiplier: 0.3, residual_multiplier: 0.5, logits_scaling: 2, tie_word_embeddings: true },
  smollm3: { ...LLAMA_SHAPE, model_type: "smollm3", no_rope_layers: [1, 0, 1] },
  gpt_neox: { ...LLAMA_SHAPE, model_type: "gpt_neox", num_attention_heads: 3, num_key_value_heads: 3, rotary_pct: 0.5, hidden_act: "gelu", use_parallel_residual: true },
  bloom: { model_type: "bloom", vocab_size: 61, hidden_size: 24, n_head: 6, n_layer: 2, bos_token_id: 1, eos_token_id: 2 },
  "lmscope-decoder": {
    model_type: "lmscope-decoder", vocab_size: 61, hidden_size: 24, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2,
    max_position_embeddings: 64, position_embedding_type: "alibi", attention_type: "sparse", sparse_window: 3, sparse_stride: 4,
    mlp: "swiglu", norm: "rmsnorm", norm_position: "post", bos_token_id: 1, eos_token_id: 2,
  },
};

/** Seeded weights: matrices N(0, (1.1/√cols)²), embeddings N(0, 0.5²), 1-D gains near 1 and biases near 0. */
export function familyInitializer(seed: number): Initializer {
  const rng = new Rng(seed);
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - rng.nextFloat())) * Math.cos(2 * Math.PI * rng.nextFloat());
  return (name, shape) => {
    const data = new Float32Array(numel(shape));
    const embedding = /embed|wte|wpe|word_embeddings/.test(name);
    const std = shape.length === 1 ? 0.15 : embedding ? 0.5 : 1.1 / Math.sqrt(shape[1]!);
    const mean = shape.length === 1 && !name.endsWith(".bias") ? 1 : 0;
    for (let i = 0; i < data.length; i++) data[i] = mean + std * normal();
    return data;
  };
}
