// Maps an encoder config.json `model_type` to the family that builds it (the
// decoders' registry is ../registry.ts).

import type { Backend } from "../../backend/backend.js";
import { ConfigError } from "../../errors.js";
import type { NamedTensors } from "../../tensor/tensor.js";
import type { JsonObject } from "../config-reader.js";
import type { EncoderConfig, EncoderNetwork } from "../encoder.js";
import type { Initializer } from "../weight-store.js";
import { LMSCOPE_ENCODER } from "../lmscope/config.js";
import { lmscopeEncoderBlueprint } from "../lmscope/encoder.js";
import { buildBert, parseBertConfig } from "./bert.js";
import { buildDistilbert, parseDistilbertConfig } from "./distilbert.js";
import { buildRoberta, parseRobertaConfig } from "./roberta.js";

type Parse = (json: JsonObject, source: string) => EncoderConfig;
type Build = (config: EncoderConfig, tensors: NamedTensors, source: string, backend: Backend, initializer: Initializer | null) => EncoderNetwork;

const FAMILIES: Record<string, { parse: Parse; build: Build }> = {
  bert: { parse: parseBertConfig, build: buildBert },
  roberta: { parse: parseRobertaConfig, build: buildRoberta },
  distilbert: { parse: parseDistilbertConfig, build: buildDistilbert },
};

/** HF model_type values the encoder loader builds, and lmscope's own configurable encoder. */
export const ENCODER_MODEL_TYPES: readonly string[] = [...Object.keys(FAMILIES), LMSCOPE_ENCODER];

/** A validated encoder config.json, ready to build from a checkpoint's tensors. */
export interface EncoderBlueprint {
  readonly config: EncoderConfig;
  /** `initializer` creates the tensors the checkpoint lacks (a new model's weights). */
  build(tensors: NamedTensors, source: string, backend: Backend, initializer?: Initializer): EncoderNetwork;
}

/** Validates an encoder config.json object. */
export function encoderBlueprintFor(json: JsonObject, configSource: string): EncoderBlueprint {
  const modelType = json["model_type"];
  if (modelType === LMSCOPE_ENCODER) return lmscopeEncoderBlueprint(json, configSource);
  const family = typeof modelType === "string" ? FAMILIES[modelType] : undefined;
  if (family === undefined) {
    throw new ConfigError(configSource, `model_type ${JSON.stringify(modelType)} is not an encoder lmscope builds (supported: ${ENCODER_MODEL_TYPES.join(", ")})`);
  }
  const config = family.parse(json, configSource);
  return { config, build: (tensors, source, backend, initializer) => family.build(config, tensors, source, backend, initializer ?? null) };
}
