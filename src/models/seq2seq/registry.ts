// Maps a Hugging Face config.json `model_type` to the encoder–decoder family that
// builds it: T5, BART, Marian, and lmscope's own "transformer" (the original
// architecture). A family validates the config first, before any weights are read.

import type { Backend } from "../../backend/backend.js";
import { ConfigError } from "../../errors.js";
import type { NamedTensors } from "../../tensor/tensor.js";
import type { JsonObject } from "../config-reader.js";
import type { Initializer } from "../weight-store.js";
import { parseBartConfig } from "./bart.js";
import { buildBartStyle, type BartStyleSpec } from "./bart-style.js";
import type { Seq2SeqConfig, Seq2SeqNetwork } from "./encoder-decoder.js";
import { parseMarianConfig } from "./marian.js";
import { buildT5, parseT5Config } from "./t5.js";
import { parseTransformerConfig } from "./transformer.js";

/** A validated config, ready to build from a checkpoint's tensors (`initializer` creates the ones a new model lacks). */
export interface Seq2SeqBlueprint {
  readonly config: Seq2SeqConfig;
  build(tensors: NamedTensors, source: string, backend: Backend, initializer?: Initializer): Seq2SeqNetwork;
}

function bartStyle(parse: (json: JsonObject, source: string) => BartStyleSpec) {
  return (json: JsonObject, source: string): Seq2SeqBlueprint => {
    const spec = parse(json, source);
    return { config: spec.config, build: (tensors, from, backend, initializer) => buildBartStyle(spec, tensors, from, backend, initializer ?? null) };
  };
}

const FAMILIES: Record<string, (json: JsonObject, source: string) => Seq2SeqBlueprint> = {
  t5: (json, source) => {
    const spec = parseT5Config(json, source);
    return { config: spec.config, build: (tensors, from, backend, initializer) => buildT5(spec, tensors, from, backend, initializer ?? null) };
  },
  bart: bartStyle(parseBartConfig),
  marian: bartStyle(parseMarianConfig),
  transformer: bartStyle(parseTransformerConfig),
};

/** HF model_type values the seq2seq registry builds. */
export const SEQ2SEQ_MODEL_TYPES: readonly string[] = Object.keys(FAMILIES);

export function isSeq2SeqModelType(modelType: unknown): boolean {
  return typeof modelType === "string" && Object.hasOwn(FAMILIES, modelType);
}

/** Validates a seq2seq config.json object; `source` names it in errors. */
export function seq2seqBlueprintFor(json: JsonObject, source: string): Seq2SeqBlueprint {
  const modelType = json["model_type"];
  if (!isSeq2SeqModelType(modelType)) {
    throw new ConfigError(source, `model_type ${JSON.stringify(modelType)} is not an encoder–decoder lmscope builds (supported: ${SEQ2SEQ_MODEL_TYPES.join(", ")})`);
  }
  return FAMILIES[modelType as string]!(json, source);
}
