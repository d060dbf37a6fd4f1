// Maps a Hugging Face config.json `model_type` to the family that builds it.
// A family first validates the config (before any weights are read), then
// builds the network from the checkpoint's tensors.

import type { Backend, RopeLayout } from "../backend/backend.js";
import { ConfigError } from "../errors.js";
import type { NamedTensors } from "../tensor/tensor.js";
import type { CheckpointFormat } from "./checkpoint-format.js";
import type { JsonObject } from "./config-reader.js";
import type { DecoderConfig, DecoderOnlyModel } from "./decoder-only.js";
import { buildBloom, parseBloomConfig } from "./decoder/bloom.js";
import { gemmaSpec } from "./decoder/gemma.js";
import { buildGpt2, parseGpt2Config } from "./decoder/gpt2.js";
import { buildGptNeox, parseGptNeoxConfig } from "./decoder/gpt-neox.js";
import { graniteSpec } from "./decoder/granite.js";
import { llamaSpec } from "./decoder/llama.js";
import { buildLlamaStyle, type LlamaStyleSpec } from "./decoder/llama-style.js";
import { olmo2Spec } from "./decoder/olmo2.js";
import { phi3Spec } from "./decoder/phi3.js";
import { smollm3Spec } from "./decoder/smollm3.js";
import { LMSCOPE_DECODER } from "./lmscope/config.js";
import { buildLmscopeDecoder, parseLmscopeDecoderConfig } from "./lmscope/decoder.js";
import type { Initializer } from "./weight-store.js";

export interface BuildOptions {
  backend: Backend;
  /** Row layout of q/k projections in the file: "half" for HF files, "interleaved" for llama2.c/llama GGUF. */
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
  /** Validates config.json's fields; `configSource` names it in errors; `format` is the weights' file kind. */
  prepare(json: JsonObject, configSource: string, format: CheckpointFormat): ModelBlueprint;
}

/** A family of the llama-style builder: only its config reader differs. */
function llamaStyle(name: string, modelTypes: string[], spec: (json: JsonObject, source: string, format: CheckpointFormat) => LlamaStyleSpec): ModelFamily {
  return {
    name,
    modelTypes,
    prepare(json, configSource, format) {
      const parsed = spec(json, configSource, format);
      return {
        config: parsed.config,
        build: (tensors, source, { backend, ropeLayout, initializer }) =>
          buildLlamaStyle(parsed, tensors, source, backend, ropeLayout, initializer ?? null),
      };
    },
  };
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
  llamaStyle("llama", ["llama", "mistral", "qwen2", "qwen3"], llamaSpec),
  llamaStyle("gemma", ["gemma", "gemma2", "gemma3_text"], gemmaSpec),
  llamaStyle("phi3", ["phi3"], phi3Spec),
  llamaStyle("olmo2", ["olmo2"], olmo2Spec),
  llamaStyle("granite", ["granite"], graniteSpec),
  llamaStyle("smollm3", ["smollm3"], smollm3Spec),
  {
    name: "gpt_neox",
    modelTypes: ["gpt_neox"],
    prepare(json, configSource) {
      const config = parseGptNeoxConfig(json, configSource);
      return {
        config,
        build: (tensors, source, { backend, ropeLayout, initializer }) => buildGptNeox(config, tensors, source, backend, ropeLayout, initializer ?? null),
      };
    },
  },
  {
    name: "lmscope-decoder",
    modelTypes: [LMSCOPE_DECODER],
    prepare(json, configSource) {
      const spec = parseLmscopeDecoderConfig(json, configSource);
      return {
        config: spec.config,
        build: (tensors, source, { backend, initializer }) => buildLmscopeDecoder(spec, tensors, source, backend, initializer ?? null),
      };
    },
  },
  {
    name: "bloom",
    modelTypes: ["bloom"],
    prepare(json, configSource) {
      const config = parseBloomConfig(json, configSource);
      return {
        config,
        build: (tensors, source, { backend, initializer }) => buildBloom(config, tensors, source, backend, initializer ?? null),
      };
    },
  },
];

/** Every decoder model_type lmscope builds. */
export function decoderModelTypes(): string[] {
  return families.flatMap((f) => f.modelTypes);
}

export function familyFor(modelType: unknown, source: string): ModelFamily {
  const family = families.find((f) => typeof modelType === "string" && f.modelTypes.includes(modelType));
  if (family === undefined) {
    throw new ConfigError(source, `model_type ${JSON.stringify(modelType)} is not supported (supported: ${decoderModelTypes().join(", ")})`);
  }
  return family;
}

/** Validates a config.json object and returns its blueprint. */
export function blueprintFor(json: JsonObject, configSource: string, format: CheckpointFormat = "huggingface"): ModelBlueprint {
  return familyFor(json["model_type"], configSource).prepare(json, configSource, format);
}
