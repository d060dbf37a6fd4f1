// Reads a config.json's rotary settings in both of Hugging Face's spellings:
// transformers 5's `rope_parameters` ({rope_type, rope_theta, partial_rotary_factor,
// factor, …}, or one such object per layer type: {full_attention, sliding_attention})
// and the older top-level fields (`rope_theta`, `rope_scaling`, `partial_rotary_factor`,
// GPT-NeoX's `rotary_pct` / `rotary_emb_base`, Gemma 3's `rope_local_base_freq`).
// Scaling types follow modeling_rope_utils.py: default, linear, llama3.

import { ConfigError } from "../errors.js";
import type { RopeScaling } from "../nn/rotary-embedding.js";
import { ConfigReader, type JsonObject } from "./config-reader.js";

export interface RopeSettings {
  readonly theta: number;
  readonly scaling: RopeScaling | null;
  /** Fraction of each head's dimensions that rotate (1: all). */
  readonly partialFactor: number;
}

export type LayerType = "full_attention" | "sliding_attention";

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The scaling rule of one rope parameter object (null for "default"). */
function scalingOf(params: ConfigReader): RopeScaling | null {
  const type = params.has("rope_type") ? params.string("rope_type") : params.has("type") ? params.string("type") : "default";
  switch (type) {
    case "default":
      return null;
    case "linear":
      return { type, factor: params.positiveNumber("factor") };
    case "llama3":
      return {
        type,
        factor: params.positiveNumber("factor"),
        lowFreqFactor: params.positiveNumber("low_freq_factor"),
        highFreqFactor: params.positiveNumber("high_freq_factor"),
        originalMaxPositionEmbeddings: params.positiveInt("original_max_position_embeddings"),
      };
    default:
      throw new ConfigError(params.source, `rope type "${type}" is not supported (supported: default, linear, llama3)`);
  }
}

function partialFactorOf(c: ConfigReader, params: ConfigReader | null): number {
  const factor = params?.has("partial_rotary_factor") === true
    ? params.positiveNumber("partial_rotary_factor")
    : c.has("partial_rotary_factor")
      ? c.positiveNumber("partial_rotary_factor")
      : c.has("rotary_pct")
        ? c.positiveNumber("rotary_pct")
        : 1;
  if (factor > 1) throw new ConfigError(c.source, `partial_rotary_factor ${factor} is above 1`);
  return factor;
}

/**
 * The rotary settings of layers of `layerType` (models without layer types pass
 * "full_attention"). `defaultTheta` applies when the config names no base.
 */
export function readRope(c: ConfigReader, layerType: LayerType = "full_attention", defaultTheta = 10000): RopeSettings {
  const raw = c.json["rope_parameters"];
  if (raw !== undefined && raw !== null) {
    if (!isObject(raw)) throw new ConfigError(c.source, `"rope_parameters" must be an object`);
    const perType = isObject(raw["full_attention"]) || isObject(raw["sliding_attention"]);
    const chosen = perType ? raw[layerType] ?? raw["full_attention"] : raw;
    if (!isObject(chosen)) throw new ConfigError(c.source, `"rope_parameters" has no settings for ${layerType} layers`);
    const params = new ConfigReader(chosen, `${c.source} rope_parameters${perType ? `.${layerType}` : ""}`);
    return {
      theta: params.positiveNumber("rope_theta", c.has("rope_theta") ? c.positiveNumber("rope_theta") : defaultTheta),
      scaling: scalingOf(params),
      partialFactor: partialFactorOf(c, params),
    };
  }
  // The older spelling. Gemma 3's local layers have their own base and no scaling.
  if (layerType === "sliding_attention" && c.has("rope_local_base_freq")) {
    return { theta: c.positiveNumber("rope_local_base_freq"), scaling: null, partialFactor: partialFactorOf(c, null) };
  }
  const theta = c.has("rope_theta") ? c.positiveNumber("rope_theta") : c.has("rotary_emb_base") ? c.positiveNumber("rotary_emb_base") : defaultTheta;
  const scalingRaw = c.json["rope_scaling"];
  let scaling: RopeScaling | null = null;
  if (scalingRaw !== undefined && scalingRaw !== null) {
    if (!isObject(scalingRaw)) throw new ConfigError(c.source, `"rope_scaling" must be an object or null`);
    scaling = scalingOf(new ConfigReader(scalingRaw, `${c.source} rope_scaling`));
  }
  return { theta, scaling, partialFactor: partialFactorOf(c, null) };
}

/** Each layer's type, from `layer_types`, or every `pattern`-th layer full (Gemma's sliding_window_pattern), else all full. */
export function readLayerTypes(c: ConfigReader, numLayers: number, slidingByDefault: (layer: number) => boolean): LayerType[] {
  const raw = c.json["layer_types"];
  if (raw !== undefined && raw !== null) {
    if (!Array.isArray(raw) || raw.length !== numLayers || !raw.every((t) => t === "full_attention" || t === "sliding_attention")) {
      throw new ConfigError(c.source, `"layer_types" must list "full_attention" or "sliding_attention" for each of the ${numLayers} layers`);
    }
    return raw as LayerType[];
  }
  return Array.from({ length: numLayers }, (_, l) => (slidingByDefault(l) ? "sliding_attention" : "full_attention"));
}
