// Reference backward of the fused LSTM and GRU steps (PyTorch
// _thnn_fused_lstm_cell_backward / _thnn_fused_gru_cell_backward). The gate
// activations are recomputed from the saved inputs, so the forward keeps
// nothing else. With a = pre-activation and σ' = σ(1 − σ), tanh' = 1 − tanh²:
//
//   LSTM  dc = dcOut + dh·o·(1 − tanh²c)
//         da_i = dc·g·σ'(i)   da_f = dc·cPrev·σ'(f)   da_g = dc·i·(1 − g²)   da_o = dh·tanh c·σ'(o)
//         dcPrev = dc·f;  both gate inputs receive da (gates = gatesInput + gatesHidden)
//   GRU   dn = dh·(1 − z)   dz = dh·(hPrev − n)   dhPrev = dh·z
//         da_n = dn·(1 − n²): gatesInput_n gets da_n, gatesHidden_n gets da_n·r
//         dr = da_n·h_n;  da_r = dr·σ'(r), da_z = dz·σ'(z) to both gate inputs

import type { FloatArray } from "../../../tensor/tensor.js";
import { sigmoid } from "../recurrent-cells.js";

export function lstmCellBackward(
  dGatesInput: FloatArray | null,
  dGatesHidden: FloatArray | null,
  dCPrev: FloatArray | null,
  dState: FloatArray,
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
      const previous = cPrev[r * hidden + j]!;
      const tanhC = Math.tanh(forgetGate * previous + inputGate * candidate);
      const dh = dState[r * hidden + j]!;
      const dc = dState[cBase + r * hidden + j]! + dh * outputGate * (1 - tanhC * tanhC);
      const dInput = dc * candidate * inputGate * (1 - inputGate);
      const dForget = dc * previous * forgetGate * (1 - forgetGate);
      const dCandidate = dc * inputGate * (1 - candidate * candidate);
      const dOutput = dh * tanhC * outputGate * (1 - outputGate);
      if (dGatesInput !== null) {
        dGatesInput[ii] += dInput;
        dGatesInput[fi] += dForget;
        dGatesInput[gi] += dCandidate;
        dGatesInput[oi] += dOutput;
      }
      if (dGatesHidden !== null) {
        dGatesHidden[ii] += dInput;
        dGatesHidden[fi] += dForget;
        dGatesHidden[gi] += dCandidate;
        dGatesHidden[oi] += dOutput;
      }
      if (dCPrev !== null) dCPrev[r * hidden + j] += dc * forgetGate;
    }
  }
}

export function gruCellBackward(
  dGatesInput: FloatArray | null,
  dGatesHidden: FloatArray | null,
  dHPrev: FloatArray | null,
  dH: FloatArray,
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
      const hiddenN = gatesHidden[ni]!;
      const candidate = Math.tanh(gatesInput[ni]! + reset * hiddenN);
      const previous = hPrev[r * hidden + j]!;
      const dh = dH[r * hidden + j]!;
      const dCandidate = dh * (1 - update) * (1 - candidate * candidate);
      const dReset = dCandidate * hiddenN * reset * (1 - reset);
      const dUpdate = dh * (previous - candidate) * update * (1 - update);
      if (dGatesInput !== null) {
        dGatesInput[ri] += dReset;
        dGatesInput[zi] += dUpdate;
        dGatesInput[ni] += dCandidate;
      }
      if (dGatesHidden !== null) {
        dGatesHidden[ri] += dReset;
        dGatesHidden[zi] += dUpdate;
        dGatesHidden[ni] += dCandidate * reset;
      }
      if (dHPrev !== null) dHPrev[r * hidden + j] += dh * update;
    }
  }
}
