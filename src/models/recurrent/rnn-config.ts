// The config.json of a recurrent language model (model_type "rnn"): the
// self-description PyTorch's nn.RNN / nn.LSTM / nn.GRU arguments give — cell,
// sizes, bias, dropout — and the tensor names and shapes they imply, under
// torch's own parameter names. Fields that would make a different network
// (bidirectional, projections, ReLU, another gate order, a non-zero initial
// state) are refused by name rather than silently ignored.

import { ConfigError } from "../../errors.js";
import type { Shape } from "../../tensor/tensor.js";
import { ConfigReader, type JsonObject } from "../config-reader.js";

export type CellType = "rnn" | "lstm" | "gru";

export const RECURRENT_MODEL_TYPE = "rnn";

/** Whether a config.json model_type names a recurrent language model. */
export function isRecurrentModelType(modelType: unknown): boolean {
  return modelType === RECURRENT_MODEL_TYPE;
}

/** Gate blocks stacked along the rows of W_ih, W_hh and the biases, in torch's order. */
export const GATE_ORDER: Readonly<Record<CellType, readonly string[]>> = {
  rnn: ["h"],
  lstm: ["i", "f", "g", "o"],
  gru: ["r", "z", "n"],
};

const TORCH_MODULES: Readonly<Record<CellType, string>> = { rnn: "torch.nn.RNN", lstm: "torch.nn.LSTM", gru: "torch.nn.GRU" };

export interface RecurrentConfig {
  readonly modelType: typeof RECURRENT_MODEL_TYPE;
  readonly cell: CellType;
  readonly vocabSize: number;
  readonly embeddingDim: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  /** Whether the recurrent layers have b_ih and b_hh (torch's `bias`); the LM head always has a bias. */
  readonly bias: boolean;
  /** torch's `dropout`: on the outputs of every layer but the last, in training only. */
  readonly dropout: number;
  /** The LM head shares the embedding table (needs embedding_dim = hidden_size). */
  readonly tieWordEmbeddings: boolean;
  /** A recurrent network reads sequences of any length: Infinity. */
  readonly contextLength: number;
  /**
   * The window the model was trained on (config.json max_position_embeddings, which
   * `lmscope train` writes as block_size), or null: `lmscope eval`'s default window.
   */
  readonly trainedContext: number | null;
  readonly bosTokenId: number | undefined;
  readonly eosTokenIds: readonly number[];
}

/** Gate blocks per layer: 1 (Elman), 4 (LSTM), 3 (GRU). */
export function gateCount(cell: CellType): number {
  return GATE_ORDER[cell].length;
}

export function parseRecurrentConfig(json: JsonObject, source: string): RecurrentConfig {
  const c = new ConfigReader(json, source);
  const fail = (detail: string): never => {
    throw new ConfigError(source, detail);
  };
  if (json["model_type"] !== RECURRENT_MODEL_TYPE) fail(`"model_type" must be "${RECURRENT_MODEL_TYPE}", got ${JSON.stringify(json["model_type"])}`);
  const cellName = c.string("cell");
  if (!Object.hasOwn(GATE_ORDER, cellName)) fail(`"cell" must be one of rnn (Elman), lstm, gru; got ${JSON.stringify(cellName)}`);
  const cell = cellName as CellType;
  if (c.has("torch_module") && c.string("torch_module") !== TORCH_MODULES[cell]) {
    fail(`"torch_module" ${JSON.stringify(json["torch_module"])} contradicts "cell" ${JSON.stringify(cell)} (expected ${TORCH_MODULES[cell]})`);
  }
  if (cell === "rnn" && c.string("nonlinearity", "tanh") !== "tanh") {
    fail(`"nonlinearity" ${JSON.stringify(json["nonlinearity"])} is not supported: the Elman cell here is tanh`);
  }
  if (c.has("gate_order")) {
    const order = json["gate_order"];
    const expected = GATE_ORDER[cell];
    if (!Array.isArray(order) || order.length !== expected.length || order.some((g, i) => g !== expected[i])) {
      fail(`"gate_order" ${JSON.stringify(order)} is not torch's ${JSON.stringify(expected)} for a ${cell} cell`);
    }
  }
  if (c.boolean("bidirectional", false)) fail(`"bidirectional": true is not supported (a language model reads left to right)`);
  if (c.has("proj_size") && json["proj_size"] !== 0) fail(`"proj_size" ${JSON.stringify(json["proj_size"])} is not supported (LSTM projections)`);
  if (c.has("initial_state") && json["initial_state"] !== "zeros") {
    fail(`"initial_state" ${JSON.stringify(json["initial_state"])} is not supported: every sequence starts from zeros`);
  }
  const dropout = json["dropout"] ?? 0;
  if (typeof dropout !== "number" || !(dropout >= 0 && dropout < 1)) fail(`"dropout" must be a number in [0, 1), got ${JSON.stringify(dropout)}`);
  const hiddenSize = c.positiveInt("hidden_size");
  const embeddingDim = c.positiveInt("embedding_dim", hiddenSize);
  const tieWordEmbeddings = c.boolean("tie_word_embeddings", false);
  if (tieWordEmbeddings && embeddingDim !== hiddenSize) {
    fail(`"tie_word_embeddings" needs "embedding_dim" (${embeddingDim}) equal to "hidden_size" (${hiddenSize})`);
  }
  const bos = c.tokenIds("bos_token_id");
  const config: RecurrentConfig = {
    modelType: RECURRENT_MODEL_TYPE,
    cell,
    vocabSize: c.positiveInt("vocab_size"),
    embeddingDim,
    hiddenSize,
    numLayers: c.positiveInt("num_layers"),
    bias: c.boolean("bias", true),
    dropout: dropout as number,
    tieWordEmbeddings,
    contextLength: Infinity,
    trainedContext: c.has("max_position_embeddings") ? c.positiveInt("max_position_embeddings") : null,
    bosTokenId: bos[0],
    eosTokenIds: c.tokenIds("eos_token_id"),
  };
  if (c.has("tensor_names")) checkTensorNames(json["tensor_names"], config, source);
  return config;
}

/** Every tensor the config implies, by torch name, in torch's parameter order. */
export function recurrentTensorShapes(config: RecurrentConfig): [string, Shape][] {
  const { vocabSize, embeddingDim, hiddenSize, numLayers, bias, cell } = config;
  const rows = gateCount(cell) * hiddenSize;
  const shapes: [string, Shape][] = [["embedding.weight", [vocabSize, embeddingDim]]];
  for (let layer = 0; layer < numLayers; layer++) {
    shapes.push([`rnn.weight_ih_l${layer}`, [rows, layer === 0 ? embeddingDim : hiddenSize]]);
    shapes.push([`rnn.weight_hh_l${layer}`, [rows, hiddenSize]]);
    if (bias) shapes.push([`rnn.bias_ih_l${layer}`, [rows]], [`rnn.bias_hh_l${layer}`, [rows]]);
  }
  if (!config.tieWordEmbeddings) shapes.push(["lm_head.weight", [vocabSize, hiddenSize]]);
  shapes.push(["lm_head.bias", [vocabSize]]);
  return shapes;
}

/** config.json's own `tensor_names` (name → shape) must list exactly the tensors its sizes imply. */
function checkTensorNames(value: unknown, config: RecurrentConfig, source: string): void {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ConfigError(source, `"tensor_names" must be an object of tensor name → shape`);
  }
  const listed = value as Record<string, unknown>;
  const expected = recurrentTensorShapes(config);
  for (const [name, shape] of expected) {
    const given = listed[name];
    if (!Array.isArray(given) || given.length !== shape.length || given.some((d, i) => d !== shape[i])) {
      throw new ConfigError(source, `"tensor_names" gives ${name} as ${JSON.stringify(given)}, but the sizes imply [${shape.join(", ")}]`);
    }
  }
  const extra = Object.keys(listed).filter((name) => !expected.some(([n]) => n === name));
  if (extra.length > 0) throw new ConfigError(source, `"tensor_names" lists ${extra.join(", ")}, which this config does not imply`);
}
