// The object `loadModel` returns: a decoder network, its tokenizer, and the
// public operations on them — logits at every position, streamed generation,
// and a description of the model.

import { InputError } from "./errors.js";
import { generate, type GenerateOptions, type GenerationPiece, type GenerationResult, type Prompt } from "./generation/generate.js";
import { loadDecoder, type LoadedDecoder, type LoadOptions, type ModelSource } from "./io/load-decoder.js";
import type { DecoderConfig, DecoderOnlyModel } from "./models/decoder-only.js";
import type { Tokenizer } from "./tokenizers/tokenizer.js";

export interface Logits {
  /** [batch, seq, vocab], row-major */
  readonly data: Float32Array;
  readonly shape: readonly [number, number, number];
}

export interface ModelInfo {
  readonly architecture: string;
  readonly layers: number;
  readonly hiddenSize: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly intermediateSize: number;
  readonly contextLength: number;
  readonly vocabSize: number;
  /** Exact count of distinct parameters (tied weights once). */
  readonly parameters: number;
  /** The rule-of-thumb 12 · n_layers · d_model² (attention 4d² + MLP 8d² per layer, no embeddings). */
  readonly parametersEstimate: number;
  readonly source: ModelSource;
}

export class LanguageModel {
  readonly network: DecoderOnlyModel;
  readonly source: ModelSource;
  private readonly maybeTokenizer: Tokenizer | null;

  constructor(loaded: LoadedDecoder) {
    this.network = loaded.network;
    this.source = loaded.source;
    this.maybeTokenizer = loaded.tokenizer;
  }

  get config(): DecoderConfig {
    return this.network.config;
  }

  get hasTokenizer(): boolean {
    return this.maybeTokenizer !== null;
  }

  get tokenizer(): Tokenizer {
    if (this.maybeTokenizer === null) {
      throw new InputError(`${this.source.path} has no tokenizer; load it with { tokenizer: "<file or folder>" }`);
    }
    return this.maybeTokenizer;
  }

  /** Logits at every position of each row of ids (rows of equal length, no padding). */
  async forward(batch: readonly (readonly number[])[]): Promise<Logits> {
    if (!Array.isArray(batch) || batch.length === 0 || !batch.every((row) => Array.isArray(row))) {
      throw new InputError("forward expects a non-empty array of rows of token ids, e.g. [[1, 2, 3]]");
    }
    const seq = batch[0]!.length;
    if (seq === 0) throw new InputError("forward expects at least one token per row");
    const ragged = batch.findIndex((row) => row.length !== seq);
    if (ragged !== -1) {
      throw new InputError(`row ${ragged} has ${batch[ragged]!.length} ids but row 0 has ${seq}: rows must have equal length`);
    }
    const { vocabSize, contextLength } = this.network.config;
    if (seq > contextLength) throw new InputError(`rows have ${seq} ids, more than the context window of ${contextLength}`);
    const data = new Float32Array(batch.length * seq * vocabSize);
    const cache = this.network.createCache(seq);
    batch.forEach((row, b) => {
      cache.reset();
      this.network.forward(row, cache, data.subarray(b * seq * vocabSize, (b + 1) * seq * vocabSize), "all");
    });
    return { data, shape: [batch.length, seq, vocabSize] };
  }

  /** Streams generated text piece by piece; the iterator's return value says why it stopped. */
  generate(prompt: Prompt, options: GenerateOptions = {}): AsyncGenerator<GenerationPiece, GenerationResult> {
    return generate(this.network, this.maybeTokenizer, prompt, options);
  }

  info(): ModelInfo {
    const c = this.network.config;
    return {
      architecture: c.modelType,
      layers: c.numLayers,
      hiddenSize: c.hiddenSize,
      heads: c.numHeads,
      kvHeads: c.numKvHeads,
      headDim: c.headDim,
      intermediateSize: c.intermediateSize,
      contextLength: c.contextLength,
      vocabSize: c.vocabSize,
      parameters: this.network.parameterCount,
      parametersEstimate: 12 * c.numLayers * c.hiddenSize * c.hiddenSize,
      source: this.source,
    };
  }
}

/** Loads a model from a Hugging Face folder, or a llama2.c .bin file / folder. */
export async function loadModel(path: string, options: LoadOptions = {}): Promise<LanguageModel> {
  return new LanguageModel(await loadDecoder(path, options));
}
