// The object `loadModel` returns for an encoder–decoder model (T5, BART, Marian,
// the original Transformer): the network, its tokenizer and generation defaults,
// and the public operations on them — Hugging Face's forward outputs of a padded
// batch, streamed generation, whole sequences with beam search, the translation
// and summarisation helpers, and training (teacher-forced loss on a tape,
// parameters by HF name, saving in the folder layout the loader reads).

import { releaseModelBackend } from "./backend/select.js";
import type { Parameter } from "./autograd/variable.js";
import { InputError, OptionError } from "./errors.js";
import type { GenerationPiece } from "./generation/generate.js";
import { generateSeq2Seq, generateSequences, type GeneratedSequence, type Seq2SeqGenerationResult, type Seq2SeqInput } from "./generation/seq2seq-generate.js";
import type { GenerationDefaults, Seq2SeqGenerateOptions, SequenceGenerationOptions } from "./generation/seq2seq-options.js";
import type { ModelSource } from "./io/load-decoder.js";
import type { LoadedSeq2Seq, Seq2SeqLoadOptions } from "./io/load-seq2seq.js";
import type { JsonObject } from "./models/config-reader.js";
import type { Seq2SeqBatch, Seq2SeqConfig, Seq2SeqNetwork } from "./models/seq2seq/encoder-decoder.js";
import type { CapturedValue, CapturePoint, ForwardObserver } from "./nn/observer.js";
import { summarize, translate, type SummarizeOptions, type TranslateOptions } from "./pipelines/text2text.js";
import { requireTokenizer, type Tokenizer } from "./tokenizers/tokenizer.js";
import { evaluateLoss, recordLoss, type Loss, type LossOptions } from "./training/tape-loss.js";

export type { GeneratedSequence, Seq2SeqGenerationResult, Seq2SeqInput } from "./generation/seq2seq-generate.js";
export type { Seq2SeqGenerateOptions, SequenceGenerationOptions } from "./generation/seq2seq-options.js";
export type { Seq2SeqBatch } from "./models/seq2seq/encoder-decoder.js";

/** Rows of equal length (pad the inputs with attentionMask 0); decoder inputs start with the decoder start token. */
export interface Seq2SeqForwardInputs {
  /** [batch][sourceLength] */
  readonly inputIds: readonly (readonly number[])[];
  /** [batch][sourceLength]: 1 for tokens, 0 for padding (default all 1). */
  readonly attentionMask?: readonly (readonly number[])[];
  /** [batch][targetLength] */
  readonly decoderInputIds: readonly (readonly number[])[];
  /** Also return each decoder layer's cross-attention probabilities. */
  readonly outputAttentions?: boolean;
}

/** A row-major float32 array and its shape. */
export interface OutputArray {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** Hugging Face's Seq2SeqLMOutput fields, camelCased. */
export interface Seq2SeqOutputs {
  /** [batch, targetLength, vocab] */
  readonly logits: OutputArray;
  /** [batch, sourceLength, hidden] (padding positions computed as transformers does; only real tokens are meaningful) */
  readonly encoderLastHiddenState: OutputArray;
  /** Per decoder layer [batch, heads, targetLength, sourceLength], with outputAttentions. */
  readonly crossAttentions?: OutputArray[];
}

export interface Seq2SeqLossOptions extends LossOptions {
  /** ε of label smoothing (Szegedy et al. 2016): targets (1 − ε)·onehot + ε/vocab; default 0. */
  labelSmoothing?: number;
}

export interface Seq2SeqInfo {
  readonly kind: "seq2seq";
  readonly architecture: string;
  readonly encoderLayers: number;
  readonly decoderLayers: number;
  readonly hiddenSize: number;
  readonly heads: number;
  readonly headDim: number;
  readonly intermediateSize: number;
  /** Longest input / decoder sequence. */
  readonly maxSourcePositions: number;
  readonly maxTargetPositions: number;
  readonly vocabSize: number;
  /** Exact count of distinct parameters (tied weights once). */
  readonly parameters: number;
  readonly source: ModelSource;
}

const FORWARD_KEYS = new Set(["inputIds", "attentionMask", "decoderInputIds", "outputAttentions"]);

export class Seq2SeqModel {
  readonly kind = "seq2seq" as const;
  readonly network: Seq2SeqNetwork;
  readonly source: ModelSource;
  /** The config.json fields the model was built from. */
  readonly hfConfig: JsonObject;
  /** generation_config.json's fields, when the folder had one. */
  readonly generationConfig: JsonObject | null;
  /** The generation parameters the model's files set (defaults of generate and generateSequences). */
  readonly generationDefaults: GenerationDefaults;
  private readonly maybeTokenizer: Tokenizer | null;

  constructor(loaded: LoadedSeq2Seq) {
    this.network = loaded.network;
    this.source = loaded.source;
    this.hfConfig = loaded.config;
    this.generationConfig = loaded.generationConfig;
    this.generationDefaults = loaded.generationDefaults;
    this.maybeTokenizer = loaded.tokenizer;
  }

  get config(): Seq2SeqConfig {
    return this.network.config;
  }

  /** Gives back the backend memory the model holds, as LanguageModel.dispose does. */
  dispose(): void {
    releaseModelBackend(this.network.backend);
  }

  get hasTokenizer(): boolean {
    return this.maybeTokenizer !== null;
  }

  get tokenizer(): Tokenizer {
    return requireTokenizer(this.maybeTokenizer, this.source.path);
  }

  /**
   * The logits of every decoder position and the encoder's last hidden state for a
   * batch (teacher forcing: the decoder reads decoderInputIds), and with
   * outputAttentions each decoder layer's cross-attention probabilities.
   */
  async forward(inputs: Seq2SeqForwardInputs): Promise<Seq2SeqOutputs> {
    if (typeof inputs !== "object" || inputs === null) throw new InputError("forward expects { inputIds, attentionMask?, decoderInputIds }");
    for (const key of Object.keys(inputs)) if (!FORWARD_KEYS.has(key)) throw new InputError(`forward: unknown input "${key}" (known: ${[...FORWARD_KEYS].join(", ")})`);
    const { inputIds, decoderInputIds } = inputs;
    const labels = Array.isArray(decoderInputIds) ? decoderInputIds.map((row) => (Array.isArray(row) ? row.map(() => -100) : row)) : decoderInputIds;
    const network = this.network;
    // The training-batch check covers shapes, ids and masks.
    network.checkBatch({ inputIds, attentionMask: inputs.attentionMask, decoderInputIds, labels });
    const { hiddenSize: dim, vocabSize, decoderLayers, decoderHeads } = network.config;
    const batch = inputIds.length;
    const source = inputIds[0]!.length;
    const target = decoderInputIds[0]!.length;
    const logits = new Float32Array(batch * target * vocabSize);
    const hidden = new Float32Array(batch * source * dim);
    const maps = inputs.outputAttentions === true ? Array.from({ length: decoderLayers }, () => new Float32Array(batch * decoderHeads * target * source)) : null;
    for (let b = 0; b < batch; b++) {
      const encoded = network.encode(inputIds[b]!, inputs.attentionMask?.[b] ?? null);
      const state = network.acquireState(target, target);
      try {
        hidden.set(encoded.states.subarray(0, source * dim), b * source * dim);
        const observer = maps === null ? null : crossAttentionCollector(maps, b, decoderHeads, target, source);
        network.decode(decoderInputIds[b]!, state, encoded, logits.subarray(b * target * vocabSize, (b + 1) * target * vocabSize), "all", observer);
      } finally {
        network.releaseState(state);
        network.releaseEncoded(encoded);
      }
    }
    const out: { logits: OutputArray; encoderLastHiddenState: OutputArray; crossAttentions?: OutputArray[] } = {
      logits: { data: logits, shape: [batch, target, vocabSize] },
      encoderLastHiddenState: { data: hidden, shape: [batch, source, dim] },
    };
    if (maps !== null) out.crossAttentions = maps.map((data) => ({ data, shape: [batch, decoderHeads, target, source] }));
    return out;
  }

  /**
   * Streams the output for one input (a text, or { ids }) piece by piece, greedy or
   * sampled; each piece carries its token id (the decoder start token is not emitted).
   */
  generate(input: Seq2SeqInput, options: Seq2SeqGenerateOptions = {}): AsyncGenerator<GenerationPiece, Seq2SeqGenerationResult> {
    return generateSeq2Seq(this.network, this.maybeTokenizer, input, options, this.generationDefaults);
  }

  /**
   * Whole output sequences, best first, with transformers' scores: beam search when
   * numBeams > 1 (default: the generation config's), else greedy or sampled. One
   * input gives a list; an array of inputs gives a list per input.
   */
  async generateSequences(input: Seq2SeqInput, options?: SequenceGenerationOptions): Promise<GeneratedSequence[]>;
  async generateSequences(inputs: readonly Seq2SeqInput[], options?: SequenceGenerationOptions): Promise<GeneratedSequence[][]>;
  async generateSequences(inputs: Seq2SeqInput | readonly Seq2SeqInput[], options: SequenceGenerationOptions = {}): Promise<GeneratedSequence[] | GeneratedSequence[][]> {
    if (Array.isArray(inputs)) {
      if (inputs.length === 0) throw new InputError("generateSequences was given an empty list of inputs");
      return generateSequences(this.network, this.maybeTokenizer, inputs as readonly Seq2SeqInput[], options, this.generationDefaults);
    }
    return generateSequences(this.network, this.maybeTokenizer, [inputs as Seq2SeqInput], options, this.generationDefaults)[0]!;
  }

  /** Translates a text (or each of several): T5's task prefix when the model has one for the language pair. */
  async translate(text: string, options?: TranslateOptions): Promise<string>;
  async translate(texts: readonly string[], options?: TranslateOptions): Promise<string[]>;
  async translate(texts: string | readonly string[], options: TranslateOptions = {}): Promise<string | string[]> {
    return translate(this, texts, options);
  }

  /** Summarises a text (or each of several), with T5's "summarize: " prefix and the model's summarisation settings. */
  async summarize(text: string, options?: SummarizeOptions): Promise<string>;
  async summarize(texts: readonly string[], options?: SummarizeOptions): Promise<string[]>;
  async summarize(texts: string | readonly string[], options: SummarizeOptions = {}): Promise<string | string[]> {
    return summarize(this, texts, options);
  }

  /** Mean cross-entropy of the labels (teacher forcing), recorded on a tape; `await loss.backward()` fills the gradients. */
  async loss(batch: Seq2SeqBatch, options: Seq2SeqLossOptions = {}): Promise<Loss> {
    const { labelSmoothing, ...lossOptions } = options;
    const smoothing = labelSmoothing ?? 0;
    if (!(smoothing >= 0 && smoothing < 1)) throw new OptionError("labelSmoothing", `expected a number in [0, 1), got ${String(labelSmoothing)}`);
    return recordLoss(this.network.backend, this.network.parameters, lossOptions, (ctx) => this.network.lossOnTape(ctx, batch, smoothing));
  }

  /** The mean cross-entropy of the labels without recording (evaluation; no label smoothing). */
  async evaluate(batch: Seq2SeqBatch): Promise<number> {
    return evaluateLoss(this.network.backend, this.network.parameters, (ctx) => this.network.lossOnTape(ctx, batch));
  }

  /** The trainable parameters under their Hugging Face names, sharing storage with inference. */
  namedParameters(): [string, Parameter][] {
    return this.network.parameters.named();
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Writes config.json, generation_config.json (when the model has one), model.safetensors and the source folder's tokenizer files. */
  async save(dir: string): Promise<void> {
    const [{ writeHfFolder }, { writeFileAtomic }, { join }] = await Promise.all([import("./io/hf-folder-writer.js"), import("./io/file-bytes.js"), import("node:path")]);
    const tensors = this.namedParameters().map(([name, p]) => ({ name, shape: p.shape, data: p.data }));
    await writeHfFolder(dir, this.hfConfig, tensors, this.source.format === "huggingface" ? this.source.path : null);
    if (this.generationConfig !== null) {
      await writeFileAtomic(join(dir, "generation_config.json"), [new TextEncoder().encode(`${JSON.stringify(this.generationConfig, null, 2)}\n`)]);
    }
  }

  info(): Seq2SeqInfo {
    const c = this.network.config;
    return {
      kind: "seq2seq",
      architecture: c.modelType,
      encoderLayers: c.encoderLayers,
      decoderLayers: c.decoderLayers,
      hiddenSize: c.hiddenSize,
      heads: c.encoderHeads,
      headDim: c.headDim,
      intermediateSize: c.encoderFfnDim,
      maxSourcePositions: c.maxSourcePositions,
      maxTargetPositions: c.maxTargetPositions,
      vocabSize: c.vocabSize,
      parameters: this.network.parameterCount,
      source: this.source,
    };
  }
}

/** An observer that writes each decoder layer's cross-attention pattern of row `b` into maps[layer] [batch, heads, target, source]. */
function crossAttentionCollector(maps: Float32Array[], b: number, heads: number, target: number, source: number): ForwardObserver {
  return {
    wants: (_layer: number, point: CapturePoint) => point === "cross_attn.pattern",
    visit(layer: number, point: CapturePoint, value: CapturedValue) {
      if (point !== "cross_attn.pattern") return;
      const map = maps[layer]!;
      for (let h = 0; h < heads; h++) {
        for (let i = 0; i < value.rows; i++) {
          const from = (h * value.rows + i) * source;
          map.set(value.data.subarray(from, from + source), ((b * heads + h) * target + value.position + i) * source);
        }
      }
    },
  };
}

/** Loads an encoder–decoder model from a Hugging Face folder. */
export async function loadSeq2SeqModel(path: string, options: Seq2SeqLoadOptions = {}): Promise<Seq2SeqModel> {
  const { loadSeq2Seq } = await import("./io/load-seq2seq.js");
  return new Seq2SeqModel(await loadSeq2Seq(path, options));
}
