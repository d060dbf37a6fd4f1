// OLMo 2 (OLMo Team 2024; HF modeling_olmo2.py): Llama's names without input norms —
// each sub-layer reads the residual stream itself and its output is normed before
// it is added (x += post_attention_layernorm(attn(x)); x += post_feedforward_layernorm(mlp(x))) —
// and q_norm / k_norm RMSNorms over the whole query and key projections (all heads
// together), before the head split and RoPE.

import { ConfigReader, type JsonObject } from "../config-reader.js";
import { llamaBaseSpec } from "./llama.js";
import type { LlamaStyleSpec } from "./llama-style.js";

export function olmo2Spec(json: JsonObject, source: string): LlamaStyleSpec {
  const c = new ConfigReader(json, source);
  return { ...llamaBaseSpec(c, c.string("model_type")), norms: "post-outputs", qkNorm: "projection" };
}
