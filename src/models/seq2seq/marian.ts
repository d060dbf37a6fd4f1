// Marian (Junczys-Dowmunt et al. 2018; the Helsinki-NLP opus-mt translation models)
// from Hugging Face checkpoints (modeling_marian.py, MarianMTModel): the post-norm
// encoder–decoder of bart-style.ts with sinusoidal positions from 0 in the
// concatenated layout (sines | cosines, MarianSinusoidalPositionalEmbedding; not
// stored in the checkpoint), no LayerNorm after the embeddings, and
// final_logits_bias. Opus-mt models scale embeddings by √d_model and use swish.
// With share_encoder_decoder_embeddings false, the decoder has its own vocabulary
// (decoder_vocab_size) and the head is tied to the decoder's table.

import type { JsonObject } from "../config-reader.js";
import type { BartStyleSpec } from "./bart-style.js";
import { readBartLikeConfig } from "./bart-config.js";

export function parseMarianConfig(json: JsonObject, source: string): BartStyleSpec {
  const { config, activation, scaleEmbedding, reader } = readBartLikeConfig(json, source, {
    activation: "gelu",
    scaleEmbedding: false,
    padTokenId: 58100,
    eosTokenId: 0,
    decoderStartTokenId: "pad",
  });
  const shareEmbeddings = reader.boolean("share_encoder_decoder_embeddings", true);
  const decoderVocab = shareEmbeddings ? config.vocabSize : reader.positiveInt("decoder_vocab_size", config.vocabSize);
  return {
    config: { ...config, vocabSize: decoderVocab, sourceVocabSize: config.vocabSize },
    positions: { kind: "sinusoidal", layout: "concatenated" },
    embeddingNorm: false,
    finalLogitsBias: true,
    activation,
    scaleEmbedding,
    layerNormEps: 1e-5,
    shareEmbeddings,
    tieOutput: reader.boolean("tie_word_embeddings", true),
  };
}
