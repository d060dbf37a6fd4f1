// Phi-3 and Phi-3.5 / Phi-4-mini (HF modeling_phi3.py): Llama with q|k|v fused into
// one qkv_proj ([(nHeads + 2·nKvHeads)·headDim, hidden], rows [q | k | v]) and gate|up
// fused into gate_up_proj (rows [gate | up]), read as row windows of the fused
// weights (no copy); partial rotary (partial_rotary_factor); an optional sliding window.

import { ConfigReader, type JsonObject } from "../config-reader.js";
import { readLayerTypes } from "../rope-config.js";
import { llamaBaseSpec } from "./llama.js";
import type { LlamaStyleSpec } from "./llama-style.js";

export function phi3Spec(json: JsonObject, source: string): LlamaStyleSpec {
  const c = new ConfigReader(json, source);
  const numLayers = c.positiveInt("num_hidden_layers");
  const sliding = c.has("sliding_window");
  const base = llamaBaseSpec(c, c.string("model_type"), readLayerTypes(c, numLayers, () => sliding));
  return { ...base, fusedProjections: true, rmsNormEps: c.positiveNumber("rms_norm_eps", 1e-5) };
}
