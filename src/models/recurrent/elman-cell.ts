// The Elman cell (Elman 1990; torch nn.RNN with nonlinearity "tanh"), the
// textbook recurrence: h_t = tanh(x_t·W_ihᵀ + b_ih + h_{t−1}·W_hhᵀ + b_hh).

import { tanh } from "../../autograd/activations.js";
import { add } from "../../autograd/elementwise.js";
import type { RecurrentCell } from "./cell.js";

export const elmanCell: RecurrentCell = {
  type: "rnn",
  gates: 1,
  stateVectors: 1,
  step(backend, next, gatesInput, gatesHidden, _state, rows, hidden) {
    backend.add(next, gatesInput, gatesHidden, rows * hidden); // [rows, hidden]
    backend.tanh(next, rows * hidden);
  },
  stepOnTape(tape, gatesInput, gatesHidden) {
    return { h: tanh(tape, add(tape, gatesInput, gatesHidden)), c: null }; // [rows, hidden]
  },
};
