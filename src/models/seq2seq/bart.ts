// BART (Lewis et al. 2020) from Hugging Face checkpoints (modeling_bart.py,
// BartForConditionalGeneration): the post-norm encoder–decoder of bart-style.ts
// with learned positions read at position + 2 (the table has
// max_position_embeddings + 2 rows), a LayerNorm after the embeddings
// (layernorm_embedding), exact-erf GELU by default, and final_logits_bias.

import type { JsonObject } from "../config-reader.js";
import type { BartStyleSpec } from "./bart-style.js";
import { readBartLikeConfig } from "./bart-config.js";

/** BartLearnedPositionalEmbedding's offset: position p reads row p + 2. */
const BART_POSITION_OFFSET = 2;

export function parseBartConfig(json: JsonObject, source: string): BartStyleSpec {
  const { config, activation, scaleEmbedding, reader } = readBartLikeConfig(json, source, {
    activation: "gelu",
    scaleEmbedding: false,
    padTokenId: 1,
    bosTokenId: 0,
    eosTokenId: 2,
    decoderStartTokenId: 2,
  });
  return {
    config,
    positions: { kind: "learned", offset: BART_POSITION_OFFSET },
    embeddingNorm: true,
    finalLogitsBias: true,
    activation,
    scaleEmbedding,
    layerNormEps: 1e-5,
    shareEmbeddings: true,
    tieOutput: reader.boolean("tie_word_embeddings", true),
  };
}
