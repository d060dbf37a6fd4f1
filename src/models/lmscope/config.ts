// The config.json of lmscope's own configurable Transformers, model_type
// "lmscope-decoder" and "lmscope-encoder": the textbook's design choices named as
// fields, so that one config builds any combination of them —
//
//   position_embedding_type  "learned" | "sinusoidal" | "rope" | "alibi" | "none"
//                            (rope_theta, partial_rotary_factor for "rope")
//   attention_type           "full" | "sliding_window" (sliding_window) |
//                            "sparse" (sparse_window, sparse_stride) |
//                            "linear" | "performer" (performer_features, performer_seed)
//   num_key_value_heads      < num_attention_heads: grouped-query attention; 1: multi-query
//   mlp                      "relu" | "gelu" | "swiglu"
//   norm, norm_position      "layernorm" | "rmsnorm", "pre" | "post"
//
// and the sizes: vocab_size, hidden_size, num_hidden_layers, num_attention_heads,
// head_dim, intermediate_size, max_position_embeddings. Field names follow Hugging
// Face's where it has one. A field this model does not know is an error (a typo
// must not silently build another model), and so is a combination that does not
// exist: ALiBi biases softmax scores, which linear attention does not compute.

import { ConfigError } from "../../errors.js";
import { ConfigReader, type JsonObject } from "../config-reader.js";
import type { DecoderConfig } from "../decoder-only.js";
import { readRope, type RopeSettings } from "../rope-config.js";

export const LMSCOPE_DECODER = "lmscope-decoder";
export const LMSCOPE_ENCODER = "lmscope-encoder";

export const POSITION_TYPES = ["learned", "sinusoidal", "rope", "alibi", "none"] as const;
export const ATTENTION_TYPES = ["full", "sliding_window", "sparse", "linear", "performer"] as const;
export const MLP_TYPES = ["relu", "gelu", "swiglu"] as const;
export const NORM_TYPES = ["layernorm", "rmsnorm"] as const;
export const NORM_POSITIONS = ["pre", "post"] as const;

export type PositionType = (typeof POSITION_TYPES)[number];
export type AttentionType = (typeof ATTENTION_TYPES)[number];
export type MlpType = (typeof MLP_TYPES)[number];
export type NormType = (typeof NORM_TYPES)[number];
export type NormPosition = (typeof NORM_POSITIONS)[number];

export type AttentionSpec =
  | { readonly type: "full" }
  | { readonly type: "sliding_window"; readonly window: number }
  | { readonly type: "sparse"; readonly window: number; readonly stride: number }
  | { readonly type: "linear" }
  | { readonly type: "performer"; readonly features: number; readonly seed: number };

/** Everything a configurable Transformer is built from (the sizes in DecoderConfig's terms). */
export interface LmscopeSpec {
  readonly config: DecoderConfig;
  readonly positions: PositionType;
  /** RoPE's settings when positions are "rope". */
  readonly rope: RopeSettings | null;
  readonly attention: AttentionSpec;
  readonly mlp: MlpType;
  readonly norm: NormType;
  readonly normPosition: NormPosition;
  readonly normEps: number;
  /** Biases on the attention and MLP projections. */
  readonly bias: boolean;
  /** The LM head (decoder) or MLM decoder (encoder) shares the token embedding table. */
  readonly tieWordEmbeddings: boolean;
}

const SIZE_FIELDS = [
  "model_type",
  "vocab_size",
  "hidden_size",
  "num_hidden_layers",
  "num_attention_heads",
  "num_key_value_heads",
  "head_dim",
  "intermediate_size",
  "max_position_embeddings",
  "bos_token_id",
  "eos_token_id",
  "pad_token_id",
];
const CHOICE_FIELDS = [
  "position_embedding_type",
  "rope_theta",
  "partial_rotary_factor",
  "attention_type",
  "sliding_window",
  "sparse_window",
  "sparse_stride",
  "performer_features",
  "performer_seed",
  "mlp",
  "norm",
  "norm_position",
  "norm_eps",
  "bias",
  "tie_word_embeddings",
];
/** The fields of each attention type (no two share one). */
const ATTENTION_FIELDS: Readonly<Record<AttentionType, readonly string[]>> = {
  full: [],
  sliding_window: ["sliding_window"],
  sparse: ["sparse_window", "sparse_stride"],
  linear: [],
  performer: ["performer_features", "performer_seed"],
};
/** Fields that describe the file rather than the model (Hugging Face writes them). */
const DESCRIPTIVE_FIELDS = ["architectures", "torch_dtype", "dtype", "transformers_version"];

/** One of `choices`, or `fallback` when absent; anything else names the field and the choices. */
export function readChoice<T extends string>(c: ConfigReader, key: string, choices: readonly T[], fallback: T): T {
  const value = c.string(key, fallback);
  if (!(choices as readonly string[]).includes(value)) {
    throw new ConfigError(c.source, `"${key}" ${JSON.stringify(value)} is not one of ${choices.map((x) => `"${x}"`).join(", ")}`);
  }
  return value as T;
}

/** Reads and checks an lmscope-decoder / lmscope-encoder config; `extraFields` are the kind's own (the encoder's heads). */
export function parseLmscopeSpec(json: JsonObject, source: string, modelType: string, extraFields: readonly string[] = []): LmscopeSpec {
  const c = new ConfigReader(json, source);
  const known = new Set([...SIZE_FIELDS, ...CHOICE_FIELDS, ...DESCRIPTIVE_FIELDS, ...extraFields]);
  const unknown = Object.keys(json).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw new ConfigError(source, `unknown field${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `"${k}"`).join(", ")} for model_type "${modelType}" (known: ${[...SIZE_FIELDS, ...CHOICE_FIELDS].join(", ")})`);
  }
  const hiddenSize = c.positiveInt("hidden_size");
  const numHeads = c.positiveInt("num_attention_heads");
  const numKvHeads = c.positiveInt("num_key_value_heads", numHeads);
  c.requireDivisible("num_attention_heads", numHeads, "num_key_value_heads", numKvHeads);
  if (!c.has("head_dim")) c.requireDivisible("hidden_size", hiddenSize, "num_attention_heads", numHeads);
  const headDim = c.has("head_dim") ? c.positiveInt("head_dim") : hiddenSize / numHeads;
  const config: DecoderConfig = {
    modelType,
    vocabSize: c.positiveInt("vocab_size"),
    hiddenSize,
    numLayers: c.positiveInt("num_hidden_layers"),
    numHeads,
    numKvHeads,
    headDim,
    intermediateSize: c.positiveInt("intermediate_size", 4 * hiddenSize),
    contextLength: c.positiveInt("max_position_embeddings"),
    bosTokenId: c.tokenIds("bos_token_id")[0],
    eosTokenIds: c.tokenIds("eos_token_id"),
  };

  const positions = readChoice(c, "position_embedding_type", POSITION_TYPES, "rope");
  const rope = positions === "rope" ? readRope(c) : null;
  if (positions !== "rope") {
    for (const key of ["rope_theta", "partial_rotary_factor"]) {
      if (c.has(key)) throw new ConfigError(source, `"${key}" is a RoPE setting, but "position_embedding_type" is "${positions}"`);
    }
  }
  if (rope !== null) {
    const rotaryDim = Math.floor(headDim * rope.partialFactor);
    if (rotaryDim < 2 || rotaryDim % 2 !== 0) {
      throw new ConfigError(source, `rotary dimension ${rotaryDim} (head_dim ${headDim} × partial_rotary_factor ${rope.partialFactor}) must be even and at least 2`);
    }
  }

  const attentionType = readChoice(c, "attention_type", ATTENTION_TYPES, "full");
  for (const [type, fields] of Object.entries(ATTENTION_FIELDS)) {
    if (type === attentionType) continue;
    for (const key of fields) {
      if (c.has(key)) throw new ConfigError(source, `"${key}" belongs to "attention_type": "${type}", but this config's is "${attentionType}"`);
    }
  }
  let attention: AttentionSpec;
  switch (attentionType) {
    case "sliding_window":
      attention = { type: attentionType, window: c.positiveInt("sliding_window") };
      break;
    case "sparse":
      attention = { type: attentionType, window: c.positiveInt("sparse_window"), stride: c.positiveInt("sparse_stride") };
      break;
    case "performer": {
      const seed = json["performer_seed"] ?? 0;
      if (typeof seed !== "number" || !Number.isSafeInteger(seed) || seed < 0) {
        throw new ConfigError(source, `"performer_seed" must be a non-negative integer, got ${JSON.stringify(seed)}`);
      }
      attention = { type: attentionType, features: c.positiveInt("performer_features", defaultPerformerFeatures(headDim)), seed };
      break;
    }
    default:
      attention = { type: attentionType };
  }
  if (positions === "alibi" && (attention.type === "linear" || attention.type === "performer")) {
    throw new ConfigError(source, `"position_embedding_type": "alibi" biases softmax scores, which "attention_type": "${attention.type}" does not compute`);
  }

  return {
    config,
    positions,
    rope,
    attention,
    mlp: readChoice(c, "mlp", MLP_TYPES, "gelu"),
    norm: readChoice(c, "norm", NORM_TYPES, "layernorm"),
    normPosition: readChoice(c, "norm_position", NORM_POSITIONS, "pre"),
    normEps: c.positiveNumber("norm_eps", 1e-5),
    bias: c.boolean("bias", true),
    tieWordEmbeddings: c.boolean("tie_word_embeddings", true),
  };
}

/** The Performer's usual feature count for heads of size d: d · ln d, at least d. */
export function defaultPerformerFeatures(headDim: number): number {
  return Math.max(headDim, Math.round(headDim * Math.log(headDim)));
}
