// The object `loadModel` returns: a decoder network, its tokenizer, and the
// public operations on them — logits at every position, streamed generation, a
// description of the model, and training (loss on an autograd tape, parameters
// by Hugging Face name, saving in the folder layout the loader reads). The file
// readers and writers (Node's fs) are imported when a method first needs them, so
// this module also loads in browsers (src/browser.ts).

import type { Parameter } from "./autograd/variable.js";
import type { Backend, RopeLayout } from "./backend/backend.js";
import { modelBackend, releaseModelBackend, type BackendName } from "./backend/select.js";
import { ChatFormat } from "./chat/chat-format.js";
import { ChatSession, type ChatOptions } from "./chat/session.js";
import { InputError, OptionError } from "./errors.js";
import { generate, promptIds, type GenerateOptions, type GenerationPiece, type GenerationResult, type Prompt } from "./generation/generate.js";
import type { EncoderModel } from "./encoder-model.js";
import type { RnnLanguageModel } from "./recurrent-model.js";
import type { Seq2SeqModel } from "./seq2seq-model.js";
import { permuteMetaToHf } from "./io/llama-rotary-permute.js";
import type { HubFetchOptions } from "./io/hub/snapshot.js";
import type { LoadedDecoder, LoadOptions, ModelSource } from "./io/load-decoder.js";
import { attachLora, mergeLora, type AttachedLora, type LoraOptions } from "./models/lora.js";
import type { TapeContext } from "./nn/tape-context.js";
import type { JsonObject } from "./models/config-reader.js";
import type { DecoderConfig, DecoderOnlyModel } from "./models/decoder-only.js";
import { gpt2StyleInitializer } from "./models/initialize.js";
import { redrawPerformerFeatures } from "./models/lmscope/decoder.js";
import { blueprintFor } from "./models/registry.js";
import { selectCaptureSites, type CaptureSelector } from "./inspect/capture-names.js";
import { inspectForward, interventionObserver, logitLens, type InspectOptions } from "./inspect/decoder-inspection.js";
import type { Intervention } from "./inspect/interventions.js";
import { estimateCaptureBytes, type CapturedArray } from "./inspect/recorder.js";
import { summarizePositions, type PositionSummary } from "./inspect/token-probabilities.js";
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

export type ModelOptions = Omit<LoadOptions, "backend"> &
  BackendChoice & {
    /** How a hub id is fetched: cache folder, endpoint, token, offline, progress (defaults: the HF_* environment variables). */
    hub?: HubFetchOptions;
  };

/** Generation options of a decoder: the common ones, and interventions applied at every step. */
export interface DecoderGenerateOptions extends GenerateOptions {
  readonly interventions?: readonly Intervention[];
}

/**
 * The backend a choice names for one model: a Backend object as given; a name, the
 * process-wide backend of that name through a scope of the model's own, so that
 * model.dispose() gives its memory back.
 */
export async function resolveBackend(choice: BackendChoice = {}): Promise<Backend> {
  const { backend, threads } = choice;
  if (typeof backend === "object") return backend;
  return modelBackend(threads === undefined ? { backend: backend ?? "auto" } : { backend: backend ?? "auto", threads });
}


export interface Logits {
  /** [batch, seq, vocab], row-major */
  readonly data: Float32Array;
  readonly shape: readonly [number, number, number];
}

/** Logits, and what the forward options asked to see inside. */
export interface InspectedLogits extends Logits {
  /** One [batch, heads, seq, seq] map per layer (outputAttentions). */
  readonly attentions?: CapturedArray[];
  /** layers + 1 arrays [batch, seq, hidden] (outputHiddenStates). */
  readonly hiddenStates?: CapturedArray[];
  /** The named captures, by name. */
  readonly captures?: Map<string, CapturedArray>;
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
  /** The config.json fields the model was built from (and saves with). */
  hfConfig: JsonObject;
  /** tokenizer_config.json with its chat templates (for GGUF, from the metadata); null when there is none. */
  readonly tokenizerConfig: JsonObject | null;
  private readonly ropeLayout: RopeLayout;
  private readonly maybeTokenizer: Tokenizer | null;
  private lora: AttachedLora | null = null;

  constructor(loaded: LoadedDecoder) {
    this.network = loaded.network;
    this.source = loaded.source;
    this.hfConfig = loaded.config;
    this.ropeLayout = loaded.ropeLayout;
    this.maybeTokenizer = loaded.tokenizer;
    this.tokenizerConfig = loaded.tokenizerConfig ?? null;
  }

  get config(): DecoderConfig {
    return this.network.config;
  }

  /** What loading noticed but tolerated, e.g. tensors of the checkpoint the architecture does not use. */
  get warnings(): string[] {
    const ignored = this.network.parts.ignoredTensors ?? [];
    if (ignored.length === 0) return [];
    const shown = ignored.slice(0, 8).join(", ") + (ignored.length > 8 ? ` and ${ignored.length - 8} more` : "");
    return [`${this.source.path}: ignored ${ignored.length} tensor${ignored.length === 1 ? "" : "s"} the model does not use (buffers or a tied head's copy): ${shown}`];
  }

  /** Where the model computes (training runs its optimizer kernels there too). */
  get backend(): Backend {
    return this.network.backend;
  }

  /**
   * Gives back the backend memory the model holds (weights, KV caches, buffers) when
   * the model was loaded onto a named backend (the default); the model, and any array
   * it handed out from that memory, must not be used afterwards. A Backend object
   * passed by the caller is left to the caller (disposeBackend).
   */
  dispose(): void {
    releaseModelBackend(this.backend);
  }

  get hasTokenizer(): boolean {
    return this.maybeTokenizer !== null;
  }

  get tokenizer(): Tokenizer {
    return requireTokenizer(this.maybeTokenizer, this.source.path);
  }

  /**
   * Logits at every position of each row of ids (rows of equal length, no padding).
   * With Hugging Face's `outputAttentions` / `outputHiddenStates`, also the attention
   * maps of every layer and the residual stream; `captures` records more points by
   * name (src/inspect/capture-names.ts) and `interventions` ablate or patch them.
   */
  async forward(batch: readonly (readonly number[])[], options: InspectOptions = {}): Promise<InspectedLogits> {
    const seq = this.checkRows(batch);
    const { logits, ...inspected } = inspectForward(this.network, batch, options);
    return { data: logits, shape: [batch.length, seq, this.network.config.vocabSize], ...inspected };
  }

  /**
   * The logit lens of one row of ids: [layers + 1, seq, vocab], the final norm and LM
   * head applied to each hidden state (the last is already normed); its last entry equals the logits.
   */
  async logitLens(ids: readonly number[], options: Pick<InspectOptions, "interventions"> = {}): Promise<CapturedArray> {
    this.checkRows([ids]);
    return logitLens(this.network, ids, options);
  }

  /**
   * For each position t of a text (encoded with special tokens) or of ids: the top
   * tokens of the distribution that follows token t, its entropy, and how probable
   * the token that actually came next was (absent at the last position).
   */
  async tokenProbabilities(input: Prompt, options: { topK?: number; interventions?: readonly Intervention[] } = {}): Promise<PositionSummary[]> {
    const ids = typeof input === "string" ? this.tokenizer.encode(input, { addSpecialTokens: true }) : [...input.ids];
    if (ids.length === 0) throw new InputError("the text is empty: there is no token to describe");
    this.checkRows([ids]);
    const { data } = await this.forward([ids], options.interventions === undefined ? {} : { interventions: options.interventions });
    return summarizePositions(data, ids.length, this.network.config.vocabSize, options.topK ?? 5, (t) => ids[t + 1]);
  }

  /**
   * The typical intervention measurement in one call: at the last position of the
   * prompt (or `position`), logit(a) − logit(b) without and with the interventions,
   * and the change. Tokens are ids or texts that encode to one token.
   */
  async logitDifference(
    input: Prompt,
    options: { tokens: readonly [number | string, number | string]; interventions: readonly Intervention[]; position?: number },
  ): Promise<{ clean: number; intervened: number; change: number }> {
    const ids = promptIds(this.network, this.maybeTokenizer, input);
    const [a, b] = options.tokens.map((t) => this.singleToken(t));
    const position = options.position ?? ids.length - 1;
    if (!Number.isInteger(position) || position < 0 || position >= ids.length) {
      throw new InputError(`position ${String(position)} is outside the prompt's ${ids.length} tokens`);
    }
    const vocab = this.network.config.vocabSize;
    const difference = async (interventions: readonly Intervention[]) => {
      const { data } = await this.forward([ids], interventions.length === 0 ? {} : { interventions });
      return data[position * vocab + a!]! - data[position * vocab + b!]!;
    };
    const clean = await difference([]);
    const intervened = await difference(options.interventions);
    return { clean, intervened, change: intervened - clean };
  }

  /** A token id, or the one id a text encodes to (without special tokens). */
  private singleToken(token: number | string): number {
    if (typeof token === "number") {
      if (!Number.isSafeInteger(token) || token < 0 || token >= this.network.config.vocabSize) {
        throw new InputError(`token ${token} is outside the vocabulary [0, ${this.network.config.vocabSize})`);
      }
      return token;
    }
    const ids = this.tokenizer.encode(token, { addSpecialTokens: false });
    if (ids.length !== 1) throw new InputError(`"${token}" encodes to ${ids.length} tokens (${ids.join(", ")}), not one: give a token id`);
    return ids[0]!;
  }

  /** Bytes the captures `selector` names would take for `batch` rows of `seq` tokens (the estimate to check before capturing). */
  captureBytes(selector: CaptureSelector, seq: number, batch = 1): number {
    const { numLayers, numHeads, headDim, hiddenSize, intermediateSize } = this.network.config;
    return estimateCaptureBytes(selectCaptureSites(selector, numLayers, true), batch, seq, { hiddenSize, numHeads, headDim, intermediateSize });
  }

  /** Checks rows of ids of equal, non-zero length within the context; returns the length. */
  private checkRows(batch: readonly (readonly number[])[]): number {
    if (!Array.isArray(batch) || batch.length === 0 || !batch.every((row) => Array.isArray(row))) {
      throw new InputError("forward expects a non-empty array of rows of token ids, e.g. [[1, 2, 3]]");
    }
    const seq = batch[0]!.length;
    if (seq === 0) throw new InputError("forward expects at least one token per row");
    const ragged = batch.findIndex((row) => row.length !== seq);
    if (ragged !== -1) {
      throw new InputError(`row ${ragged} has ${batch[ragged]!.length} ids but row 0 has ${seq}: rows must have equal length`);
    }
    const { contextLength, vocabSize } = this.network.config;
    if (seq > contextLength) throw new InputError(`rows have ${seq} ids, more than the context window of ${contextLength}`);
    batch.forEach((row, b) =>
      row.forEach((id, t) => {
        if (!Number.isSafeInteger(id) || id < 0 || id >= vocabSize) throw new InputError(`token ${t} of row ${b} is ${String(id)}, outside the vocabulary [0, ${vocabSize})`);
      }),
    );
    return seq;
  }

  /** Streams generated text piece by piece; the iterator's return value says why it stopped. */
  generate(prompt: Prompt, options: DecoderGenerateOptions = {}): AsyncGenerator<GenerationPiece, GenerationResult> {
    const { interventions, ...rest } = options;
    if (interventions === undefined || interventions.length === 0) return generate(this.network, this.maybeTokenizer, prompt, rest);
    // Mean ablations take their means from the prompt's clean run.
    const ids = promptIds(this.network, this.maybeTokenizer, prompt);
    const observer = interventionObserver(this.network, [ids], interventions);
    return generate(this.network, this.maybeTokenizer, { ids }, { ...rest, observer });
  }

  /**
   * A chat session (src/chat/session.ts): `send(message)` streams the reply rendered with
   * the model's chat template (or `template`); it holds a KV cache until `close()`.
   */
  chat(options: ChatOptions = {}): ChatSession {
    const { system, contextShift, ...formatOptions } = options;
    const parts = {
      tokenizer: this.tokenizer,
      tokenizerConfig: this.tokenizerConfig,
      eosTokenIds: this.network.config.eosTokenIds,
      origin: this.source.path === "" ? "this model" : this.source.path,
    };
    const format = ChatFormat.forModel(parts, formatOptions);
    return new ChatSession(this.network, format, {
      ...(system === undefined ? {} : { system }),
      ...(contextShift === undefined ? {} : { contextShift }),
    });
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

  /**
   * Draws new FAVOR+ random features in every Performer layer (lmscope-decoder with
   * "attention_type": "performer"; layer l from seed + l). config.json's
   * performer_seed records the draw, so `save` keeps it.
   */
  redrawRandomFeatures(seed: number): void {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new OptionError("seed", `expected a non-negative integer, got ${seed}`);
    if (redrawPerformerFeatures(this.network, seed) === 0) throw new InputError("this model has no Performer layers whose features could be redrawn");
    this.hfConfig = { ...this.hfConfig, performer_seed: seed };
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
 * Loads the model a Hugging Face folder, GGUF file or llama2.c .bin file / folder
 * holds, or a hub id ("org/name", "hf:org/name@revision:Q4_K_M", fetched into the
 * Hugging Face cache; a local path of the same name wins): a LanguageModel for
 * decoders, an EncoderModel for BERT-style encoders, a Seq2SeqModel for T5, BART and
 * Marian, an RnnLanguageModel for a recurrent model (model_type "rnn") (`model.kind`
 * tells which at run time; in TypeScript name the one you expect:
 * `loadModel<EncoderModel>(dir)`, `loadModel<Seq2SeqModel>(dir)`).
 */
export async function loadModel<M extends LanguageModel | EncoderModel | RnnLanguageModel | Seq2SeqModel = LanguageModel>(
  pathOrId: string,
  options: ModelOptions = {},
): Promise<M> {
  const { hub, ...loadOptions } = options;
  const { resolveModelPath } = await import("./io/hub/resolve-model.js");
  const path = await resolveModelPath(pathOrId, hub);
  const resolved = { ...loadOptions, backend: await resolveBackend(options) };
  const [{ isEncoderFolder }, { loadDecoder }, { isRecurrentFolder }] = await Promise.all([
    import("./io/load-encoder.js"),
    import("./io/load-decoder.js"),
    import("./io/load-recurrent.js"),
  ]);
  if (await isEncoderFolder(path)) return (await (await import("./encoder-model.js")).loadEncoderModel(path, resolved)) as M;
  if (await isRecurrentFolder(path)) return (await (await import("./recurrent-model.js")).loadRecurrentModel(path, resolved)) as M;
  if (await (await import("./io/load-seq2seq.js")).isSeq2SeqFolder(path)) {
    if (options.adapter !== undefined) throw new InputError("LoRA adapters are not supported for encoder–decoder models");
    return (await (await import("./seq2seq-model.js")).loadSeq2SeqModel(path, resolved)) as M;
  }
  const model = new LanguageModel(await loadDecoder(path, resolved));
  const warn = options.onWarning ?? ((message: string) => console.warn(`lmscope: ${message}`));
  for (const warning of model.warnings) warn(warning);
  if (options.adapter !== undefined) await model.loadAdapter(options.adapter);
  return model as M;
}

/**
 * A new model from config.json fields (any supported model_type: a LanguageModel,
 * an EncoderModel for "bert", "roberta", "distilbert", a Seq2SeqModel for
 * "transformer", "t5", "bart", "marian", an RnnLanguageModel for "rnn"), with seeded
 * initial weights: GPT-2 style for transformers (models/initialize.ts), torch's
 * defaults for recurrent models (models/recurrent/initialize.ts). In TypeScript,
 * name the kind you expect: `createModel<EncoderModel>(…)`, `createModel<Seq2SeqModel>(…)`.
 */
export async function createModel<M extends LanguageModel | EncoderModel | RnnLanguageModel | Seq2SeqModel = LanguageModel>(
  config: JsonObject,
  options: CreateOptions = {},
): Promise<M> {
  const backend = await resolveBackend(options);
  const seed = options.seed ?? 0;
  const { isRecurrentModelType } = await import("./models/recurrent/rnn-config.js");
  if (isRecurrentModelType(config["model_type"])) {
    return (await import("./recurrent-model.js")).createRecurrentModel(config, { backend, seed, tokenizer: options.tokenizer ?? null }) as M;
  }
  const source = { path: "", format: "created" as const, dtypes: ["F32"], fileBytes: 0 };
  const [{ isSeq2SeqModelType, seq2seqBlueprintFor }, { generationDefaultsFromJson }] = await Promise.all([
    import("./models/seq2seq/registry.js"),
    import("./generation/seq2seq-options.js"),
  ]);
  if (isSeq2SeqModelType(config["model_type"])) {
    const { Seq2SeqModel } = await import("./seq2seq-model.js");
    const blueprint = seq2seqBlueprintFor(config, "createModel config");
    const network = blueprint.build(new Map(), "createModel", backend, gpt2StyleInitializer(seed, blueprint.config.encoderLayers + blueprint.config.decoderLayers));
    const generationDefaults = generationDefaultsFromJson(config, "createModel config");
    return new Seq2SeqModel({ network, tokenizer: options.tokenizer ?? null, source, config, generationConfig: null, generationDefaults }) as M;
  }
  const { asTextTokenizer, encoderBlueprintFor, isEncoderModelType } = await import("./io/load-encoder.js");
  if (isEncoderModelType(config["model_type"])) {
    const { EncoderModel } = await import("./encoder-model.js");
    const blueprint = encoderBlueprintFor(config, "createModel config");
    const network = blueprint.build(new Map(), "createModel", backend, gpt2StyleInitializer(seed, blueprint.config.numLayers));
    const tokenizer = options.tokenizer === undefined ? null : asTextTokenizer(options.tokenizer, "createModel tokenizer");
    return new EncoderModel({ network, tokenizer, source, config }) as M;
  }
  const blueprint = blueprintFor(config, "createModel config", "created");
  const initializer = gpt2StyleInitializer(seed, blueprint.config.numLayers);
  const network = blueprint.build(new Map(), "createModel", { backend, ropeLayout: "half", initializer });
  return new LanguageModel({ network, tokenizer: options.tokenizer ?? null, source, config, ropeLayout: "half" }) as M;
}
