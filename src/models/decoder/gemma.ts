// Gemma (Gemma Team 2024), Gemma 2 and Gemma 3's text model from Hugging Face files
// (HF modeling_gemma.py, modeling_gemma2.py, modeling_gemma3.py; mlx-lm gemma2.py):
// Llama's names with
//   - embeddings multiplied by √hidden_size (rounded to the compute dtype, as HF does);
//   - RMSNorm gains stored as w in (1 + w) — but llama.cpp's GGUF files store 1 + w;
//   - GeGLU: down(gelu_tanh(gate(x)) · up(x));
//   - Gemma 2 and 3: norms before and after attention and the MLP ("sandwich"),
//     scores scaled by query_pre_attn_scalar^−½, sliding-window layers
//     (`layer_types`, or every other layer / all but every sliding_window_pattern-th);
//   - Gemma 2 (and Gemma 3 when its config sets them): attention and final logit soft-capping;
//   - Gemma 3: (1 + w) RMSNorm of each query and key head; local layers with their
//     own RoPE base (rope_parameters.sliding_attention / rope_local_base_freq).

import type { CheckpointFormat } from "../checkpoint-format.js";
import { ConfigReader, type JsonObject } from "../config-reader.js";
import { readLayerTypes } from "../rope-config.js";
import { readActivation } from "./layers.js";
import { llamaBaseSpec } from "./llama.js";
import type { LlamaStyleSpec } from "./llama-style.js";

export function gemmaSpec(json: JsonObject, source: string, format: CheckpointFormat): LlamaStyleSpec {
  const c = new ConfigReader(json, source);
  const modelType = c.string("model_type");
  const numLayers = c.positiveInt("num_hidden_layers");
  const layerTypes =
    modelType === "gemma"
      ? null
      : modelType === "gemma2"
        ? readLayerTypes(c, numLayers, (l) => c.has("sliding_window") && l % 2 === 0)
        : readLayerTypes(c, numLayers, (l) => {
            const pattern = c.positiveInt("sliding_window_pattern", c.has("_sliding_window_pattern") ? c.positiveInt("_sliding_window_pattern") : 6);
            return c.has("sliding_window") && (l + 1) % pattern !== 0;
          });
  const base = llamaBaseSpec(c, modelType, layerTypes);
  const { config } = base;
  const softcap = (key: string) => (c.has(key) ? c.positiveNumber(key) : 0);
  return {
    ...base,
    normWeightOffset: format === "gguf" ? 0 : 1,
    norms: modelType === "gemma" ? "pre" : "sandwich",
    activation: readActivation(c, c.has("hidden_activation") ? "hidden_activation" : "hidden_act", "gelu_pytorch_tanh"),
    tieWordEmbeddings: c.boolean("tie_word_embeddings", true),
    qkNorm: modelType === "gemma3_text" ? "head" : null,
    attentionScale: c.has("query_pre_attn_scalar") ? 1 / Math.sqrt(c.positiveNumber("query_pre_attn_scalar")) : base.attentionScale,
    attentionSoftcap: modelType === "gemma" ? 0 : softcap("attn_logit_softcapping"),
    logitSoftcap: modelType === "gemma" ? 0 : softcap("final_logit_softcapping"),
    embeddingScale: Math.fround(Math.sqrt(config.hiddenSize)),
  };
}
