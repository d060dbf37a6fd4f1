// The config.json fields BART, Marian and the original Transformer share
// (BartConfig's names: d_model, encoder_layers, encoder_attention_heads,
// encoder_ffn_dim, max_position_embeddings, activation_function, …), read into
// a Seq2SeqConfig. Each family supplies its own defaults.

import { ConfigError } from "../../errors.js";
import type { Activation } from "../../nn/mlp.js";
import { ConfigReader, type JsonObject } from "../config-reader.js";
import { readActivation } from "../decoder/layers.js";
import type { Seq2SeqConfig } from "./encoder-decoder.js";

export interface BartLikeDefaults {
  readonly activation: string;
  readonly scaleEmbedding: boolean;
  readonly padTokenId: number;
  readonly eosTokenId: number;
  readonly bosTokenId?: number;
  /** When decoder_start_token_id is absent: this id (BART's eos), or "pad" (Marian: the pad_token_id). */
  readonly decoderStartTokenId: number | "pad";
  readonly sizes?: Partial<Record<"d_model" | "encoder_layers" | "decoder_layers" | "attention_heads" | "ffn_dim" | "max_position_embeddings", number>>;
}

export interface BartLikeConfig {
  readonly config: Seq2SeqConfig;
  readonly activation: Activation;
  readonly scaleEmbedding: boolean;
  readonly reader: ConfigReader;
}

export function readBartLikeConfig(json: JsonObject, source: string, defaults: BartLikeDefaults): BartLikeConfig {
  const c = new ConfigReader(json, source);
  const sizes = defaults.sizes ?? {};
  const dim = c.positiveInt("d_model", sizes.d_model);
  const encoderHeads = c.positiveInt("encoder_attention_heads", sizes.attention_heads);
  const decoderHeads = c.positiveInt("decoder_attention_heads", sizes.attention_heads);
  if (encoderHeads !== decoderHeads) {
    throw new ConfigError(source, `"encoder_attention_heads" (${encoderHeads}) and "decoder_attention_heads" (${decoderHeads}) differ, which lmscope does not support`);
  }
  c.requireDivisible("d_model", dim, "encoder_attention_heads", encoderHeads);
  const vocabSize = c.positiveInt("vocab_size");
  const padTokenId = c.tokenIds("pad_token_id")[0] ?? defaults.padTokenId;
  const eosTokenIds = c.has("eos_token_id") ? c.tokenIds("eos_token_id") : [defaults.eosTokenId];
  const positions = c.positiveInt("max_position_embeddings", sizes.max_position_embeddings);
  return {
    config: {
      modelType: c.string("model_type"),
      vocabSize,
      sourceVocabSize: vocabSize,
      hiddenSize: dim,
      encoderLayers: c.positiveInt("encoder_layers", sizes.encoder_layers),
      decoderLayers: c.positiveInt("decoder_layers", sizes.decoder_layers),
      encoderHeads,
      decoderHeads,
      headDim: dim / encoderHeads,
      encoderFfnDim: c.positiveInt("encoder_ffn_dim", sizes.ffn_dim),
      decoderFfnDim: c.positiveInt("decoder_ffn_dim", sizes.ffn_dim),
      maxSourcePositions: positions,
      maxTargetPositions: positions,
      padTokenId,
      eosTokenIds,
      bosTokenId: c.has("bos_token_id") ? c.tokenIds("bos_token_id")[0] : defaults.bosTokenId,
      decoderStartTokenId: c.tokenIds("decoder_start_token_id")[0] ?? (defaults.decoderStartTokenId === "pad" ? padTokenId : defaults.decoderStartTokenId),
    },
    activation: readActivation(c, "activation_function", defaults.activation),
    scaleEmbedding: c.boolean("scale_embedding", defaults.scaleEmbedding),
    reader: c,
  };
}
