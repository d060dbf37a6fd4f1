// Reference LSTM and GRU steps, the fused cells PyTorch runs for nn.LSTM and
// nn.GRU (_thnn_fused_lstm_cell, _thnn_fused_gru_cell): the two gate products
// (x·W_ihᵀ + b_ih and h·W_hhᵀ + b_hh) are computed by matmuls beforehand, and
// the cell adds them, applies the gate nonlinearities and mixes the states, row
// by row, in float64. Gate blocks are torch's: LSTM i, f, g, o; GRU r, z, n.

import type { FloatArray } from "../../tensor/tensor.js";

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/**
 * gates = gatesInput + gatesHidden ([rows, 4·hidden]); c = σ(f)·cPrev + σ(i)·tanh(g);
 * h = σ(o)·tanh(c). state is [2, rows, hidden]: the h rows, then the c rows.
 */
export function lstmCell(
  state: FloatArray,
  gatesInput: FloatArray,
  gatesHidden: FloatArray,
  cPrev: FloatArray,
  rows: number,
  hidden: number,
): void {
  const cBase = rows * hidden;
  for (let r = 0; r < rows; r++) {
    const g0 = r * 4 * hidden;
    for (let j = 0; j < hidden; j++) {
      const ii = g0 + j; // the i, f, g and o blocks
      const fi = ii + hidden;
      const gi = fi + hidden;
      const oi = gi + hidden;
      const inputGate = sigmoid(gatesInput[ii]! + gatesHidden[ii]!);
      const forgetGate = sigmoid(gatesInput[fi]! + gatesHidden[fi]!);
      const candidate = Math.tanh(gatesInput[gi]! + gatesHidden[gi]!);
      const outputGate = sigmoid(gatesInput[oi]! + gatesHidden[oi]!);
      const c = forgetGate * cPrev[r * hidden + j]! + inputGate * candidate;
      state[cBase + r * hidden + j] = c;
      state[r * hidden + j] = outputGate * Math.tanh(c);
    }
  }
}

/**
 * r = σ(i_r + h_r), z = σ(i_z + h_z), n = tanh(i_n + r·h_n), h = (1 − z)·n + z·hPrev,
 * where i_* and h_* are the blocks of gatesInput and gatesHidden ([rows, 3·hidden]).
 */
export function gruCell(
  h: FloatArray,
  gatesInput: FloatArray,
  gatesHidden: FloatArray,
  hPrev: FloatArray,
  rows: number,
  hidden: number,
): void {
  for (let r = 0; r < rows; r++) {
    const g0 = r * 3 * hidden;
    for (let j = 0; j < hidden; j++) {
      const ri = g0 + j; // the r, z and n blocks
      const zi = ri + hidden;
      const ni = zi + hidden;
      const reset = sigmoid(gatesInput[ri]! + gatesHidden[ri]!);
      const update = sigmoid(gatesInput[zi]! + gatesHidden[zi]!);
      const candidate = Math.tanh(gatesInput[ni]! + reset * gatesHidden[ni]!);
      h[r * hidden + j] = (1 - update) * candidate + update * hPrev[r * hidden + j]!;
    }
  }
}
