// lmscope-decoder: a decoder-only language model whose every box is a choice of
// its config.json (config.ts) — positions, attention variant, MLP, norm and its
// place — built from the shared parts (parts.ts):
//
//   token embeddings (+ learned or sinusoidal positions)
//   → N × block [ norm → causal attention (RoPE / ALiBi inside) → residual, norm → MLP → residual ]
//   → final norm (pre-norm) → LM head (tied to the embeddings unless tie_word_embeddings is false)

import type { Backend } from "../../backend/backend.js";
import { PerformerFeatureMap } from "../../nn/performer-features.js";
import { LinearAttention } from "../../nn/linear-attention.js";
import type { NamedTensors } from "../../tensor/tensor.js";
import type { JsonObject } from "../config-reader.js";
import { DecoderOnlyModel } from "../decoder-only.js";
import { WeightStore, type Initializer } from "../weight-store.js";
import { LMSCOPE_DECODER, parseLmscopeSpec, type LmscopeSpec } from "./config.js";
import { LmscopeParts } from "./parts.js";

export function parseLmscopeDecoderConfig(json: JsonObject, source: string): LmscopeSpec {
  return parseLmscopeSpec(json, source, LMSCOPE_DECODER);
}

export function buildLmscopeDecoder(spec: LmscopeSpec, tensors: NamedTensors, source: string, backend: Backend, initializer: Initializer | null = null): DecoderOnlyModel {
  const weights = new WeightStore(tensors, source, backend, initializer);
  const parts = new LmscopeParts(spec, weights, backend);
  const tokenEmbedding = parts.tokenEmbedding();
  const positionEmbedding = parts.absolutePositions();
  const blocks = Array.from({ length: spec.config.numLayers }, (_, l) => parts.block(l, true));
  const finalNorm = parts.finalNorm();
  const lmHead = parts.lmHead(tokenEmbedding);
  weights.assertAllUsed(null);
  return new DecoderOnlyModel(spec.config, { tokenEmbedding, positionEmbedding, blocks, finalNorm, lmHead }, backend, weights.parameterCount, weights.parameters);
}

/**
 * Draws new FAVOR+ random features in every Performer layer of `network` (layer l
 * from seed + l, as the config's performer_seed does); returns how many layers have them.
 */
export function redrawPerformerFeatures(network: DecoderOnlyModel, seed: number): number {
  let layers = 0;
  network.parts.blocks.forEach((block, l) => {
    const attention = block.attention;
    if (attention instanceof LinearAttention && attention.featureMap instanceof PerformerFeatureMap) {
      attention.featureMap.redraw(seed + l);
      layers++;
    }
  });
  return layers;
}
