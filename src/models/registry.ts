// Maps a Hugging Face config.json `model_type` to the family that builds it.
// A family first validates the config (before any weights are read), then
// builds the network from the checkpoint's tensors.

import type { Backend, RopeLayout } from "../backend/backend.js";
import { ConfigError } from "../errors.js";
import type { NamedTensors } from "../tensor/tensor.js";
import type { JsonObject } from "./config-reader.js";
import type { DecoderConfig, DecoderOnlyModel } from "./decoder-only.js";
import type { Initializer } from "./weight-store.js";
import { buildGpt2, parseGpt2Config } from "./gpt2.js";
import { buildLlama, parseLlamaConfig } from "./llama.js";

export interface BuildOptions {
  backend: Backend;
  /** Row layout of q/k projections in the file: "half" for HF files, "interleaved" for llama2.c/GGUF. */
  ropeLayout: RopeLayout;
  /** Creates the tensors the checkpoint lacks (a new model's initial weights); absent ones are errors otherwise. */
  initializer?: Initializer;
}

/** A validated config, ready to build a network from a checkpoint's tensors. */
export interface ModelBlueprint {
  readonly config: DecoderConfig;
  /** `source` names the checkpoint in errors about its tensors. */
  build(tensors: NamedTensors, source: string, options: BuildOptions): DecoderOnlyModel;
}

export interface ModelFamily {
  readonly name: string;
  readonly modelTypes: readonly string[];
  /** Validates config.json's fields; `configSource` names it in errors. */
  prepare(json: JsonObject, configSource: string): ModelBlueprint;
}

const families: ModelFamily[] = [
  {
    name: "gpt2",
    modelTypes: ["gpt2"],
    prepare(json, configSource) {
      const config = parseGpt2Config(json, configSource);
      return {
        config,
        build: (tensors, source, { backend, initializer }) => buildGpt2(config, tensors, source, backend, initializer ?? null),
      };
    },
  },
  {
    name: "llama",
    modelTypes: ["llama", "mistral", "qwen2"],
    prepare(json, configSource) {
      const config = parseLlamaConfig(json, configSource);
      return {
        config,
        build: (tensors, source, { backend, ropeLayout, initializer }) =>
          buildLlama(config, tensors, source, backend, ropeLayout, initializer ?? null),
      };
    },
  },
];

export function familyFor(modelType: unknown, source: string): ModelFamily {
  const family = families.find((f) => typeof modelType === "string" && f.modelTypes.includes(modelType));
  if (family === undefined) {
    const known = families.flatMap((f) => f.modelTypes).join(", ");
    throw new ConfigError(source, `model_type ${JSON.stringify(modelType)} is not supported (supported: ${known})`);
  }
  return family;
}

/** Validates a config.json object and returns its blueprint. */
export function blueprintFor(json: JsonObject, configSource: string): ModelBlueprint {
  return familyFor(json["model_type"], configSource).prepare(json, configSource);
}
