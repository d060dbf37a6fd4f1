// A recurrent language model, the textbook's point of comparison for the
// Transformer (PyTorch's word_language_model example; Zaremba et al. 2014):
//   token ids → embedding → L × recurrent layer (Elman | LSTM | GRU) → LM head → logits
// built from a config.json and a checkpoint under torch's parameter names
// (embedding.weight, rnn.weight_ih_l0, …, lm_head.weight), so a PyTorch model's
// state dict, saved as safetensors, loads as it is.
//
// Inference runs each sequence through the layers in chunks of time steps,
// carrying its state (recurrent-state.ts), so generation reads one token per step
// and never recomputes. Training records the whole batch, time-major, on a tape.

import { crossEntropy } from "../../autograd/cross-entropy.js";
import { dropout } from "../../autograd/dropout.js";
import type { Variable } from "../../autograd/variable.js";
import type { Backend } from "../../backend/backend.js";
import { InputError } from "../../errors.js";
import { Embedding } from "../../nn/embedding.js";
import { Linear } from "../../nn/linear.js";
import type { ParameterIndex } from "../../nn/parameter-index.js";
import type { TapeContext } from "../../nn/tape-context.js";
import type { NamedTensors } from "../../tensor/tensor.js";
import { f32Matrix } from "../../tensor/weights.js";
import { WeightStore, type Initializer } from "../weight-store.js";
import type { RecurrentCell } from "./cell.js";
import { elmanCell } from "./elman-cell.js";
import { gruCell } from "./gru-cell.js";
import { lstmCell } from "./lstm-cell.js";
import { RecurrentLayer, type LayerScratch } from "./recurrent-layer.js";
import { RecurrentState } from "./recurrent-state.js";
import { gateCount, type CellType, type RecurrentConfig } from "./rnn-config.js";

const CELLS: Readonly<Record<CellType, RecurrentCell>> = { rnn: elmanCell, lstm: lstmCell, gru: gruCell };

/** Time steps a forward call runs through a layer at once (the input projection's rows). */
const DEFAULT_CHUNK_STEPS = 64;

export interface RecurrentParts {
  readonly embedding: Embedding;
  readonly layers: readonly RecurrentLayer[];
  readonly lmHead: Linear;
}

/** A sequence's state with the [vocab] logits buffer of its last token. */
export interface RecurrentDecodeState {
  readonly cache: RecurrentState;
  readonly logits: Float32Array;
}

interface ForwardScratch extends LayerScratch {
  /** [chunk, max(embeddingDim, hidden)] ×2: a layer's input and output */
  readonly x: Float32Array;
  readonly y: Float32Array;
}

export class RecurrentNetwork {
  private scratch: ForwardScratch | null = null;
  /** States no sequence is using: reused, since a backend's memory (WASM's) is never freed. */
  private readonly idleStates: RecurrentDecodeState[] = [];

  constructor(
    readonly config: RecurrentConfig,
    readonly parts: RecurrentParts,
    readonly backend: Backend,
    /** Number of distinct parameters (a tied head counted once). */
    readonly parameterCount: number,
    /** The float32 weights by torch name, sharing storage with the modules (for training). */
    readonly parameters: ParameterIndex,
    readonly chunkSteps: number = DEFAULT_CHUNK_STEPS,
  ) {}

  /** A zero state for one sequence. */
  createState(): RecurrentState {
    return new RecurrentState(this.parts.layers.map((l) => l.stateSize), this.backend);
  }

  /** A zero state with a logits buffer, reused when one is free. Its size does not depend on `capacity`. */
  acquireState(_capacity: number): RecurrentDecodeState {
    const idle = this.idleStates.pop();
    if (idle !== undefined) {
      idle.cache.reset();
      return idle;
    }
    return { cache: this.createState(), logits: this.backend.allocate(this.config.vocabSize) };
  }

  releaseState(state: RecurrentDecodeState): void {
    this.idleStates.push(state);
  }

  /**
   * Reads `ids` after the tokens `state` has read, updating it. Writes logits:
   * [ids.length, vocab] for "all", or [1, vocab] (the last token's) for "last".
   */
  forward(ids: ArrayLike<number>, state: RecurrentState, logits: Float32Array, rows: "all" | "last"): void {
    const { vocabSize } = this.config;
    if (ids.length === 0) throw new InputError("no token ids to process");
    const needed = rows === "all" ? ids.length * vocabSize : vocabSize;
    if (logits.length < needed) throw new RangeError(`logits buffer has ${logits.length} floats, needs ${needed}`);
    const { embedding, layers, lmHead } = this.parts;
    const scratch = this.scratchBuffers();
    for (let done = 0; done < ids.length; done += this.chunkSteps) {
      const steps = Math.min(this.chunkSteps, ids.length - done);
      const chunk = steps === ids.length ? ids : Array.prototype.slice.call(ids, done, done + steps);
      let x = scratch.x;
      let y = scratch.y;
      embedding.forward(this.backend, x, chunk); // [steps, embeddingDim]
      for (let l = 0; l < layers.length; l++) {
        layers[l]!.forward(this.backend, y, x, steps, state.layers[l]!, scratch); // [steps, hidden]
        const input = x;
        x = y; // this layer's output is the next one's input
        y = input;
      }
      const hidden = this.config.hiddenSize;
      if (rows === "all") {
        lmHead.forward(this.backend, logits.subarray(done * vocabSize), x, steps); // [steps, vocab]
      } else if (done + steps === ids.length) {
        lmHead.forward(this.backend, logits, x.subarray((steps - 1) * hidden, steps * hidden), 1); // [1, vocab]
      }
      state.length += steps;
    }
  }

  /**
   * Mean next-token cross-entropy of `batch` rows of ids against their targets
   * (same shape; −100 marks positions that do not count), recorded on ctx's tape,
   * each row from the zero state. Dropout in training: the model's own (torch's
   * `dropout`, config) on the outputs of all layers but the last, and the
   * trainer's (ctx.dropout) on the embeddings and the top layer's output — the
   * non-recurrent connections of Zaremba et al. (2014).
   */
  lossOnTape(ctx: TapeContext, inputIds: readonly (readonly number[])[], targets: readonly (readonly number[])[]): Variable {
    const batch = inputIds.length;
    const steps = inputIds[0]?.length ?? 0;
    if (batch === 0 || steps === 0) throw new InputError("the batch has no tokens");
    if (targets.length !== batch || inputIds.some((r, b) => r.length !== steps || targets[b]?.length !== steps)) {
      throw new InputError(`inputIds and targets must both be ${batch} rows of ${steps} ids`);
    }
    const { vocabSize } = this.config;
    targets.forEach((row, b) =>
      row.forEach((target, t) => {
        if (target !== -100 && !(Number.isInteger(target) && target >= 0 && target < vocabSize)) {
          throw new InputError(`target [${b}][${t}] is ${target}: expected an id in [0, ${vocabSize}) or −100 (not scored)`);
        }
      }),
    );
    const timeMajor = (rows: readonly (readonly number[])[]) => Array.from({ length: steps * batch }, (_, i) => rows[i % batch]![Math.floor(i / batch)]!);
    const { embedding, layers, lmHead } = this.parts;
    let x = this.trainerDropout(ctx, embedding.forwardOnTape(ctx, timeMajor(inputIds))); // [steps · batch, embeddingDim]
    layers.forEach((layer, l) => {
      x = layer.forwardOnTape(ctx, x, batch); // [steps · batch, hidden]
      if (l + 1 < layers.length && ctx.training && this.config.dropout > 0) x = dropout(ctx.tape, x, this.config.dropout, ctx.random);
    });
    const logits = lmHead.forwardOnTape(ctx, this.trainerDropout(ctx, x)); // [steps · batch, vocab]
    return crossEntropy(ctx.tape, logits, timeMajor(targets), { ignoreIndex: -100 });
  }

  private trainerDropout(ctx: TapeContext, x: Variable): Variable {
    return ctx.dropout > 0 ? dropout(ctx.tape, x, ctx.dropout, ctx.random) : x;
  }

  /** Activation buffers, allocated on first use. */
  private scratchBuffers(): ForwardScratch {
    if (this.scratch === null) {
      const { embeddingDim, hiddenSize, cell } = this.config;
      const rows = this.chunkSteps;
      const width = Math.max(embeddingDim, hiddenSize);
      const gates = gateCount(cell) * hiddenSize;
      this.scratch = {
        x: this.backend.allocate(rows * width),
        y: this.backend.allocate(rows * width),
        gatesInput: this.backend.allocate(rows * gates),
        gatesHidden: this.backend.allocate(gates),
        next: this.backend.allocate(2 * hiddenSize),
      };
    }
    return this.scratch;
  }
}

/**
 * Builds the network from a checkpoint's tensors, by torch name and in torch's
 * parameter order; shapes are checked against the config and tensors the config
 * does not explain are errors. `initializer` creates the tensors of a new model.
 */
export function buildRecurrent(
  config: RecurrentConfig,
  tensors: NamedTensors,
  source: string,
  backend: Backend,
  initializer: Initializer | null = null,
): RecurrentNetwork {
  const weights = new WeightStore(tensors, source, backend, initializer);
  const { vocabSize, embeddingDim, hiddenSize: hidden, numLayers, bias } = config;
  const cell = CELLS[config.cell];
  const rows = cell.gates * hidden;
  const table = weights.take("embedding.weight", [vocabSize, embeddingDim]);
  const layers: RecurrentLayer[] = [];
  for (let l = 0; l < numLayers; l++) {
    const inputWeight = weights.matrix(`rnn.weight_ih_l${l}`, rows, l === 0 ? embeddingDim : hidden);
    const hiddenWeight = weights.matrix(`rnn.weight_hh_l${l}`, rows, hidden);
    const inputBias = bias ? weights.take(`rnn.bias_ih_l${l}`, [rows]) : null;
    const hiddenBias = bias ? weights.take(`rnn.bias_hh_l${l}`, [rows]) : null;
    layers.push(new RecurrentLayer(cell, new Linear(inputWeight, inputBias), new Linear(hiddenWeight, hiddenBias), hidden));
  }
  const headWeight = config.tieWordEmbeddings ? f32Matrix(table, vocabSize, hidden) : weights.matrix("lm_head.weight", vocabSize, hidden);
  const lmHead = new Linear(headWeight, weights.take("lm_head.bias", [vocabSize]));
  weights.assertAllUsed();
  const parts = { embedding: new Embedding(table, vocabSize, embeddingDim), layers, lmHead };
  return new RecurrentNetwork(config, parts, backend, weights.parameterCount, weights.parameters);
}
