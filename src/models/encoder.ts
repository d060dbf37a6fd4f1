// The bidirectional Transformer encoder (BERT, Devlin et al. 2019; RoBERTa,
// DistilBERT) and its task heads:
//   word + position (+ token-type) embeddings → LayerNorm → N × post-norm block
//   (bidirectional attention, padding keys masked) → last hidden state
//   → pooler (dense + tanh, or ReLU, on the first token) → NSP / sequence classifier
//   → MLM transform (dense, GELU, LayerNorm) → decoder to the vocabulary
//   → per-token classifier
// Follows HF modeling_bert.py (BertModel, BertForPreTraining, …), modeling_roberta.py
// and modeling_distilbert.py; the family files in ./encoder map their names. A batch of
// padded rows runs row by row: each row's keys and values live in a
// preallocated buffer and every row reuses the same scratch, grown only when a
// longer row arrives. Outputs carry the HF ModelOutput names in camelCase.

import { relu, tanh } from "../autograd/activations.js";
import { crossEntropy } from "../autograd/cross-entropy.js";
import { add } from "../autograd/elementwise.js";
import { embedding } from "../autograd/embedding.js";
import type { Variable } from "../autograd/variable.js";
import type { Backend } from "../backend/backend.js";
import { residualDropout } from "../nn/block.js";
import type { ParameterIndex } from "../nn/parameter-index.js";
import type { TapeContext } from "../nn/tape-context.js";
import { InputError } from "../errors.js";
import type { Embedding } from "../nn/embedding.js";
import { KvCache } from "../nn/kv-cache.js";
import type { Linear } from "../nn/linear.js";
import { activate, activateOnTape, type Activation } from "../nn/mlp.js";
import type { Norm } from "../nn/norm.js";
import type { PostNormBlock } from "../nn/post-norm-block.js";
import type { ForwardObserver, ForwardPass } from "../nn/observer.js";
import { Scratch } from "../nn/scratch.js";

/** Which HF class the checkpoint was saved from, i.e. which heads sit on the encoder. */
export type EncoderHead =
  | "base" // BertModel: last_hidden_state, pooler_output (when it has a pooler)
  | "pretraining" // BertForPreTraining: + prediction_logits, seq_relationship_logits
  | "masked-lm" // BertForMaskedLM: logits [B, T, vocab]
  | "next-sentence" // BertForNextSentencePrediction: logits [B, 2]
  | "sequence-classification" // BertForSequenceClassification: logits [B, labels]
  | "token-classification"; // BertForTokenClassification: logits [B, T, labels]

/**
 * Position ids: 0, 1, 2, … (BERT, DistilBERT), or RoBERTa's — real tokens count from
 * pad + 1 whichever side the padding is on, padding tokens get position pad.
 */
export type PositionIds = "arange" | "after-padding";

export interface EncoderConfig {
  /** HF model_type ("bert", "roberta", "distilbert"). */
  readonly modelType: string;
  /** config.json architectures[0], e.g. "BertForMaskedLM". */
  readonly architecture: string;
  readonly head: EncoderHead;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly intermediateSize: number;
  /** max_position_embeddings: rows of the position table. */
  readonly maxPositions: number;
  readonly positionIds: PositionIds;
  /** Token types (BERT's segments A and B); 0 when the model has no token-type embedding (DistilBERT). */
  readonly typeVocabSize: number;
  readonly layerNormEps: number;
  readonly activation: Activation;
  readonly padTokenId: number;
  /** The MLM decoder shares the word embeddings (tie_word_embeddings, default true). */
  readonly tieWordEmbeddings: boolean;
  /** id2label in id order (classification heads); empty otherwise. */
  readonly labels: readonly string[];
  /** HF problem_type: "multi_label_classification" scores labels with a sigmoid, otherwise softmax. */
  readonly problemType: string | null;
}

/** BertLMPredictionHead: dense → activation → LayerNorm → decoder (usually tied to the word embeddings). */
export interface MaskedLmHead {
  readonly transform: Linear;
  readonly activation: Activation;
  readonly norm: Norm;
  readonly decoder: Linear;
}

/** dense + activation on the first token: BERT's pooler, RoBERTa's and DistilBERT's classifier input. */
export interface Pooler {
  readonly dense: Linear;
  readonly activation: "tanh" | "relu";
  /** BERT's pooler output is a model output (pooler_output); the others are internal to the head. */
  readonly isOutput: boolean;
}

export interface EncoderParts {
  readonly wordEmbedding: Embedding;
  readonly positionEmbedding: Embedding;
  /** null: no token types (DistilBERT). */
  readonly tokenTypeEmbedding: Embedding | null;
  readonly embeddingNorm: Norm;
  readonly blocks: readonly PostNormBlock[];
  /** null when the checkpoint has none (tokencls, MLM). */
  readonly pooler: Pooler | null;
  readonly maskedLm: MaskedLmHead | null;
  /** cls.seq_relationship (pretraining) or the NSP model's head, on the pooled output. */
  readonly nextSentence: Linear | null;
  /** classifier: on the pooled output (sequence) or on every token (token). */
  readonly classifier: Linear | null;
}

/** Rows of equal length; attentionMask (1 = token, 0 = padding) and tokenTypeIds default to all 1 / all 0. */
export interface EncoderInputs {
  readonly inputIds: readonly (readonly number[])[];
  readonly attentionMask?: readonly (readonly number[])[] | undefined;
  readonly tokenTypeIds?: readonly (readonly number[])[] | undefined;
}

/** A row-major float32 array and its shape. */
export interface OutputArray {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** HF ModelOutput fields, camelCased; which are present depends on the head. */
export interface EncoderOutputs {
  /** [B, T, hidden] */
  readonly lastHiddenState: OutputArray;
  /** [B, hidden] */
  readonly poolerOutput?: OutputArray;
  /** [B, T, vocab] (BertForPreTraining) */
  readonly predictionLogits?: OutputArray;
  /** [B, 2] (BertForPreTraining) */
  readonly seqRelationshipLogits?: OutputArray;
  /** [B, T, vocab] (MLM), [B, 2] (NSP), [B, labels] (sequence) or [B, T, labels] (token classification) */
  readonly logits?: OutputArray;
}

/**
 * Training targets in Hugging Face's names: `labels` per token [B][T] (masked LM,
 * token classification; −100 = not scored) or per row [B] (sequence
 * classification, next sentence); `nextSentenceLabel` [B] for pretraining
 * (0 = B follows A, 1 = random).
 */
export interface EncoderTargets {
  readonly labels?: readonly (readonly number[])[] | readonly number[];
  readonly nextSentenceLabel?: readonly number[];
}

export interface EncoderForwardOptions {
  /** Run the task heads (default true); false computes only lastHiddenState (and poolerOutput). */
  readonly heads?: boolean;
  /** Sees (and may change) the capture points of each row (nn/observer.ts). */
  readonly observer?: ForwardObserver | null;
}

export class EncoderNetwork {
  private scratch: Scratch | null = null;
  private keys: KvCache | null = null;
  /** [hidden] the pooled vector of one row, for heads that read it. */
  private readonly pooled: Float32Array;

  constructor(
    readonly config: EncoderConfig,
    readonly parts: EncoderParts,
    readonly backend: Backend,
    /** Distinct parameters (tied weights once). */
    readonly parameterCount: number,
    /** The float32 weights by HF name, sharing storage with the modules (for training). */
    readonly parameters: ParameterIndex,
  ) {
    this.pooled = backend.allocate(config.hiddenSize);
  }

  /** The longest row the position table allows (RoBERTa's positions start after the padding id). */
  get maxLength(): number {
    const { maxPositions, positionIds, padTokenId } = this.config;
    return positionIds === "arange" ? maxPositions : maxPositions - padTokenId - 1;
  }

  forward(inputs: EncoderInputs, options: EncoderForwardOptions = {}): EncoderOutputs {
    const { batch, seq } = this.checkInputs(inputs);
    const { hiddenSize: dim, vocabSize } = this.config;
    const { pooler, maskedLm, nextSentence, classifier } = this.parts;
    const head = options.heads === false ? "base" : this.config.head;
    const labelCount = this.config.labels.length;
    const hidden = new Float32Array(batch * seq * dim); // [B, T, dim]
    const pooled = pooler === null || !pooler.isOutput ? null : new Float32Array(batch * dim); // [B, dim]
    const tokenLogits = // [B, T, vocab | labels]
      head === "pretraining" || head === "masked-lm"
        ? new Float32Array(batch * seq * vocabSize)
        : head === "token-classification"
          ? new Float32Array(batch * seq * labelCount)
          : null;
    const rowLogitsWidth = head === "pretraining" || head === "next-sentence" ? 2 : head === "sequence-classification" ? labelCount : 0;
    const rowLogits = rowLogitsWidth > 0 ? new Float32Array(batch * rowLogitsWidth) : null; // [B, 2 | labels]

    const scratch = this.scratchFor(seq);
    const keys = this.keysFor(seq);
    for (let b = 0; b < batch; b++) {
      const mask = inputs.attentionMask?.[b];
      const x = scratch.residual; // [T, dim]
      this.embed(x, inputs.inputIds[b]!, inputs.tokenTypeIds?.[b], scratch);
      const keyMask = mask !== undefined && mask.includes(0) ? mask : undefined;
      const observer = options.observer ?? null;
      observer?.beginSequence?.(b);
      const pass: ForwardPass = { backend: this.backend, scratch, observer, layer: 0, sequences: null };
      this.parts.blocks.forEach((block, layer) => block.forward(pass, x, seq, dim, keys.layers[layer]!, keyMask));
      const rowHidden = hidden.subarray(b * seq * dim, (b + 1) * seq * dim);
      rowHidden.set(x.subarray(0, seq * dim));

      if (pooler !== null) {
        pooler.dense.forward(this.backend, this.pooled, x, 1); // [1, dim] from the first ([CLS], <s>) token
        if (pooler.activation === "tanh") this.backend.tanh(this.pooled, dim);
        else this.backend.relu(this.pooled, dim);
        pooled?.set(this.pooled, b * dim);
      }
      if (maskedLm !== null && (head === "pretraining" || head === "masked-lm")) {
        const transformed = scratch.normed; // [T, dim]
        maskedLm.transform.forward(this.backend, transformed, x, seq);
        activate(this.backend, maskedLm.activation, transformed, seq * dim);
        maskedLm.norm.forward(this.backend, transformed, transformed, seq);
        maskedLm.decoder.forward(this.backend, tokenLogits!.subarray(b * seq * vocabSize), transformed, seq); // [T, vocab]
      }
      if (nextSentence !== null && (head === "pretraining" || head === "next-sentence")) {
        nextSentence.forward(this.backend, rowLogits!.subarray(b * 2), this.pooled, 1); // [1, 2]
      }
      if (classifier !== null && head === "sequence-classification") {
        classifier.forward(this.backend, rowLogits!.subarray(b * labelCount), this.pooled, 1); // [1, labels]
      }
      if (classifier !== null && head === "token-classification") {
        classifier.forward(this.backend, tokenLogits!.subarray(b * seq * labelCount), x, seq); // [T, labels]
      }
    }

    const out: {
      lastHiddenState: OutputArray;
      poolerOutput?: OutputArray;
      predictionLogits?: OutputArray;
      seqRelationshipLogits?: OutputArray;
      logits?: OutputArray;
    } = { lastHiddenState: { data: hidden, shape: [batch, seq, dim] } };
    if (pooled !== null) out.poolerOutput = { data: pooled, shape: [batch, dim] };
    if (head === "pretraining") {
      out.predictionLogits = { data: tokenLogits!, shape: [batch, seq, vocabSize] };
      out.seqRelationshipLogits = { data: rowLogits!, shape: [batch, 2] };
    } else if (head === "masked-lm") {
      out.logits = { data: tokenLogits!, shape: [batch, seq, vocabSize] };
    } else if (head === "token-classification") {
      out.logits = { data: tokenLogits!, shape: [batch, seq, labelCount] };
    } else if (head === "next-sentence" || head === "sequence-classification") {
      out.logits = { data: rowLogits!, shape: [batch, rowLogitsWidth] };
    }
    return out;
  }

  /**
   * The head's training loss, recorded on ctx's tape, as the HF class computes it:
   * mean cross-entropy over scored tokens (MLM, token classification) or rows
   * (sequence classification, NSP); pretraining adds the MLM and NSP losses.
   */
  lossOnTape(ctx: TapeContext, inputs: EncoderInputs, targets: EncoderTargets): Variable {
    const { batch, seq } = this.checkInputs(inputs);
    const { pooler, maskedLm, nextSentence, classifier } = this.parts;
    const mask = inputs.attentionMask?.flat();
    let x = this.embedOnTape(ctx, inputs, batch, seq); // [B · T, dim]
    for (const block of this.parts.blocks) x = block.forwardOnTape(ctx, x, batch, mask?.includes(0) === true ? mask : undefined);
    const pooled = (): Variable => {
      if (pooler === null) throw new InputError("this checkpoint has no pooler, which its head needs");
      const firstTokens = Array.from({ length: batch }, (_, b) => b * seq);
      const dense = pooler.dense.forwardOnTape(ctx, embedding(ctx.tape, x, firstTokens)); // [B, dim]
      return pooler.activation === "tanh" ? tanh(ctx.tape, dense) : relu(ctx.tape, dense);
    };
    const maskedLmLoss = (): Variable => {
      const head = maskedLm!;
      const transformed = head.norm.forwardOnTape(ctx, activateOnTape(ctx, head.activation, head.transform.forwardOnTape(ctx, x)));
      return crossEntropy(ctx.tape, head.decoder.forwardOnTape(ctx, transformed), this.tokenTargets(targets.labels, batch, seq));
    };
    const rowLoss = (logits: Variable, labels: readonly number[] | undefined, name: string): Variable =>
      crossEntropy(ctx.tape, logits, this.rowTargets(labels, batch, name));
    switch (this.config.head) {
      case "pretraining":
        return add(ctx.tape, maskedLmLoss(), rowLoss(nextSentence!.forwardOnTape(ctx, pooled()), targets.nextSentenceLabel, "nextSentenceLabel"));
      case "masked-lm":
        return maskedLmLoss();
      case "next-sentence":
        return rowLoss(nextSentence!.forwardOnTape(ctx, pooled()), targets.labels as readonly number[] | undefined, "labels");
      case "sequence-classification":
        return rowLoss(classifier!.forwardOnTape(ctx, pooled()), targets.labels as readonly number[] | undefined, "labels");
      case "token-classification":
        return crossEntropy(ctx.tape, classifier!.forwardOnTape(ctx, x), this.tokenTargets(targets.labels, batch, seq));
      case "base":
        throw new InputError("a BertModel checkpoint has no head to train; load one saved with a task head (architectures in config.json)");
    }
  }

  /** [B · T, dim] = dropout(LayerNorm(word[ids] + position (+ tokenType))) on a tape. */
  private embedOnTape(ctx: TapeContext, inputs: EncoderInputs, batch: number, seq: number): Variable {
    const { wordEmbedding, positionEmbedding, tokenTypeEmbedding, embeddingNorm } = this.parts;
    const words = wordEmbedding.forwardOnTape(ctx, inputs.inputIds.flat(), this.config.padTokenId);
    const positionIds = inputs.inputIds.flatMap((row) => this.positionIdsOf(row));
    let sum = add(ctx.tape, words, positionEmbedding.forwardOnTape(ctx, positionIds));
    if (tokenTypeEmbedding !== null) {
      sum = add(ctx.tape, sum, tokenTypeEmbedding.forwardOnTape(ctx, inputs.tokenTypeIds?.flat() ?? new Array<number>(batch * seq).fill(0)));
    }
    return residualDropout(ctx, embeddingNorm.forwardOnTape(ctx, sum));
  }

  /** The position id of each token of a row (PositionIds). */
  private positionIdsOf(ids: readonly number[]): number[] {
    if (this.config.positionIds === "arange") return ids.map((_, i) => i);
    const pad = this.config.padTokenId;
    let count = 0;
    return ids.map((id) => (id === pad ? pad : pad + ++count));
  }

  private tokenTargets(labels: EncoderTargets["labels"], batch: number, seq: number): number[] {
    if (!Array.isArray(labels) || labels.length !== batch || !labels.every((row) => Array.isArray(row) && row.length === seq)) {
      throw new InputError(`labels must be ${batch} rows of ${seq} token labels (−100 where not scored)`);
    }
    return (labels as readonly (readonly number[])[]).flat();
  }

  private rowTargets(labels: readonly number[] | undefined, batch: number, name: string): number[] {
    if (!Array.isArray(labels) || labels.length !== batch || !labels.every((l) => Number.isInteger(l))) {
      throw new InputError(`${name} must hold one integer label per row (${batch})`);
    }
    return [...labels];
  }

  /** x [T, dim] = LayerNorm(word[ids] + position (+ tokenType[types])) */
  private embed(x: Float32Array, ids: readonly number[], types: readonly number[] | undefined, scratch: Scratch): void {
    const { wordEmbedding, positionEmbedding, tokenTypeEmbedding, embeddingNorm } = this.parts;
    const seq = ids.length;
    const n = seq * this.config.hiddenSize;
    const addend = scratch.delta; // [T, dim]
    wordEmbedding.forward(this.backend, x, ids);
    if (this.config.positionIds === "arange") positionEmbedding.forwardRange(addend, 0, seq);
    else positionEmbedding.forward(this.backend, addend, this.positionIdsOf(ids));
    this.backend.add(x, x, addend, n);
    if (tokenTypeEmbedding !== null) {
      tokenTypeEmbedding.forward(this.backend, addend, types ?? new Array<number>(seq).fill(0));
      this.backend.add(x, x, addend, n);
    }
    embeddingNorm.forward(this.backend, x, x, seq);
  }

  private checkInputs(inputs: EncoderInputs): { batch: number; seq: number } {
    const ids = inputs?.inputIds;
    if (!Array.isArray(ids) || ids.length === 0 || !ids.every((row) => Array.isArray(row))) {
      throw new InputError("inputIds must be a non-empty array of rows of token ids, e.g. [[2, 15, 3]]");
    }
    const seq = ids[0]!.length;
    if (seq === 0) throw new InputError("inputIds rows must hold at least one token");
    const longest = this.maxLength;
    if (seq > longest) throw new InputError(`rows have ${seq} tokens, more than the ${longest} this model takes (max_position_embeddings ${this.config.maxPositions})`);
    const checkRows = (name: string, rows: readonly (readonly number[])[] | undefined, valid: (v: number) => boolean, expected: string): void => {
      if (rows === undefined) return;
      if (!Array.isArray(rows) || rows.length !== ids.length) {
        throw new InputError(`${name} must have ${ids.length} rows like inputIds`);
      }
      rows.forEach((row, b) => {
        if (!Array.isArray(row) || row.length !== seq) {
          throw new InputError(`${name} row ${b} must have ${seq} entries like inputIds row 0`);
        }
        const bad = row.findIndex((v) => !valid(v));
        if (bad !== -1) throw new InputError(`${name}[${b}][${bad}] is ${String(row[bad])}; expected ${expected}`);
      });
    };
    const vocab = this.config.vocabSize;
    checkRows("inputIds", ids, (v) => Number.isInteger(v) && v >= 0 && v < vocab, `a token id in [0, ${vocab})`);
    checkRows("attentionMask", inputs.attentionMask, (v) => v === 0 || v === 1, "0 or 1");
    const types = this.config.typeVocabSize;
    checkRows("tokenTypeIds", inputs.tokenTypeIds, (v) => v === 0 || (Number.isInteger(v) && v > 0 && v < types), types > 0 ? `a token type in [0, ${types})` : "0 (this model has no token types)");
    inputs.attentionMask?.forEach((row, b) => {
      if (!row.includes(1)) throw new InputError(`attentionMask row ${b} masks every token: there is nothing to attend to`);
    });
    return { batch: ids.length, seq };
  }

  /** Activation buffers for rows of up to `seq` tokens, allocated on first use and grown only for longer rows. */
  private scratchFor(seq: number): Scratch {
    if (this.scratch === null || this.scratch.sizes.rows < seq) {
      const { hiddenSize, numHeads, headDim, intermediateSize } = this.config;
      this.scratch = new Scratch(
        { rows: seq, dim: hiddenSize, queryDim: numHeads * headDim, kvDim: numHeads * headDim, fusedQkvDim: 0, ffnDim: intermediateSize, maxKeys: seq },
        this.backend,
      );
    }
    return this.scratch;
  }

  /** Keys and values of one row, per layer (a KV cache used from position 0, never appended to). */
  private keysFor(seq: number): KvCache {
    if (this.keys === null || this.keys.maxPositions < seq) {
      const windows = new Array<number>(this.config.numLayers).fill(0);
      this.keys = new KvCache(this.config.numHeads * this.config.headDim, seq, windows, seq, this.backend);
    }
    return this.keys;
  }
}
