// lmscope-encoder: a bidirectional Transformer encoder with a masked-language-model
// head whose boxes are choices of its config.json (config.ts), built from the
// parts the decoder uses (parts.ts):
//
//   token embeddings (+ learned or sinusoidal positions)
//   → N × block [ bidirectional attention (RoPE / ALiBi inside), MLP; norms pre or post ]
//   → final norm (pre-norm) → MLM head: dense → GELU → norm → decoder (tied) + bias
//
// The head's tensors take RoBERTa's names: lm_head.dense, lm_head.layer_norm,
// lm_head.decoder.weight (absent when tied), lm_head.bias. Padding keys are masked.
// Attention is "full" or "sparse" (the strided pattern, both directions); sliding
// windows, linear attention and the Performer are causal here, for decoders.

import type { Backend } from "../../backend/backend.js";
import { ConfigError } from "../../errors.js";
import { BidirectionalBlock } from "../../nn/encoder-block.js";
import { Linear } from "../../nn/linear.js";
import { IdentityNorm } from "../../nn/norm.js";
import type { NamedTensors } from "../../tensor/tensor.js";
import { f32Matrix } from "../../tensor/weights.js";
import type { JsonObject } from "../config-reader.js";
import { EncoderNetwork, type EncoderConfig } from "../encoder.js";
import { WeightStore, type Initializer } from "../weight-store.js";
import { LMSCOPE_ENCODER, parseLmscopeSpec, type LmscopeSpec } from "./config.js";
import { LmscopeParts } from "./parts.js";

export const LMSCOPE_ENCODER_ARCHITECTURE = "LmscopeEncoderForMaskedLM";

export interface LmscopeEncoderSpec {
  readonly spec: LmscopeSpec;
  readonly config: EncoderConfig;
}

export function parseLmscopeEncoderConfig(json: JsonObject, source: string): LmscopeEncoderSpec {
  const spec = parseLmscopeSpec(json, source, LMSCOPE_ENCODER);
  if (spec.attention.type !== "full" && spec.attention.type !== "sparse") {
    throw new ConfigError(source, `"attention_type" "${spec.attention.type}" is causal here, for decoders; an lmscope-encoder takes "full" or "sparse"`);
  }
  const architectures = json["architectures"];
  if (architectures !== undefined && (!Array.isArray(architectures) || architectures[0] !== LMSCOPE_ENCODER_ARCHITECTURE)) {
    throw new ConfigError(source, `"architectures" must be ["${LMSCOPE_ENCODER_ARCHITECTURE}"] (the masked-LM head), got ${JSON.stringify(architectures)}`);
  }
  const padTokenId = json["pad_token_id"] ?? 0;
  if (typeof padTokenId !== "number" || !Number.isSafeInteger(padTokenId) || padTokenId < 0) {
    throw new ConfigError(source, `"pad_token_id" must be a token id, got ${JSON.stringify(padTokenId)}`);
  }
  const c = spec.config;
  return {
    spec,
    config: {
      modelType: LMSCOPE_ENCODER,
      architecture: LMSCOPE_ENCODER_ARCHITECTURE,
      head: "masked-lm",
      vocabSize: c.vocabSize,
      hiddenSize: c.hiddenSize,
      numLayers: c.numLayers,
      numHeads: c.numHeads,
      headDim: c.headDim,
      intermediateSize: c.intermediateSize,
      maxPositions: c.contextLength,
      positionIds: "arange",
      typeVocabSize: 0,
      layerNormEps: spec.normEps,
      activation: "gelu_erf",
      padTokenId,
      tieWordEmbeddings: spec.tieWordEmbeddings,
      labels: [],
      problemType: null,
    },
  };
}

/** The config checked, ready to build (the encoder registry's entry for lmscope-encoder). */
export function lmscopeEncoderBlueprint(json: JsonObject, source: string): { config: EncoderConfig; build(tensors: NamedTensors, source: string, backend: Backend, initializer?: Initializer): EncoderNetwork } {
  const parsed = parseLmscopeEncoderConfig(json, source);
  return { config: parsed.config, build: (tensors, from, backend, initializer) => buildLmscopeEncoder(parsed, tensors, from, backend, initializer ?? null) };
}

export function buildLmscopeEncoder(parsed: LmscopeEncoderSpec, tensors: NamedTensors, source: string, backend: Backend, initializer: Initializer | null = null): EncoderNetwork {
  const { spec, config } = parsed;
  const dim = config.hiddenSize;
  const weights = new WeightStore(tensors, source, backend, initializer);
  const parts = new LmscopeParts(spec, weights, backend);
  const wordEmbedding = parts.tokenEmbedding();
  const positionEmbedding = parts.absolutePositions();
  const blocks = Array.from({ length: config.numLayers }, (_, l) => new BidirectionalBlock(parts.block(l, false)));
  const finalNorm = spec.normPosition === "pre" ? parts.norm("model.norm") : null;
  const transform = new Linear(weights.matrix("lm_head.dense.weight", dim, dim), weights.take("lm_head.dense.bias", [dim]));
  const norm = parts.norm("lm_head.layer_norm");
  const decoderWeight = spec.tieWordEmbeddings ? f32Matrix(wordEmbedding.table, config.vocabSize, dim) : weights.matrix("lm_head.decoder.weight", config.vocabSize, dim);
  const decoder = new Linear(decoderWeight, weights.take("lm_head.bias", [config.vocabSize]));
  weights.assertAllUsed(null);
  return new EncoderNetwork(
    config,
    {
      wordEmbedding,
      positionEmbedding,
      tokenTypeEmbedding: null,
      embeddingNorm: new IdentityNorm(dim),
      blocks,
      finalNorm,
      pooler: null,
      maskedLm: { transform, activation: config.activation, norm, decoder },
      nextSentence: null,
      classifier: null,
    },
    backend,
    weights.parameterCount,
    weights.parameters,
  );
}
