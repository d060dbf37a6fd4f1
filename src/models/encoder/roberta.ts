// RoBERTa (Liu et al. 2019) from Hugging Face checkpoints (HF modeling_roberta.py):
// BERT's encoder under the "roberta." prefix, with
//   - position ids that start after the padding id: pad + cumsum(mask)·mask, so real
//     tokens count from pad + 1 whichever side the padding is on;
//   - one token type (type_vocab_size 1);
//   - the MLM head lm_head.{dense, layer_norm, bias}, its decoder tied to the word embeddings;
//   - the sequence classifier out_proj(tanh(dense(h[:, 0]))) (classifier.dense, classifier.out_proj), no pooler;
//   - RobertaModel's optional pooler, as BERT's.

import type { Backend } from "../../backend/backend.js";
import type { NamedTensors } from "../../tensor/tensor.js";
import type { JsonObject } from "../config-reader.js";
import { LayerReader } from "../decoder/layers.js";
import { EncoderNetwork, type EncoderConfig, type Pooler } from "../encoder.js";
import { WeightStore, type Initializer } from "../weight-store.js";
import { parseEncoderConfig } from "./encoder-config.js";
import { encoderBlocks, maskedLmHead } from "./layers.js";

export function parseRobertaConfig(json: JsonObject, source: string): EncoderConfig {
  return parseEncoderConfig(json, source, {
    classPrefix: "Roberta",
    heads: ["base", "masked-lm", "sequence-classification", "token-classification"],
    hiddenSize: "hidden_size",
    numHeads: "num_attention_heads",
    numLayers: "num_hidden_layers",
    intermediateSize: "intermediate_size",
    activation: "hidden_act",
    layerNormEps: "layer_norm_eps",
    tokenTypes: true,
    positionIds: "after-padding",
    defaultPadTokenId: 1,
  });
}

/** Buffers and unused heads some RoBERTa files carry. */
const ROBERTA_IGNORABLE = /^(roberta\.embeddings\.(position_ids|token_type_ids)|lm_head\.decoder\.bias)$/;

export function buildRoberta(
  config: EncoderConfig,
  tensors: NamedTensors,
  source: string,
  backend: Backend,
  initializer: Initializer | null = null,
): EncoderNetwork {
  const weights = new WeightStore(tensors, source, backend, initializer);
  const read = new LayerReader(weights, backend);
  const { hiddenSize: dim, vocabSize, layerNormEps: eps, head } = config;
  const wordEmbedding = read.embedding("roberta.embeddings.word_embeddings.weight", vocabSize, dim);
  const positionEmbedding = read.embedding("roberta.embeddings.position_embeddings.weight", config.maxPositions, dim);
  const tokenTypeEmbedding = read.embedding("roberta.embeddings.token_type_embeddings.weight", config.typeVocabSize, dim);
  const embeddingNorm = read.layerNorm("roberta.embeddings.LayerNorm", dim, eps);
  const blocks = encoderBlocks(read, config, (l) => {
    const p = `roberta.encoder.layer.${l}`;
    return {
      query: `${p}.attention.self.query`,
      key: `${p}.attention.self.key`,
      value: `${p}.attention.self.value`,
      attentionOutput: `${p}.attention.output.dense`,
      attentionNorm: `${p}.attention.output.LayerNorm`,
      intermediate: `${p}.intermediate.dense`,
      output: `${p}.output.dense`,
      outputNorm: `${p}.output.LayerNorm`,
    };
  });
  let pooler: Pooler | null = null;
  if (head === "base" && weights.has("roberta.pooler.dense.weight")) {
    pooler = { dense: read.linear("roberta.pooler.dense", dim, dim, true), activation: "tanh", isOutput: true };
  } else if (head === "sequence-classification") {
    pooler = { dense: read.linear("classifier.dense", dim, dim, true), activation: "tanh", isOutput: false };
  }
  const maskedLm =
    head === "masked-lm"
      ? maskedLmHead(read, config, wordEmbedding, { transform: "lm_head.dense", norm: "lm_head.layer_norm", bias: "lm_head.bias", decoderWeight: "lm_head.decoder.weight" })
      : null;
  const classifier =
    head === "sequence-classification"
      ? read.linear("classifier.out_proj", config.labels.length, dim, true)
      : head === "token-classification"
        ? read.linear("classifier", config.labels.length, dim, true)
        : null;
  weights.assertAllUsed(ROBERTA_IGNORABLE);
  return new EncoderNetwork(
    config,
    { wordEmbedding, positionEmbedding, tokenTypeEmbedding, embeddingNorm, blocks, pooler, maskedLm, nextSentence: null, classifier },
    backend,
    weights.parameterCount,
    weights.parameters,
  );
}
