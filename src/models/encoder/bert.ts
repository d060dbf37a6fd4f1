// BERT (Devlin et al. 2019) from Hugging Face checkpoints: word + position +
// token-type embeddings, LayerNorm, post-norm blocks with bidirectional
// attention, exact-erf GELU, and the heads of BertModel (pooler),
// BertForPreTraining, BertForMaskedLM, BertForNextSentencePrediction,
// BertForSequenceClassification and BertForTokenClassification, chosen by
// config.json's architectures[0]. Follows HF modeling_bert.py.
//
// Checkpoint quirks handled by `sanitizeBert`:
//  - files saved from BertModel name tensors without the "bert." prefix;
//  - TF-converted files name LayerNorm parameters gamma/beta;
//  - older files carry the buffers bert.embeddings.position_ids / token_type_ids;
//  - the MLM decoder is tied to the word embeddings and absent from modern files,
//    but older ones store cls.predictions.decoder.weight and .bias explicitly;
//  - checkpoints often carry heads the chosen class does not use (bert-base-uncased
//    is BertForMaskedLM with the pooler and NSP head in the file): HF drops them
//    with a warning, and so do we; any other unknown tensor is an error.

import type { Backend } from "../../backend/backend.js";
import type { NamedTensors, Tensor } from "../../tensor/tensor.js";
import type { JsonObject } from "../config-reader.js";
import { LayerReader } from "../decoder/layers.js";
import { EncoderNetwork, type EncoderConfig, type MaskedLmHead } from "../encoder.js";
import { WeightStore, type Initializer } from "../weight-store.js";
import { HEAD_PARTS, parseEncoderConfig } from "./encoder-config.js";
import { encoderBlocks, maskedLmHead } from "./layers.js";

export function parseBertConfig(json: JsonObject, source: string): EncoderConfig {
  return parseEncoderConfig(json, source, {
    classPrefix: "Bert",
    heads: ["base", "pretraining", "masked-lm", "next-sentence", "sequence-classification", "token-classification"],
    hiddenSize: "hidden_size",
    numHeads: "num_attention_heads",
    numLayers: "num_hidden_layers",
    intermediateSize: "intermediate_size",
    activation: "hidden_act",
    layerNormEps: "layer_norm_eps",
    tokenTypes: true,
    positionIds: "arange",
    defaultPadTokenId: 0,
  });
}

/** Buffers some BERT files carry that are not parameters. */
const BERT_BUFFERS = String.raw`bert\.embeddings\.(position_ids|token_type_ids)`;

/** Canonical HF names: "bert." prefix for files saved from BertModel, LayerNorm weight/bias for gamma/beta. */
export function sanitizeBert(tensors: NamedTensors): NamedTensors {
  const out = new Map<string, Tensor>();
  for (const [name, tensor] of tensors) {
    let canonical = /^(embeddings|encoder|pooler)\./.test(name) ? `bert.${name}` : name;
    canonical = canonical.replace(/\.LayerNorm\.gamma$/, ".LayerNorm.weight").replace(/\.LayerNorm\.beta$/, ".LayerNorm.bias");
    out.set(canonical, tensor);
  }
  return out;
}

export function buildBert(
  config: EncoderConfig,
  tensors: NamedTensors,
  source: string,
  backend: Backend,
  initializer: Initializer | null = null,
): EncoderNetwork {
  const weights = new WeightStore(sanitizeBert(tensors), source, backend, initializer);
  const read = new LayerReader(weights, backend);
  const { hiddenSize: dim, vocabSize, layerNormEps: eps, head } = config;
  const parts = HEAD_PARTS[head];

  const wordEmbedding = read.embedding("bert.embeddings.word_embeddings.weight", vocabSize, dim);
  const positionEmbedding = read.embedding("bert.embeddings.position_embeddings.weight", config.maxPositions, dim);
  const tokenTypeEmbedding = read.embedding("bert.embeddings.token_type_embeddings.weight", config.typeVocabSize, dim);
  const embeddingNorm = read.layerNorm("bert.embeddings.LayerNorm", dim, eps);
  const blocks = encoderBlocks(read, config, (l) => {
    const p = `bert.encoder.layer.${l}`;
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

  const hasPooler = weights.has("bert.pooler.dense.weight");
  const withPooler = parts.pooler === "yes" || (parts.pooler === "optional" && hasPooler);
  const pooler = withPooler ? { dense: read.linear("bert.pooler.dense", dim, dim, true), activation: "tanh" as const, isOutput: true } : null;

  let maskedLm: MaskedLmHead | null = null;
  if (parts.maskedLm) {
    const bias = weights.has("cls.predictions.bias") ? "cls.predictions.bias" : "cls.predictions.decoder.bias";
    maskedLm = maskedLmHead(read, config, wordEmbedding, {
      transform: "cls.predictions.transform.dense",
      norm: "cls.predictions.transform.LayerNorm",
      bias,
      decoderWeight: "cls.predictions.decoder.weight",
    });
    // Older files store the bias twice (cls.predictions.bias and decoder.bias): one copy is used.
    if (bias === "cls.predictions.bias" && weights.has("cls.predictions.decoder.bias")) weights.raw("cls.predictions.decoder.bias", [vocabSize]);
  }
  const nextSentence = parts.nextSentence ? read.linear("cls.seq_relationship", 2, dim, true) : null;
  const classifier = parts.classifier ? read.linear("classifier", config.labels.length, dim, true) : null;

  // Heads the checkpoint holds but this class does not use, as HF's from_pretrained drops them.
  const ignorable = [BERT_BUFFERS];
  if (pooler === null) ignorable.push(String.raw`bert\.pooler\.dense\.(weight|bias)`);
  if (!parts.maskedLm) ignorable.push(String.raw`cls\.predictions\..+`);
  if (!parts.nextSentence) ignorable.push(String.raw`cls\.seq_relationship\.(weight|bias)`);
  weights.assertAllUsed(new RegExp(`^(${ignorable.join("|")})$`));
  return new EncoderNetwork(
    config,
    { wordEmbedding, positionEmbedding, tokenTypeEmbedding, embeddingNorm, blocks, pooler, maskedLm, nextSentence, classifier },
    backend,
    weights.parameterCount,
    weights.parameters,
  );
}
