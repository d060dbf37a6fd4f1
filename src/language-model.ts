// The object `loadModel` returns: a decoder network, its tokenizer, and the
// public operations on them — logits at every position, streamed generation, a
// description of the model, and training (loss on an autograd tape, parameters
// by Hugging Face name, saving in the folder layout the loader reads). The file
// readers and writers (Node's fs) are imported when a method first needs them, so
// this module also loads in browsers (src/browser.ts).

import type { Parameter } from "./autograd/variable.js";
import type { Backend, RopeLayout } from "./backend/backend.js";
import { sharedBackend, type BackendName } from "./backend/select.js";
import { InputError } from "./errors.js";
import { generate, type GenerateOptions, type GenerationPiece, type GenerationResult, type Prompt } from "./generation/generate.js";
import type { EncoderModel } from "./encoder-model.js";
import { permuteMetaToHf } from "./io/llama-rotary-permute.js";
import type { LoadedDecoder, LoadOptions, ModelSource } from "./io/load-decoder.js";
import { attachLora, mergeLora, type AttachedLora, type LoraOptions } from "./models/lora.js";
import type { TapeContext } from "./nn/tape-context.js";
import type { JsonObject } from "./models/config-reader.js";
import type { DecoderConfig, DecoderOnlyModel } from "./models/decoder-only.js";
import { gpt2StyleInitializer } from "./models/initialize.js";
import { blueprintFor } from "./models/registry.js";
import { requireTokenizer, type Tokenizer } from "./tokenizers/tokenizer.js";
import { evaluateLoss, recordLoss, type Loss, type LossOptions } from "./training/tape-loss.js";

export type { Loss, LossOptions } from "./training/tape-loss.js";

/** Rows of token ids and their next-token targets ([batch][seq] each); a target of −100 does not count. */
export interface Batch {
  readonly inputIds: readonly (readonly number[])[];
  readonly targets: readonly (readonly number[])[];
}

/** Where a model computes: a backend, or its name ("auto", the default, is wasm where WebAssembly SIMD runs, else js). */
export interface BackendChoice {
  backend?: Backend | BackendName;
  /** Threads of the wasm backend (default: the available cores). */
  threads?: number;
}

export interface CreateOptions extends BackendChoice {
  /** Seed of the initial weights (default 0). */
  seed?: number;
  tokenizer?: Tokenizer;
}

export type ModelOptions = Omit<LoadOptions, "backend"> & BackendChoice;

/** The backend a choice names; named ones are shared across the process. */
export async function resolveBackend(choice: BackendChoice = {}): Promise<Backend> {
  const { backend, threads } = choice;
  if (typeof backend === "object") return backend;
  return sharedBackend(threads === undefined ? { backend: backend ?? "auto" } : { backend: backend ?? "auto", threads });
}


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
  readonly kind = "decoder";
  readonly network: DecoderOnlyModel;
  readonly source: ModelSource;
  /** The config.json fields the model was built from. */
  readonly hfConfig: JsonObject;
  private readonly ropeLayout: RopeLayout;
  private readonly maybeTokenizer: Tokenizer | null;
  private lora: AttachedLora | null = null;

  constructor(loaded: LoadedDecoder) {
    this.network = loaded.network;
    this.source = loaded.source;
    this.hfConfig = loaded.config;
    this.ropeLayout = loaded.ropeLayout;
    this.maybeTokenizer = loaded.tokenizer;
  }

  get config(): DecoderConfig {
    return this.network.config;
  }

  /** Where the model computes (training runs its optimizer kernels there too). */
  get backend(): Backend {
    return this.network.backend;
  }

  get hasTokenizer(): boolean {
    return this.maybeTokenizer !== null;
  }

  get tokenizer(): Tokenizer {
    return requireTokenizer(this.maybeTokenizer, this.source.path);
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

  /** Streams generated text piece by piece; the iterator's return value says why it stopped. */
  generate(prompt: Prompt, options: GenerateOptions = {}): AsyncGenerator<GenerationPiece, GenerationResult> {
    return generate(this.network, this.maybeTokenizer, prompt, options);
  }

  /**
   * Mean next-token cross-entropy of the batch, recorded on an autograd tape.
   * `await loss.backward()` then fills `grad` of every parameter.
   */
  async loss(batch: Batch, options: LossOptions = {}): Promise<Loss> {
    const { backend, parameters } = this.network;
    const compute = (ctx: TapeContext) => this.network.lossOnTape(ctx, batch.inputIds, batch.targets);
    return recordLoss(backend, parameters, options, compute, this.lora?.options.dropout ?? 0);
  }

  /** The mean loss of the batch without recording anything (evaluation). */
  async evaluate(batch: Batch): Promise<number> {
    const { backend, parameters } = this.network;
    return evaluateLoss(backend, parameters, (ctx) => this.network.lossOnTape(ctx, batch.inputIds, batch.targets));
  }

  /**
   * The trainable parameters under their Hugging Face names; `data` is what
   * inference computes with. While LoRA adapters are attached, only theirs
   * (PEFT names): the base model is frozen.
   */
  namedParameters(): [string, Parameter][] {
    return (this.lora?.parameters ?? this.network.parameters).named();
  }

  /** Attaches new LoRA adapters (PEFT initialisation) and freezes the base weights. */
  addLora(options: LoraOptions): void {
    this.lora = attachLora(this.network, options);
  }

  /** Attaches a saved PEFT LoRA adapter (a folder with adapter_config.json and adapter_model.safetensors). */
  async loadAdapter(dir: string): Promise<void> {
    const { readAdapter } = await import("./io/peft-adapter.js");
    const { options, tensors } = await readAdapter(dir);
    this.lora = attachLora(this.network, options, tensors);
  }

  /** Writes the attached adapters in the PEFT layout. */
  async saveAdapter(dir: string): Promise<void> {
    if (this.lora === null) throw new InputError("there is no LoRA adapter to save; call addLora or loadAdapter first");
    const [{ mkdir }, { writeAdapter }] = await Promise.all([import("node:fs/promises"), import("./io/peft-adapter.js")]);
    await mkdir(dir, { recursive: true });
    await writeAdapter(dir, this.lora, this.source.path);
  }

  /** Folds the adapters into the base weights (W += scaling·B·A) and detaches them. */
  mergeLora(): void {
    if (this.lora === null) throw new InputError("there is no LoRA adapter to merge");
    mergeLora(this.network, this.lora);
    this.lora = null;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /**
   * Writes the model in the Hugging Face layout loadModel reads: config.json and
   * model.safetensors (q/k rows in HF's rotate-half layout), plus the tokenizer
   * files of the folder it was loaded from. Each file is written atomically.
   */
  async save(dir: string): Promise<void> {
    if (this.lora !== null) throw new InputError("merge the LoRA adapters (mergeLora) or save them with saveAdapter first");
    const named = this.namedParameters();
    const stored = named.reduce((sum, [, p]) => sum + p.size, 0);
    if (stored !== this.network.parameterCount) {
      throw new InputError("this model has quantized weights, which cannot be saved as float32 safetensors");
    }
    const { numHeads, numKvHeads, hiddenSize } = this.network.config;
    const tensors = named.map(([name, p]) => {
      let data = p.data;
      if (this.ropeLayout === "interleaved" && /\.self_attn\.[qk]_proj\.weight$/.test(name)) {
        data = permuteMetaToHf(data, name.includes(".q_proj.") ? numHeads : numKvHeads, hiddenSize);
      }
      return { name, shape: p.shape, data };
    });
    const { writeHfFolder } = await import("./io/hf-folder-writer.js");
    await writeHfFolder(dir, this.hfConfig, tensors, this.source.format === "huggingface" ? this.source.path : null);
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

/**
 * Loads the model a Hugging Face folder or llama2.c .bin file / folder holds: a
 * LanguageModel for decoders, an EncoderModel for BERT (`model.kind` tells which
 * at run time; in TypeScript name the one you expect: `loadModel<EncoderModel>(dir)`).
 */
export async function loadModel<M extends LanguageModel | EncoderModel = LanguageModel>(
  path: string,
  options: ModelOptions = {},
): Promise<M> {
  const resolved = { ...options, backend: await resolveBackend(options) };
  const [{ isEncoderFolder }, { loadDecoder }] = await Promise.all([import("./io/load-encoder.js"), import("./io/load-decoder.js")]);
  if (await isEncoderFolder(path)) return (await (await import("./encoder-model.js")).loadEncoderModel(path, resolved)) as M;
  const model = new LanguageModel(await loadDecoder(path, resolved));
  if (options.adapter !== undefined) await model.loadAdapter(options.adapter);
  return model as M;
}

/**
 * A new model from config.json fields (any supported model_type: a LanguageModel,
 * or an EncoderModel for "bert"), with seeded GPT-2-style initial weights (see
 * models/initialize.ts). In TypeScript, name an encoder: `createModel<EncoderModel>(…)`.
 */
export async function createModel<M extends LanguageModel | EncoderModel = LanguageModel>(
  config: JsonObject,
  options: CreateOptions = {},
): Promise<M> {
  const backend = await resolveBackend(options);
  const seed = options.seed ?? 0;
  const source = { path: "", format: "created" as const, dtypes: ["F32"], fileBytes: 0 };
  const { asTextTokenizer, encoderBlueprintFor, isEncoderModelType } = await import("./io/load-encoder.js");
  if (isEncoderModelType(config["model_type"])) {
    const { EncoderModel } = await import("./encoder-model.js");
    const blueprint = encoderBlueprintFor(config, "createModel config");
    const network = blueprint.build(new Map(), "createModel", backend, gpt2StyleInitializer(seed, blueprint.config.numLayers));
    const tokenizer = options.tokenizer === undefined ? null : asTextTokenizer(options.tokenizer, "createModel tokenizer");
    return new EncoderModel({ network, tokenizer, source, config }) as M;
  }
  const blueprint = blueprintFor(config, "createModel config");
  const initializer = gpt2StyleInitializer(seed, blueprint.config.numLayers);
  const network = blueprint.build(new Map(), "createModel", { backend, ropeLayout: "half", initializer });
  return new LanguageModel({ network, tokenizer: options.tokenizer ?? null, source, config, ropeLayout: "half" }) as M;
}
