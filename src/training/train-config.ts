// The configuration of a training run, as a JSON file or a named preset. Field
// names are nanoGPT train.py's (batch_size, block_size, learning_rate, min_lr,
// warmup_iters, lr_decay_iters, …) so its configs translate line by line; the
// model section is a Hugging Face config.json (model_type, n_layer, …) whose
// vocab_size comes from the data and whose context defaults to block_size.
import { ConfigError } from "../errors.js";
import type { JsonObject } from "../models/config-reader.js";

export interface TrainConfig {
  /** Optimizer steps in the run. */
  maxIters: number;
  /** Windows per micro-batch. */
  batchSize: number;
  /** Tokens per window (inputs); windows hold blockSize + 1 tokens. */
  blockSize: number;
  /** Micro-batches whose gradients are averaged into one step. */
  gradientAccumulationSteps: number;
  learningRate: number;
  /** Learning rate at the end of the cosine decay. */
  minLearningRate: number;
  warmupIters: number;
  lrDecayIters: number;
  /** false: constant learningRate. */
  decayLearningRate: boolean;
  weightDecay: number;
  betas: [number, number];
  eps: number;
  /** Clip the global gradient norm to this; 0 = no clipping. */
  gradClip: number;
  dropout: number;
  /** Estimate train/validation loss every this many steps (and at the end); 0 = never. */
  evalInterval: number;
  /** Batches per estimate. */
  evalIters: number;
  /** Checkpoint every this many steps (and at the end); 0 = at the end only. */
  checkpointInterval: number;
  seed: number;
  /**
   * Whether embedding tables take weight decay. nanoGPT decays every tensor of 2
   * or more dimensions, embeddings included (true); false also exempts them.
   * Biases and norm gains (1-D) never decay.
   */
  decayEmbeddings: boolean;
  /** Measure the loss over the whole validation split at the end (sliding windows). */
  finalEval: boolean;
  /** Stride of the final whole-split evaluation; default half the block. */
  finalEvalStride: number | undefined;
}

export interface DataConfig {
  /** "char" for a character-level vocabulary built from the data, else a tokenizer file or folder. */
  tokenizer: string;
  trainFraction: number;
}

export interface RunConfig {
  /** HF config.json fields of the model to create (vocab_size filled in from the data). */
  model: JsonObject;
  data: DataConfig;
  training: TrainConfig;
}

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  maxIters: 2000,
  batchSize: 12,
  blockSize: 64,
  gradientAccumulationSteps: 1,
  learningRate: 1e-3,
  minLearningRate: 1e-4,
  warmupIters: 100,
  lrDecayIters: 2000,
  decayLearningRate: true,
  weightDecay: 0.1,
  betas: [0.9, 0.99],
  eps: 1e-8,
  gradClip: 1,
  dropout: 0,
  evalInterval: 250,
  evalIters: 20,
  checkpointInterval: 250,
  seed: 1337,
  decayEmbeddings: true,
  finalEval: true,
  finalEvalStride: undefined,
};

/**
 * Presets by name. `shakespeare-char` is nanoGPT's CPU baseline (README "I only
 * have a macbook"): config/train_shakespeare_char.py with --block_size=64
 * --batch_size=12 --n_layer=4 --n_head=4 --n_embd=128 --max_iters=2000
 * --lr_decay_iters=2000 --dropout=0.0 --eval_iters=20; GPT-2 layers, biases included.
 * `shakespeare-char-rnn` trains the textbook's Elman RNN (2 layers, width 128) on
 * the same data with the same schedule; `--set model.cell=lstm` (or gru) swaps the cell.
 */
export const PRESETS: Readonly<Record<string, JsonObject>> = {
  "shakespeare-char": {
    model: { model_type: "gpt2", n_layer: 4, n_head: 4, n_embd: 128 },
    data: { tokenizer: "char", train_fraction: 0.9 },
    max_iters: 2000,
    batch_size: 12,
    block_size: 64,
    gradient_accumulation_steps: 1,
    learning_rate: 1e-3,
    min_lr: 1e-4,
    warmup_iters: 100,
    lr_decay_iters: 2000,
    decay_lr: true,
    weight_decay: 0.1,
    beta1: 0.9,
    beta2: 0.99,
    grad_clip: 1.0,
    dropout: 0,
    eval_interval: 250,
    eval_iters: 20,
    checkpoint_interval: 250,
    seed: 1337,
  },
  "shakespeare-char-rnn": {
    model: { model_type: "rnn", cell: "rnn", num_layers: 2, embedding_dim: 128, hidden_size: 128 },
    data: { tokenizer: "char", train_fraction: 0.9 },
    max_iters: 2000,
    batch_size: 12,
    block_size: 64,
    gradient_accumulation_steps: 1,
    learning_rate: 1e-3,
    min_lr: 1e-4,
    warmup_iters: 100,
    lr_decay_iters: 2000,
    decay_lr: true,
    weight_decay: 0.1,
    beta1: 0.9,
    beta2: 0.99,
    grad_clip: 1.0,
    dropout: 0,
    eval_interval: 250,
    eval_iters: 20,
    checkpoint_interval: 250,
    seed: 1337,
  },
};

/** JSON field → TrainConfig field, with the check each value must pass. */
const FIELDS: readonly [string, keyof TrainConfig, "positiveInteger" | "count" | "number" | "probability" | "boolean"][] = [
  ["max_iters", "maxIters", "count"],
  ["batch_size", "batchSize", "positiveInteger"],
  ["block_size", "blockSize", "positiveInteger"],
  ["gradient_accumulation_steps", "gradientAccumulationSteps", "positiveInteger"],
  ["learning_rate", "learningRate", "number"],
  ["min_lr", "minLearningRate", "number"],
  ["warmup_iters", "warmupIters", "count"],
  ["lr_decay_iters", "lrDecayIters", "count"],
  ["decay_lr", "decayLearningRate", "boolean"],
  ["weight_decay", "weightDecay", "number"],
  ["eps", "eps", "number"],
  ["grad_clip", "gradClip", "number"],
  ["dropout", "dropout", "probability"],
  ["eval_interval", "evalInterval", "count"],
  ["eval_iters", "evalIters", "positiveInteger"],
  ["checkpoint_interval", "checkpointInterval", "count"],
  ["seed", "seed", "count"],
  ["decay_embeddings", "decayEmbeddings", "boolean"],
  ["final_eval", "finalEval", "boolean"],
  ["final_eval_stride", "finalEvalStride", "positiveInteger"],
];
const OTHER_FIELDS = new Set(["model", "data", "beta1", "beta2"]);

/** Reads a run configuration from parsed JSON (unknown fields are errors); `source` names it in errors. */
export function runConfigFromJson(json: JsonObject, source: string): RunConfig {
  const fail = (field: string, detail: string): never => {
    throw new ConfigError(source, `${field}: ${detail}`);
  };
  const known = new Set(FIELDS.map(([name]) => name));
  for (const key of Object.keys(json)) if (!known.has(key) && !OTHER_FIELDS.has(key)) fail(key, "unknown field");
  const training: TrainConfig = { ...DEFAULT_TRAIN_CONFIG, betas: [...DEFAULT_TRAIN_CONFIG.betas] };
  const assign = training as unknown as Record<string, unknown>;
  for (const [name, field, kind] of FIELDS) {
    const value = json[name];
    if (value === undefined || (value === null && field === "finalEvalStride")) continue;
    if (kind === "boolean") {
      if (typeof value !== "boolean") fail(name, `expected true or false, got ${JSON.stringify(value)}`);
    } else if (typeof value !== "number" || !Number.isFinite(value)) {
      fail(name, `expected a number, got ${JSON.stringify(value)}`);
    } else if (kind === "positiveInteger" && !(Number.isSafeInteger(value) && value >= 1)) {
      fail(name, `expected a positive integer, got ${value}`);
    } else if (kind === "count" && !(Number.isSafeInteger(value) && value >= 0)) {
      fail(name, `expected a non-negative integer, got ${value}`);
    } else if (kind === "probability" && !(value >= 0 && value < 1)) {
      fail(name, `expected a probability in [0, 1), got ${value}`);
    } else if (kind === "number" && !(value >= 0)) {
      fail(name, `expected a number ≥ 0, got ${value}`);
    }
    assign[field] = value;
  }
  for (const [index, name] of [[0, "beta1"], [1, "beta2"]] as const) {
    const value = json[name];
    if (value === undefined) continue;
    if (typeof value !== "number" || !(value >= 0 && value < 1)) fail(name, `expected a number in [0, 1), got ${JSON.stringify(value)}`);
    training.betas[index] = value as number;
  }
  if (training.decayLearningRate && training.lrDecayIters <= training.warmupIters) {
    fail("lr_decay_iters", `${training.lrDecayIters} must exceed warmup_iters ${training.warmupIters}`);
  }
  if (training.finalEvalStride !== undefined && training.finalEvalStride > training.blockSize) {
    fail("final_eval_stride", `${training.finalEvalStride} must not exceed block_size ${training.blockSize}`);
  }

  const modelValue = json["model"] ?? {};
  if (typeof modelValue !== "object" || modelValue === null || Array.isArray(modelValue)) fail("model", "expected an object of config.json fields");
  const model: Record<string, unknown> = { model_type: "gpt2", ...(modelValue as JsonObject) };
  if (model["vocab_size"] !== undefined) fail("model.vocab_size", "comes from the data; leave it out");
  const contextKeys = ["n_positions", "max_position_embeddings", "n_ctx"].filter((k) => model[k] !== undefined);
  if (contextKeys.length === 0) model[model["model_type"] === "gpt2" ? "n_positions" : "max_position_embeddings"] = training.blockSize;
  for (const k of contextKeys) {
    const v = model[k];
    if (typeof v !== "number" || v < training.blockSize) fail(`model.${k}`, `${JSON.stringify(v)} must be at least block_size ${training.blockSize}`);
  }
  if (model["model_type"] === "gpt2" && model["n_ctx"] === undefined && model["n_positions"] !== undefined) model["n_ctx"] = model["n_positions"];

  const dataValue = json["data"] ?? {};
  if (typeof dataValue !== "object" || dataValue === null || Array.isArray(dataValue)) fail("data", "expected an object");
  const dataJson = dataValue as JsonObject;
  for (const key of Object.keys(dataJson)) if (key !== "tokenizer" && key !== "train_fraction") fail(`data.${key}`, "unknown field");
  const tokenizer = dataJson["tokenizer"] ?? "char";
  if (typeof tokenizer !== "string" || tokenizer === "") fail("data.tokenizer", `expected "char" or a tokenizer path, got ${JSON.stringify(tokenizer)}`);
  const trainFraction = dataJson["train_fraction"] ?? 0.9;
  if (typeof trainFraction !== "number" || !(trainFraction > 0 && trainFraction < 1)) {
    fail("data.train_fraction", `expected a number in (0, 1), got ${JSON.stringify(trainFraction)}`);
  }
  return { model, data: { tokenizer: tokenizer as string, trainFraction: trainFraction as number }, training };
}

/** The JSON form of a run configuration (what trainer_state.json stores; runConfigFromJson reads it back). */
export function runConfigToJson(config: RunConfig): JsonObject {
  const out: Record<string, unknown> = { model: config.model, data: { tokenizer: config.data.tokenizer, train_fraction: config.data.trainFraction } };
  for (const [name, field] of FIELDS) {
    const value = config.training[field];
    if (value !== undefined) out[name] = value;
  }
  out["beta1"] = config.training.betas[0];
  out["beta2"] = config.training.betas[1];
  return out;
}
