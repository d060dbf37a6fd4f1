// SmolLM3 (HF modeling_smollm3.py): Llama in which some layers use no positional
// encoding at all (NoPE): `no_rope_layers[i]` is 1 where layer i USES RoPE and 0
// where it does not (by default every `no_rope_layer_interval`-th layer has none).

import { ConfigError } from "../../errors.js";
import { ConfigReader, type JsonObject } from "../config-reader.js";
import { readLayerTypes } from "../rope-config.js";
import { llamaBaseSpec } from "./llama.js";
import type { LlamaStyleSpec } from "./llama-style.js";

export function smollm3Spec(json: JsonObject, source: string): LlamaStyleSpec {
  const c = new ConfigReader(json, source);
  const numLayers = c.positiveInt("num_hidden_layers");
  const sliding = c.boolean("use_sliding_window", false) && c.has("sliding_window");
  const base = llamaBaseSpec(c, c.string("model_type"), readLayerTypes(c, numLayers, () => sliding));
  const interval = c.positiveInt("no_rope_layer_interval", 4);
  const raw = json["no_rope_layers"];
  let usesRope: readonly number[];
  if (raw === undefined || raw === null) {
    usesRope = Array.from({ length: numLayers }, (_, l) => ((l + 1) % interval !== 0 ? 1 : 0));
  } else if (Array.isArray(raw) && raw.length === numLayers && raw.every((v) => v === 0 || v === 1)) {
    usesRope = raw as number[];
  } else {
    throw new ConfigError(source, `"no_rope_layers" must hold 0 or 1 for each of the ${numLayers} layers`);
  }
  return { ...base, layers: base.layers.map((layer, l) => ({ ...layer, rope: usesRope[l] === 1 ? layer.rope : null })) };
}
