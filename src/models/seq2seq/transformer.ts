// The original Transformer (Vaswani et al. 2017, "Attention Is All You Need"),
// model_type "transformer" (lmscope's own: Hugging Face has no class for it): the
// post-norm encoder–decoder of bart-style.ts with sinusoidal positions as the
// paper writes them (sin and cos interleaved, §3.5), token embeddings × √d_model
// (§3.4), ReLU feed-forward (§3.3), and by default one token table shared by the
// encoder, the decoder and the output projection (§3.4). No bias on the logits,
// no norm after the embeddings. Defaults are the paper's base model (d_model 512,
// 6 + 6 layers, 8 heads, d_ff 2048, dropout 0.1); the tensor names are Marian's,
// so the folder lmscope saves reads like a Marian checkpoint.
//
// Fields (config.json): vocab_size; d_model, encoder_layers, decoder_layers,
// encoder_attention_heads, decoder_attention_heads, encoder_ffn_dim,
// decoder_ffn_dim, max_position_embeddings, activation_function, scale_embedding,
// share_encoder_decoder_embeddings (with decoder_vocab_size when false),
// tie_word_embeddings, sinusoid_layout ("interleaved" | "concatenated"),
// layer_norm_eps, dropout; pad/bos/eos/decoder_start token ids.

import { ConfigError } from "../../errors.js";
import type { JsonObject } from "../config-reader.js";
import type { BartStyleSpec } from "./bart-style.js";
import { readBartLikeConfig } from "./bart-config.js";

/** The base model of the paper's Table 3. */
export const TRANSFORMER_BASE = { d_model: 512, encoder_layers: 6, decoder_layers: 6, attention_heads: 8, ffn_dim: 2048, max_position_embeddings: 512 } as const;

export function parseTransformerConfig(json: JsonObject, source: string): BartStyleSpec {
  const { config, activation, scaleEmbedding, reader } = readBartLikeConfig(json, source, {
    activation: "relu",
    scaleEmbedding: true,
    padTokenId: 0,
    eosTokenId: 1,
    bosTokenId: 2,
    decoderStartTokenId: 2,
    sizes: TRANSFORMER_BASE,
  });
  const layout = reader.string("sinusoid_layout", "interleaved");
  if (layout !== "interleaved" && layout !== "concatenated") {
    throw new ConfigError(source, `"sinusoid_layout" must be "interleaved" or "concatenated", got ${JSON.stringify(layout)}`);
  }
  const shareEmbeddings = reader.boolean("share_encoder_decoder_embeddings", true);
  const decoderVocab = shareEmbeddings ? config.vocabSize : reader.positiveInt("decoder_vocab_size", config.vocabSize);
  return {
    config: { ...config, vocabSize: decoderVocab, sourceVocabSize: config.vocabSize },
    positions: { kind: "sinusoidal", layout },
    embeddingNorm: false,
    finalLogitsBias: false,
    activation,
    scaleEmbedding,
    layerNormEps: reader.positiveNumber("layer_norm_eps", 1e-5),
    shareEmbeddings,
    tieOutput: reader.boolean("tie_word_embeddings", true),
  };
}
