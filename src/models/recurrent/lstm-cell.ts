// The LSTM cell (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et
// al. 2000), exactly as torch nn.LSTM computes it, gate blocks i, f, g, o:
//   gates = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh
//   c_t = σ(f)·c_{t−1} + σ(i)·tanh(g),   h_t = σ(o)·tanh(c_t)
// One fused op per step (backend lstmCell), whose state is [h rows | c rows].

import { lstmCell as lstmCellOnTape } from "../../autograd/recurrent-cells.js";
import { sliceRows } from "../../autograd/reshape.js";
import type { RecurrentCell } from "./cell.js";

export const lstmCell: RecurrentCell = {
  type: "lstm",
  gates: 4,
  stateVectors: 2,
  step(backend, next, gatesInput, gatesHidden, state, rows, hidden) {
    const cPrev = state.subarray(rows * hidden, 2 * rows * hidden); // [rows, hidden]
    backend.lstmCell(next, gatesInput, gatesHidden, cPrev, rows, hidden); // [2, rows, hidden]
  },
  stepOnTape(tape, gatesInput, gatesHidden, state) {
    const rows = state.h.shape[0]!;
    const next = lstmCellOnTape(tape, gatesInput, gatesHidden, state.c!); // [2, rows, hidden]
    return { h: sliceRows(tape, next, 0, rows), c: sliceRows(tape, next, rows, rows) };
  },
};
