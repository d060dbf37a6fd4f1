// What a recurrent cell is to the layer that runs it: how many gate blocks its
// weights stack, how many state vectors it carries (h, and c for the LSTM), and
// one time step — on buffers for inference, on a tape for training. The gate
// products x·W_ihᵀ + b_ih and h·W_hhᵀ + b_hh are the layer's (matmuls); the
// cell combines them. One file per cell: elman-cell.ts, lstm-cell.ts, gru-cell.ts.

import type { Tape } from "../../autograd/tape.js";
import type { Variable } from "../../autograd/variable.js";
import type { Backend } from "../../backend/backend.js";
import type { FloatArray } from "../../tensor/tensor.js";
import type { CellType } from "./rnn-config.js";

/** The state of `rows` sequences on a tape: h [rows, hidden], and c [rows, hidden] for the LSTM. */
export interface CellState<A extends FloatArray> {
  readonly h: Variable<A>;
  readonly c: Variable<A> | null;
}

export interface RecurrentCell {
  readonly type: CellType;
  /** Gate blocks stacked in W_ih, W_hh and the biases: 1 (Elman), 4 (LSTM), 3 (GRU). */
  readonly gates: number;
  /** State vectors per sequence: 1 (h), or 2 (h, c) for the LSTM. */
  readonly stateVectors: number;

  /**
   * next [stateVectors, rows, hidden] from gatesInput and gatesHidden [rows, gates·hidden]
   * and state [stateVectors, rows, hidden] (h first). next overlaps no input.
   */
  step(
    backend: Backend,
    next: Float32Array,
    gatesInput: Float32Array,
    gatesHidden: Float32Array,
    state: Float32Array,
    rows: number,
    hidden: number,
  ): void;

  /** The same step recorded on a tape, for gate products [rows, gates·hidden]. */
  stepOnTape<A extends FloatArray>(tape: Tape<A>, gatesInput: Variable<A>, gatesHidden: Variable<A>, state: CellState<A>): CellState<A>;
}
