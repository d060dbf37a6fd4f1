// Maps a Hugging Face config.json `model_type` to the family that builds it.

import type { Backend, RopeLayout } from "../backend/backend.js";
import { ConfigError } from "../errors.js";
import type { NamedTensors } from "../tensor/tensor.js";
import type { JsonObject } from "./config-reader.js";
import type { DecoderOnlyModel } from "./decoder-only.js";
import { buildGpt2, parseGpt2Config } from "./gpt2.js";
import { buildLlama, parseLlamaConfig } from "./llama.js";

export interface BuildOptions {
  backend: Backend;
  /** Row layout of q/k projections in the file: "half" for HF files, "interleaved" for llama2.c/GGUF. */
  ropeLayout: RopeLayout;
}

export interface ModelFamily {
  readonly name: string;
  readonly modelTypes: readonly string[];
  build(config: JsonObject, tensors: NamedTensors, source: string, options: BuildOptions): DecoderOnlyModel;
}

const families: ModelFamily[] = [
  {
    name: "gpt2",
    modelTypes: ["gpt2"],
    build: (json, tensors, source, { backend }) => buildGpt2(parseGpt2Config(json, source), tensors, source, backend),
  },
  {
    name: "llama",
    modelTypes: ["llama", "mistral", "qwen2"],
    build: (json, tensors, source, { backend, ropeLayout }) =>
      buildLlama(parseLlamaConfig(json, source), tensors, source, backend, ropeLayout),
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
