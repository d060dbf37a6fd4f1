// IBM Granite 3 (HF modeling_granite.py): Llama with four scalars — embeddings
// multiplied by embedding_multiplier, attention scores by attention_multiplier
// (instead of 1/√headDim), each residual branch by residual_multiplier, and logits
// divided by logits_scaling.

import { ConfigReader, type JsonObject } from "../config-reader.js";
import { llamaBaseSpec } from "./llama.js";
import type { LlamaStyleSpec } from "./llama-style.js";

export function graniteSpec(json: JsonObject, source: string): LlamaStyleSpec {
  const c = new ConfigReader(json, source);
  const base = llamaBaseSpec(c, c.string("model_type"));
  return {
    ...base,
    embeddingScale: c.positiveNumber("embedding_multiplier", 1),
    attentionScale: c.positiveNumber("attention_multiplier", base.attentionScale),
    residualScale: c.positiveNumber("residual_multiplier", 1),
    logitScale: 1 / c.positiveNumber("logits_scaling", 1),
  };
}
