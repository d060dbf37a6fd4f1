// The pieces BERT, RoBERTa and DistilBERT share under different tensor names: the
// post-norm Transformer stack and the masked-LM head (dense → activation →
// LayerNorm → decoder tied to the word embeddings, with its own bias).

import { SelfAttention } from "../../nn/attention.js";
import type { Embedding } from "../../nn/embedding.js";
import { Linear } from "../../nn/linear.js";
import { Mlp } from "../../nn/mlp.js";
import { PostNormBlock } from "../../nn/post-norm-block.js";
import { f32Matrix } from "../../tensor/weights.js";
import type { LayerReader } from "../decoder/layers.js";
import type { EncoderConfig, MaskedLmHead } from "../encoder.js";

/** Tensor-name prefixes (without .weight/.bias) of one encoder layer. */
export interface EncoderLayerNames {
  readonly query: string;
  readonly key: string;
  readonly value: string;
  readonly attentionOutput: string;
  readonly attentionNorm: string;
  readonly intermediate: string;
  readonly output: string;
  readonly outputNorm: string;
}

/** The post-norm blocks: bidirectional attention and the MLP, every Linear with a bias. */
export function encoderBlocks(read: LayerReader, config: EncoderConfig, names: (layer: number) => EncoderLayerNames): PostNormBlock[] {
  const { hiddenSize: dim, intermediateSize: ffn, numHeads, headDim, layerNormEps: eps } = config;
  return Array.from({ length: config.numLayers }, (_, l) => {
    const n = names(l);
    const attention = new SelfAttention({
      heads: { nHeads: numHeads, nKvHeads: numHeads, headDim },
      projection: { kind: "separate", query: read.linear(n.query, dim, dim, true), key: read.linear(n.key, dim, dim, true), value: read.linear(n.value, dim, dim, true) },
      output: read.linear(n.attentionOutput, dim, dim, true),
      rotary: null,
      causal: false,
      scale: 1 / Math.sqrt(headDim),
    });
    const mlp = new Mlp(read.linear(n.intermediate, ffn, dim, true), read.linear(n.output, dim, ffn, true), config.activation);
    return new PostNormBlock(l, attention, read.layerNorm(n.attentionNorm, dim, eps), mlp, read.layerNorm(n.outputNorm, dim, eps));
  });
}

/**
 * The MLM head: `transform` dense → activation → `norm` → the word embeddings
 * (tied; an explicit `decoderWeight` in the file takes precedence) + `bias`.
 */
export function maskedLmHead(
  read: LayerReader,
  config: EncoderConfig,
  words: Embedding,
  names: { transform: string; norm: string; bias: string; decoderWeight: string },
): MaskedLmHead {
  const { hiddenSize: dim, vocabSize } = config;
  const { weights } = read;
  const decoderWeight =
    weights.has(names.decoderWeight) || !config.tieWordEmbeddings
      ? weights.matrix(names.decoderWeight, vocabSize, dim)
      : f32Matrix(words.table, vocabSize, dim); // tied: the word table itself, one copy
  return {
    transform: read.linear(names.transform, dim, dim, true),
    activation: config.activation,
    norm: read.layerNorm(names.norm, dim, config.layerNormEps),
    decoder: new Linear(decoderWeight, weights.take(names.bias, [vocabSize])),
  };
}
