// The LSTM and GRU steps on the tape, fused as PyTorch fuses them
// (_thnn_fused_lstm_cell, _thnn_fused_gru_cell): one op per step takes the two
// gate products (x·W_ihᵀ + b_ih and h·W_hhᵀ + b_hh, from `linear`) and the
// previous state. Forward is the Backend's kernel; backward (backend/backward.ts)
// recomputes the gate activations from the saved inputs. The Elman step needs
// no op of its own: tanh(add(gatesInput, gatesHidden)).

import type { FloatArray } from "../tensor/tensor.js";
import { expectShape, rowsOf } from "./shapes.js";
import type { Tape } from "./tape.js";
import type { Variable } from "./variable.js";

/**
 * state [2, rows, hidden] (h rows, then c rows) from gatesInput and gatesHidden
 * [rows, 4·hidden] (blocks i, f, g, o) and cPrev [rows, hidden]. Take h and c
 * out of it with sliceRows (zero-copy views).
 */
export function lstmCell<A extends FloatArray>(
  tape: Tape<A>,
  gatesInput: Variable<A>,
  gatesHidden: Variable<A>,
  cPrev: Variable<A>,
): Variable<A> {
  const hidden = cPrev.shape[cPrev.shape.length - 1] ?? 0;
  const rows = rowsOf(cPrev, hidden, "lstmCell", "cPrev");
  expectShape(gatesInput, [rows, 4 * hidden], "lstmCell", "gatesInput");
  expectShape(gatesHidden, [rows, 4 * hidden], "lstmCell", "gatesHidden");
  const state = tape.allocate(2 * rows * hidden); // [2, rows, hidden]
  tape.kernels.forward.lstmCell(state, gatesInput.data, gatesHidden.data, cPrev.data, rows, hidden);
  return tape.record(state, [2, rows, hidden], [gatesInput, gatesHidden, cPrev], (dState) =>
    tape.kernels.backward.lstmCellBackward(
      tape.gradFor(gatesInput),
      tape.gradFor(gatesHidden),
      tape.gradFor(cPrev),
      dState,
      gatesInput.data,
      gatesHidden.data,
      cPrev.data,
      rows,
      hidden,
    ),
  );
}

/** h [rows, hidden] from gatesInput and gatesHidden [rows, 3·hidden] (blocks r, z, n) and hPrev [rows, hidden]. */
export function gruCell<A extends FloatArray>(
  tape: Tape<A>,
  gatesInput: Variable<A>,
  gatesHidden: Variable<A>,
  hPrev: Variable<A>,
): Variable<A> {
  const hidden = hPrev.shape[hPrev.shape.length - 1] ?? 0;
  const rows = rowsOf(hPrev, hidden, "gruCell", "hPrev");
  expectShape(gatesInput, [rows, 3 * hidden], "gruCell", "gatesInput");
  expectShape(gatesHidden, [rows, 3 * hidden], "gruCell", "gatesHidden");
  const h = tape.allocate(rows * hidden); // [rows, hidden]
  tape.kernels.forward.gruCell(h, gatesInput.data, gatesHidden.data, hPrev.data, rows, hidden);
  return tape.record(h, [rows, hidden], [gatesInput, gatesHidden, hPrev], (dH) =>
    tape.kernels.backward.gruCellBackward(
      tape.gradFor(gatesInput),
      tape.gradFor(gatesHidden),
      tape.gradFor(hPrev),
      dH,
      gatesInput.data,
      gatesHidden.data,
      hPrev.data,
      rows,
      hidden,
    ),
  );
}
