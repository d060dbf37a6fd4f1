// DistilBERT (Sanh et al. 2019) from Hugging Face checkpoints (HF modeling_distilbert.py):
// word + learned position embeddings (no token types) → LayerNorm → post-norm blocks
// (q_lin, k_lin, v_lin, out_lin, sa_layer_norm, ffn.lin1/lin2, output_layer_norm),
// every LayerNorm with eps 1e-12 (not in config.json); the MLM head vocab_transform →
// GELU → vocab_layer_norm → vocab_projector (tied to the word embeddings); the
// sequence classifier classifier(ReLU(pre_classifier(h[:, 0]))).

import type { Backend } from "../../backend/backend.js";
import type { NamedTensors } from "../../tensor/tensor.js";
import type { JsonObject } from "../config-reader.js";
import { LayerReader } from "../decoder/layers.js";
import { EncoderNetwork, type EncoderConfig, type Pooler } from "../encoder.js";
import { WeightStore, type Initializer } from "../weight-store.js";
import { parseEncoderConfig } from "./encoder-config.js";
import { encoderBlocks, maskedLmHead } from "./layers.js";

export function parseDistilbertConfig(json: JsonObject, source: string): EncoderConfig {
  return parseEncoderConfig(json, source, {
    classPrefix: "DistilBert",
    heads: ["base", "masked-lm", "sequence-classification", "token-classification"],
    hiddenSize: "dim",
    numHeads: "n_heads",
    numLayers: "n_layers",
    intermediateSize: "hidden_dim",
    activation: "activation",
    layerNormEps: 1e-12,
    tokenTypes: false,
    positionIds: "arange",
    defaultPadTokenId: 0,
  });
}

/** Buffers some DistilBERT files carry. */
const DISTILBERT_BUFFERS = /^distilbert\.embeddings\.position_ids$/;

export function buildDistilbert(
  config: EncoderConfig,
  tensors: NamedTensors,
  source: string,
  backend: Backend,
  initializer: Initializer | null = null,
): EncoderNetwork {
  const weights = new WeightStore(tensors, source, backend, initializer);
  const read = new LayerReader(weights, backend);
  const { hiddenSize: dim, vocabSize, layerNormEps: eps, head } = config;
  const wordEmbedding = read.embedding("distilbert.embeddings.word_embeddings.weight", vocabSize, dim);
  const positionEmbedding = read.embedding("distilbert.embeddings.position_embeddings.weight", config.maxPositions, dim);
  const embeddingNorm = read.layerNorm("distilbert.embeddings.LayerNorm", dim, eps);
  const blocks = encoderBlocks(read, config, (l) => {
    const p = `distilbert.transformer.layer.${l}`;
    return {
      query: `${p}.attention.q_lin`,
      key: `${p}.attention.k_lin`,
      value: `${p}.attention.v_lin`,
      attentionOutput: `${p}.attention.out_lin`,
      attentionNorm: `${p}.sa_layer_norm`,
      intermediate: `${p}.ffn.lin1`,
      output: `${p}.ffn.lin2`,
      outputNorm: `${p}.output_layer_norm`,
    };
  });
  const pooler: Pooler | null =
    head === "sequence-classification" ? { dense: read.linear("pre_classifier", dim, dim, true), activation: "relu", isOutput: false } : null;
  const maskedLm =
    head === "masked-lm"
      ? maskedLmHead(read, config, wordEmbedding, {
          transform: "vocab_transform",
          norm: "vocab_layer_norm",
          bias: "vocab_projector.bias",
          decoderWeight: "vocab_projector.weight",
        })
      : null;
  const classifier = head === "sequence-classification" || head === "token-classification" ? read.linear("classifier", config.labels.length, dim, true) : null;
  weights.assertAllUsed(DISTILBERT_BUFFERS);
  return new EncoderNetwork(
    config,
    { wordEmbedding, positionEmbedding, tokenTypeEmbedding: null, embeddingNorm, blocks, pooler, maskedLm, nextSentence: null, classifier },
    backend,
    weights.parameterCount,
    weights.parameters,
  );
}
