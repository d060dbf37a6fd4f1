// The object loadModel returns for a recurrent language model (config.json
// model_type "rnn": Elman, LSTM or GRU layers between an embedding and an LM
// head, PyTorch's parameter names), and createModel for a new one. It offers the
// decoders' API — logits at every position, streamed generation (carrying the
// hidden state from token to token, never recomputing), loss on an autograd
// tape, parameters by name, saving — so the same training loop, evaluation and
// CLI commands work on it.

import { releaseModelBackend } from "./backend/select.js";
import type { Parameter } from "./autograd/variable.js";
import type { Backend } from "./backend/backend.js";
import { InputError, OptionError } from "./errors.js";
import { generate, type GenerateOptions, type GenerationPiece, type GenerationResult, type Prompt } from "./generation/generate.js";
import type { ModelSource } from "./io/load-decoder.js";
import type { LoadedRecurrent, RecurrentLoadOptions } from "./io/load-recurrent.js";
import type { Batch, Logits } from "./language-model.js";
import type { JsonObject } from "./models/config-reader.js";
import { torchDefaultInitializer } from "./models/recurrent/initialize.js";
import { buildRecurrent, type RecurrentNetwork } from "./models/recurrent/rnn-lm.js";
import { parseRecurrentConfig, type CellType, type RecurrentConfig } from "./models/recurrent/rnn-config.js";
import type { TapeContext } from "./nn/tape-context.js";
import { requireTokenizer, type Tokenizer } from "./tokenizers/tokenizer.js";
import { characterTokenizer } from "./training/datasets/char-tokenizer.js";
import { evaluateLoss, recordLoss, type Loss, type LossOptions } from "./training/tape-loss.js";

export interface RecurrentInfo {
  readonly kind: "recurrent";
  /** "rnn" (config.json model_type) */
  readonly architecture: string;
  readonly cell: CellType;
  readonly layers: number;
  readonly embeddingDim: number;
  readonly hiddenSize: number;
  /** The window the model was trained on (max_position_embeddings), or null; a recurrent network itself reads any length. */
  readonly contextLength: number | null;
  readonly vocabSize: number;
  /** Exact count of distinct parameters (a tied head once). */
  readonly parameters: number;
  /** The parameters of the recurrent layers alone (W_ih, W_hh and their biases). */
  readonly recurrentParameters: number;
  /** A transformer's rule of thumb 12 · n_layers · d_model² at this depth and width, for comparison. */
  readonly parametersEstimate: number;
  readonly source: ModelSource;
}

export class RnnLanguageModel {
  readonly kind = "recurrent" as const;
  readonly network: RecurrentNetwork;
  readonly source: ModelSource;
  /** The config.json fields the model was built from. */
  readonly hfConfig: JsonObject;
  private readonly maybeTokenizer: Tokenizer | null;

  constructor(loaded: Omit<LoadedRecurrent, "characters">) {
    this.network = loaded.network;
    this.source = loaded.source;
    this.hfConfig = loaded.config;
    this.maybeTokenizer = loaded.tokenizer;
  }

  get config(): RecurrentConfig {
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

  /** Logits at every position of each row of ids (rows of equal length), each row from the zero state. */
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
    const { vocabSize } = this.config;
    const data = new Float32Array(batch.length * seq * vocabSize);
    const state = this.network.acquireState(seq);
    try {
      batch.forEach((row, b) => {
        state.cache.reset();
        this.network.forward(row, state.cache, data.subarray(b * seq * vocabSize, (b + 1) * seq * vocabSize), "all");
      });
    } finally {
      this.network.releaseState(state);
    }
    return { data, shape: [batch.length, seq, vocabSize] };
  }

  /**
   * Streams generated text piece by piece, feeding each new token to the carried
   * hidden state (one step per token). The options and errors are the decoders',
   * except that there is no context window: give maxTokens.
   */
  generate(prompt: Prompt, options: GenerateOptions = {}): AsyncGenerator<GenerationPiece, GenerationResult> {
    return generate(this.network, this.maybeTokenizer, prompt, options);
  }

  /**
   * Mean next-token cross-entropy of the batch, recorded on an autograd tape
   * (backpropagation through time); `await loss.backward()` then fills `grad` of
   * every parameter. The model's own dropout (config) needs options.random.
   */
  async loss(batch: Batch, options: LossOptions = {}): Promise<Loss> {
    const { backend, parameters } = this.network;
    const compute = (ctx: TapeContext) => this.network.lossOnTape(ctx, batch.inputIds, batch.targets);
    return recordLoss(backend, parameters, options, compute, this.config.dropout);
  }

  /** The mean loss of the batch without recording anything (evaluation). */
  async evaluate(batch: Batch): Promise<number> {
    const { backend, parameters } = this.network;
    return evaluateLoss(backend, parameters, (ctx) => this.network.lossOnTape(ctx, batch.inputIds, batch.targets));
  }

  /** The trainable parameters under PyTorch's names (embedding.weight, rnn.weight_ih_l0, …); `data` is what inference computes with. */
  namedParameters(): [string, Parameter][] {
    return this.network.parameters.named();
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Writes config.json and model.safetensors (torch names), plus the tokenizer files of the folder it was loaded from. */
  async save(dir: string): Promise<void> {
    const tensors = this.namedParameters().map(([name, p]) => ({ name, shape: p.shape, data: p.data }));
    const { writeHfFolder } = await import("./io/hf-folder-writer.js");
    await writeHfFolder(dir, this.hfConfig, tensors, this.source.format === "huggingface" ? this.source.path : null);
  }

  info(): RecurrentInfo {
    const c = this.config;
    const recurrentParameters = this.namedParameters()
      .filter(([name]) => name.startsWith("rnn."))
      .reduce((sum, [, p]) => sum + p.size, 0);
    return {
      kind: "recurrent",
      architecture: c.modelType,
      cell: c.cell,
      layers: c.numLayers,
      embeddingDim: c.embeddingDim,
      hiddenSize: c.hiddenSize,
      contextLength: c.trainedContext,
      vocabSize: c.vocabSize,
      parameters: this.network.parameterCount,
      recurrentParameters,
      parametersEstimate: 12 * c.numLayers * c.hiddenSize * c.hiddenSize,
      source: this.source,
    };
  }
}

/** A recurrent model from a folder (config.json model_type "rnn"), with its tokenizer or character vocabulary. */
export async function loadRecurrentModel(
  dir: string,
  options: RecurrentLoadOptions & { backend: Backend; adapter?: string },
): Promise<RnnLanguageModel> {
  if (options.adapter !== undefined) {
    throw new OptionError("adapter", `${dir} is a recurrent model; LoRA adapters attach to the linear layers of transformer decoders`);
  }
  const { loadRecurrent } = await import("./io/load-recurrent.js");
  const loaded = await loadRecurrent(dir, options);
  const tokenizer = loaded.characters === null ? loaded.tokenizer : characterTokenizer(loaded.characters);
  return new RnnLanguageModel({ ...loaded, tokenizer });
}

/** A new recurrent model from config.json fields, with torch's default initial distributions from `seed`. */
export function createRecurrentModel(config: JsonObject, options: { backend: Backend; seed: number; tokenizer: Tokenizer | null }): RnnLanguageModel {
  const parsed = parseRecurrentConfig(config, "createModel config");
  if (options.tokenizer !== null && options.tokenizer.vocabSize > parsed.vocabSize) {
    throw new InputError(`the tokenizer has ${options.tokenizer.vocabSize} ids but vocab_size is ${parsed.vocabSize}`);
  }
  const network = buildRecurrent(parsed, new Map(), "createModel", options.backend, torchDefaultInitializer(options.seed, parsed));
  const source = { path: "", format: "created" as const, dtypes: ["F32"], fileBytes: 0 };
  return new RnnLanguageModel({ network, tokenizer: options.tokenizer, source, config });
}
