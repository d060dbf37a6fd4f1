// The GRU cell (Cho et al. 2014) as torch nn.GRU and cuDNN compute it, gate
// blocks r, z, n, with the reset gate applied AFTER the recurrent product
// (b_hn inside it), unlike the paper's r ⊙ h before W_hn:
//   r = σ(W_ir x + b_ir + W_hr h + b_hr),   z = σ(W_iz x + b_iz + W_hz h + b_hz)
//   n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)),   h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}
// One fused op per step (backend gruCell).

import { gruCell as gruCellOnTape } from "../../autograd/recurrent-cells.js";
import type { RecurrentCell } from "./cell.js";

export const gruCell: RecurrentCell = {
  type: "gru",
  gates: 3,
  stateVectors: 1,
  step(backend, next, gatesInput, gatesHidden, state, rows, hidden) {
    backend.gruCell(next, gatesInput, gatesHidden, state, rows, hidden); // [rows, hidden]
  },
  stepOnTape(tape, gatesInput, gatesHidden, state) {
    return { h: gruCellOnTape(tape, gatesInput, gatesHidden, state.h), c: null }; // [rows, hidden]
  },
};
