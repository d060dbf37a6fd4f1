// The Llama family and the relatives that are Llama with a few fields changed,
// read from Hugging Face config.json files (mlx-lm models/llama.py, HF
// modeling_llama.py, modeling_mistral.py, modeling_qwen2.py, modeling_qwen3.py):
//   llama    pre-norm RMSNorm blocks, rotary positions (llama3 / linear scaling), GQA, SwiGLU
//   mistral  + a sliding window on every layer (`sliding_window`)
//   qwen2    + q/k/v biases; sliding windows only where `layer_types` (or
//            use_sliding_window with max_window_layers) says
//   qwen3    + RMSNorm of each query and key head (q_norm, k_norm), no biases
//
// Rotary layout: HF files store q_proj/k_proj rows permuted for `rotate_half`
// ("half"); llama2.c and llama.cpp's llama GGUF files keep Meta's interleaved rows.
// The loader says which, and RoPE is applied in the matching layout.

import { ConfigReader, type JsonObject } from "../config-reader.js";
import { readLayerTypes, readRope, type LayerType } from "../rope-config.js";
import { readActivation, readLlamaShape } from "./layers.js";
import type { LlamaStyleLayer, LlamaStyleSpec } from "./llama-style.js";

/** The spec fields every llama-style family reads the same way; families override what differs. */
export function llamaBaseSpec(c: ConfigReader, modelType: string, layerTypes: readonly LayerType[] | null = null): LlamaStyleSpec {
  const config = readLlamaShape(c, modelType);
  const window = c.has("sliding_window") ? c.positiveInt("sliding_window") : 0;
  const types = layerTypes ?? Array.from({ length: config.numLayers }, (): LayerType => "full_attention");
  const layers: LlamaStyleLayer[] = types.map((type) => ({
    window: type === "sliding_attention" ? window : 0,
    rope: readRope(c, type),
  }));
  return {
    config,
    rmsNormEps: c.positiveNumber("rms_norm_eps", 1e-6),
    normWeightOffset: 0,
    norms: "pre",
    activation: readActivation(c, "hidden_act", "silu"),
    attentionBias: c.boolean("attention_bias", false),
    mlpBias: c.boolean("mlp_bias", false),
    tieWordEmbeddings: c.boolean("tie_word_embeddings", false),
    qkNorm: null,
    fusedProjections: false,
    attentionScale: 1 / Math.sqrt(config.headDim),
    attentionSoftcap: 0,
    logitSoftcap: 0,
    embeddingScale: 1,
    residualScale: 1,
    logitScale: 1,
    layers,
  };
}

/** Layers with a sliding window: `layer_types`, else Qwen's use_sliding_window from max_window_layers on. */
function qwenLayerTypes(c: ConfigReader, numLayers: number): LayerType[] {
  const useWindow = c.boolean("use_sliding_window", false) && c.has("sliding_window");
  const from = c.has("max_window_layers") ? c.positiveInt("max_window_layers") : 0;
  return readLayerTypes(c, numLayers, (layer) => useWindow && layer >= from);
}

export function llamaSpec(json: JsonObject, source: string): LlamaStyleSpec {
  const c = new ConfigReader(json, source);
  const modelType = c.string("model_type", "llama");
  const numLayers = c.positiveInt("num_hidden_layers");
  switch (modelType) {
    case "mistral": {
      // Every layer slides when the config has a window (null or absent: none).
      const sliding = c.has("sliding_window");
      return llamaBaseSpec(c, modelType, readLayerTypes(c, numLayers, () => sliding));
    }
    case "qwen2": {
      const spec = llamaBaseSpec(c, modelType, qwenLayerTypes(c, numLayers));
      // Qwen2 always has q/k/v biases and its config does not say so.
      return { ...spec, attentionBias: c.boolean("attention_bias", true) };
    }
    case "qwen3":
      return { ...llamaBaseSpec(c, modelType, qwenLayerTypes(c, numLayers)), qkNorm: "head" };
    default:
      return llamaBaseSpec(c, modelType);
  }
}
