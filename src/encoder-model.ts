// The object `loadModel` returns for an encoder (BERT): the network, its
// tokenizer, and the public operations on them — the HF outputs of a padded
// batch, sentence embeddings, and the fill-mask, classification and NER pipelines.

import { checkPooling, poolRow, type Pooling } from "./embeddings/pooling.js";
import { normalizeL2 } from "./embeddings/similarity.js";
import { applyZScore, type ZScoreStats } from "./embeddings/zscore.js";
import type { Parameter } from "./autograd/variable.js";
import type { Backend } from "./backend/backend.js";
import { releaseModelBackend } from "./backend/select.js";
import { InputError, OptionError } from "./errors.js";
import { writeHfFolder } from "./io/hf-folder-writer.js";
import { loadEncoder, type EncoderLoadOptions, type LoadedEncoder } from "./io/load-encoder.js";
import type { ModelSource } from "./io/load-decoder.js";
import type { JsonObject } from "./models/config-reader.js";
import type {
  EncoderConfig,
  EncoderForwardOptions,
  EncoderHead,
  EncoderInputs,
  EncoderNetwork,
  EncoderTargets,
} from "./models/encoder.js";
import { fillMask, type FillMaskOptions, type FillMaskPrediction } from "./pipelines/fill-mask.js";
import { ner, type NamedEntity, type NerOptions } from "./pipelines/ner.js";
import { classify, maxLengthFor, type Classification, type ClassificationInput, type ClassifyOptions } from "./pipelines/text-classification.js";
import type { InspectOptions } from "./inspect/decoder-inspection.js";
import { inspectEncoderForward, type InspectedEncoderOutputs } from "./inspect/encoder-inspection.js";
import { summarizePositions, type PositionSummary } from "./inspect/token-probabilities.js";
import { requireTokenizer, type TextTokenizer } from "./tokenizers/tokenizer.js";
import { evaluateLoss, recordLoss, type Loss, type LossOptions } from "./training/tape-loss.js";

/** A training batch: the encoder's inputs and its head's targets (HF names). */
export type EncoderBatch = EncoderInputs & EncoderTargets;

export interface EmbedOptions {
  /** "mean" of the real tokens (default) or the first token's ("cls"). */
  pooling?: Pooling;
  /** Standardize each vector with statistics from fitZScore / loadZScore. */
  zscore?: ZScoreStats | null;
  /** Scale each vector to unit length (after z-scoring). Default false. */
  normalize?: boolean;
  /** Texts per forward pass (default 16). */
  batchSize?: number;
}

export interface EncoderInfo {
  readonly kind: "encoder";
  readonly architecture: string;
  readonly modelType: string;
  readonly head: EncoderHead;
  readonly layers: number;
  readonly hiddenSize: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly intermediateSize: number;
  /** max_position_embeddings */
  readonly contextLength: number;
  readonly vocabSize: number;
  readonly typeVocabSize: number;
  /** id2label of a classification head, in id order. */
  readonly labels: readonly string[];
  /** Exact count of distinct parameters (tied weights once). */
  readonly parameters: number;
  /** The rule-of-thumb 12 · n_layers · d_model² (no embeddings). */
  readonly parametersEstimate: number;
  readonly source: ModelSource;
}

export class EncoderModel {
  readonly kind = "encoder" as const;
  readonly network: EncoderNetwork;
  readonly source: ModelSource;
  /** The config.json fields the model was built from. */
  readonly hfConfig: JsonObject;
  private readonly maybeTokenizer: TextTokenizer | null;

  constructor(loaded: LoadedEncoder) {
    this.network = loaded.network;
    this.source = loaded.source;
    this.hfConfig = loaded.config;
    this.maybeTokenizer = loaded.tokenizer;
  }

  get config(): EncoderConfig {
    return this.network.config;
  }

  /** Where the model computes (training runs its optimizer kernels there too). */
  get backend(): Backend {
    return this.network.backend;
  }

  /** Gives back the backend memory the model holds, as LanguageModel.dispose does. */
  dispose(): void {
    releaseModelBackend(this.backend);
  }

  get hasTokenizer(): boolean {
    return this.maybeTokenizer !== null;
  }

  get tokenizer(): TextTokenizer {
    return requireTokenizer(this.maybeTokenizer, this.source.path);
  }

  /**
   * The HF outputs of a batch of rows of equal length (pad with attentionMask 0):
   * lastHiddenState [B, T, H] and, by head, poolerOutput [B, H], predictionLogits
   * [B, T, V] and seqRelationshipLogits [B, 2] (pretraining), or logits. With HF's
   * `outputAttentions` / `outputHiddenStates`, also every layer's attention maps
   * and hidden states; `captures` and `interventions` as for decoders.
   */
  async forward(inputs: EncoderInputs, options: Omit<EncoderForwardOptions, "observer"> & InspectOptions = {}): Promise<InspectedEncoderOutputs> {
    return inspectEncoderForward(this.network, inputs, options);
  }

  /** The logit lens reads a decoder's residual stream through its LM head: an encoder has none. */
  async logitLens(): Promise<never> {
    throw new InputError("the logit lens needs a decoder (an LM head reading the residual stream); this is an encoder — use tokenProbabilities for its masked-LM head");
  }

  /**
   * For each position of a text (encoded with special tokens) or of ids (with their
   * token types and padding mask, if any): the top tokens of the masked-LM head's
   * distribution there, its entropy, and the probability and rank of the token
   * actually at that position.
   */
  async tokenProbabilities(
    input: string | { readonly ids: readonly number[]; readonly tokenTypeIds?: readonly number[]; readonly attentionMask?: readonly number[] },
    options: { topK?: number } = {},
  ): Promise<PositionSummary[]> {
    const head = this.config.head;
    if (head !== "masked-lm" && head !== "pretraining") {
      throw new InputError(`token probabilities need a masked-LM head; this checkpoint is ${this.config.architecture}`);
    }
    const ids = typeof input === "string" ? this.tokenizer.encode(input) : [...input.ids];
    if (ids.length === 0) throw new InputError("the text is empty: there is no token to describe");
    const types = typeof input === "string" ? undefined : input.tokenTypeIds;
    const mask = typeof input === "string" ? undefined : input.attentionMask;
    const outputs = this.network.forward({
      inputIds: [ids],
      ...(types === undefined ? {} : { tokenTypeIds: [[...types]] }),
      ...(mask === undefined ? {} : { attentionMask: [[...mask]] }),
    });
    const logits = (head === "pretraining" ? outputs.predictionLogits : outputs.logits)!.data;
    return summarizePositions(logits, ids.length, this.config.vocabSize, options.topK ?? 5, (t) => ids[t]);
  }

  /** One sentence embedding per text: mean- or [CLS]-pooled last hidden states, optionally z-scored. */
  async embed(texts: readonly string[], options: EmbedOptions = {}): Promise<Float32Array[]> {
    if (!Array.isArray(texts) || texts.some((t) => typeof t !== "string")) throw new InputError("embed expects an array of strings");
    const pooling = checkPooling(options.pooling ?? "mean");
    const batchSize = options.batchSize ?? 16;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new OptionError("batchSize", `expected a positive integer, got ${String(batchSize)}`);
    const dim = this.config.hiddenSize;
    const zscore = options.zscore ?? null;
    if (zscore !== null && zscore.mean.length !== dim) {
      throw new InputError(`the z-score statistics have ${zscore.mean.length} dimensions but the model's embeddings have ${dim}`);
    }
    const tokenizer = this.tokenizer;
    const maxLength = maxLengthFor(this.network, tokenizer);
    const vectors: Float32Array[] = [];
    for (let first = 0; first < texts.length; first += batchSize) {
      const encodings = tokenizer.encodeBatch(texts.slice(first, first + batchSize), { padding: true, truncation: true, maxLength });
      const masks = encodings.map((e) => e.attentionMask);
      const { lastHiddenState } = this.network.forward(
        { inputIds: encodings.map((e) => e.ids), attentionMask: masks, tokenTypeIds: encodings.map((e) => e.tokenTypeIds) },
        { heads: false },
      );
      const seq = lastHiddenState.shape[1]!;
      encodings.forEach((_, b) => {
        let v = poolRow(lastHiddenState.data, b, seq, dim, masks[b], pooling);
        if (zscore !== null) v = applyZScore(v, zscore);
        vectors.push(options.normalize === true ? normalizeL2(v) : v);
      });
    }
    return vectors;
  }

  /** The masked-LM head's best tokens for each [MASK] in the text (one list per mask). */
  async fillMask(text: string, options: FillMaskOptions = {}): Promise<FillMaskPrediction[][]> {
    return fillMask(this.network, this.tokenizer, text, options);
  }

  /**
   * Label probabilities from a sequence-classification head: one result per input,
   * where an input is a text or a sentence pair [text, textPair] (so one pair is
   * classify([[a, b]]), while classify([a, b]) classifies two texts).
   */
  async classify(inputs: string | readonly ClassificationInput[], options: ClassifyOptions = {}): Promise<Classification[]> {
    const list = typeof inputs === "string" ? [inputs] : inputs;
    if (!Array.isArray(list) || !list.every((x) => typeof x === "string" || (Array.isArray(x) && x.length === 2 && x.every((y) => typeof y === "string")))) {
      throw new InputError("classify expects a text, or an array of texts and [text, textPair] pairs");
    }
    return classify(this.network, this.tokenizer, list, options);
  }

  /** Named entities of a text with their character spans, from a token-classification head. */
  async ner(text: string, options: NerOptions = {}): Promise<NamedEntity[]> {
    if (typeof text !== "string") throw new InputError("ner expects a string");
    return ner(this.network, this.tokenizer, text, options);
  }

  /** The head's training loss (as the HF class computes it), recorded on a tape; `await loss.backward()` fills the gradients. */
  async loss(batch: EncoderBatch, options: LossOptions = {}): Promise<Loss> {
    return recordLoss(this.network.backend, this.network.parameters, options, (ctx) => this.network.lossOnTape(ctx, batch, batch));
  }

  /** The same loss without recording (evaluation). */
  async evaluate(batch: EncoderBatch): Promise<number> {
    return evaluateLoss(this.network.backend, this.network.parameters, (ctx) => this.network.lossOnTape(ctx, batch, batch));
  }

  /** The trainable parameters under their Hugging Face names, sharing storage with inference. */
  namedParameters(): [string, Parameter][] {
    return this.network.parameters.named();
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Writes config.json, model.safetensors and the source folder's tokenizer files, each atomically. */
  async save(dir: string): Promise<void> {
    const tensors = this.namedParameters().map(([name, p]) => ({ name, shape: p.shape, data: p.data }));
    await writeHfFolder(dir, this.hfConfig, tensors, this.source.format === "huggingface" ? this.source.path : null);
  }

  info(): EncoderInfo {
    const c = this.network.config;
    return {
      kind: "encoder",
      architecture: c.architecture,
      modelType: c.modelType,
      head: c.head,
      layers: c.numLayers,
      hiddenSize: c.hiddenSize,
      heads: c.numHeads,
      kvHeads: c.numHeads,
      headDim: c.headDim,
      intermediateSize: c.intermediateSize,
      contextLength: this.network.maxLength,
      vocabSize: c.vocabSize,
      typeVocabSize: c.typeVocabSize,
      labels: c.labels,
      parameters: this.network.parameterCount,
      parametersEstimate: 12 * c.numLayers * c.hiddenSize * c.hiddenSize,
      source: this.source,
    };
  }
}

/** Loads an encoder (config.json model_type "bert") from a Hugging Face folder. */
export async function loadEncoderModel(path: string, options: EncoderLoadOptions = {}): Promise<EncoderModel> {
  return new EncoderModel(await loadEncoder(path, options));
}
