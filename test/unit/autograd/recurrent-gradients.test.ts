// Backpropagation through time against central differences in float64: the
// fused LSTM and GRU step ops, the row slice and concat that carry a time-major
// sequence, and each cell unrolled over several steps (the recurrence the model
// trains with, models/recurrent/recurrent-layer.ts) on awkward sizes. The error
// is relative (see helpers/gradient-check.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import { concatRows, float64TapeKernels, gruCell, linear, lstmCell, sliceRows, Tape } from "../../../src/autograd/index.js";
import type { RecurrentCell } from "../../../src/models/recurrent/cell.js";
import { elmanCell } from "../../../src/models/recurrent/elman-cell.js";
import { gruCell as gruRecurrentCell } from "../../../src/models/recurrent/gru-cell.js";
import { lstmCell as lstmRecurrentCell } from "../../../src/models/recurrent/lstm-cell.js";
import { unrollOnTape } from "../../../src/models/recurrent/recurrent-layer.js";
import { checkGradients, param64, project, type V64 } from "../../helpers/gradient-check.js";
import { randomNormal, seededRandom } from "../../helpers/random.js";

const random = seededRandom(19900);
const TOLERANCE = 1e-6;

function checkOp(what: string, inputs: V64[], op: (tape: Tape<Float64Array>) => V64): void {
  let weights: Float64Array | null = null;
  const result = checkGradients((tape) => {
    const out = op(tape);
    weights ??= Float64Array.from(randomNormal(random, out.size));
    return project(tape, out, weights);
  }, inputs);
  if (process.env["GRADCHECK_VERBOSE"]) console.log(`${what}: worst ${result.worst.toExponential(2)} over ${result.checked}`);
  assert.ok(result.checked > 0, `${what}: nothing checked`);
  assert.ok(result.worst <= TOLERANCE, `${what}: relative error ${result.worst.toExponential(2)} at ${result.where}`);
}

test("lstmCell: d gate inputs (both), d cPrev, through h and c, for awkward sizes and large gates", () => {
  for (const [rows, hidden, std] of [[1, 1, 1], [3, 5, 1], [2, 7, 2.5], [4, 3, 0.3]] as const) {
    const gi = param64(random, "gatesInput", [rows, 4 * hidden], std);
    const gh = param64(random, "gatesHidden", [rows, 4 * hidden], std);
    const cPrev = param64(random, "cPrev", [rows, hidden], 1.5);
    checkOp(`lstmCell ${rows}×${hidden}`, [gi, gh, cPrev], (tape) => lstmCell(tape, gi, gh, cPrev));
  }
});

test("gruCell: d gate inputs (both, the n block of gatesHidden scaled by r), d hPrev", () => {
  for (const [rows, hidden, std] of [[1, 1, 1], [3, 5, 1], [2, 7, 2.5], [4, 3, 0.3]] as const) {
    const gi = param64(random, "gatesInput", [rows, 3 * hidden], std);
    const gh = param64(random, "gatesHidden", [rows, 3 * hidden], std);
    const hPrev = param64(random, "hPrev", [rows, hidden]);
    checkOp(`gruCell ${rows}×${hidden}`, [gi, gh, hPrev], (tape) => gruCell(tape, gi, gh, hPrev));
  }
});

test("sliceRows and concatRows: windows of a time-major sequence and back, reused slices add up", () => {
  const x = param64(random, "x", [7, 3]);
  checkOp("sliceRows", [x], (tape) => concatRows(tape, [sliceRows(tape, x, 2, 3), sliceRows(tape, x, 0, 1), sliceRows(tape, x, 2, 2)]));
  const y = param64(random, "y", [2, 5, 3]); // leading dimensions count as rows
  checkOp("sliceRows 3-D", [y], (tape) => sliceRows(tape, y, 9, 1));
  assert.throws(() => sliceRows(new Tape(float64TapeKernels), param64(random, "x", [4, 2]), 3, 2), /rows 3\.\.4 are outside the 4 rows of \[4, 2\]/);
});

const CELLS: [string, RecurrentCell][] = [["Elman", elmanCell], ["LSTM", lstmRecurrentCell], ["GRU", gruRecurrentCell]];

test("each cell unrolled over several steps: d inputs, d W_ih, W_hh and both biases (BPTT)", () => {
  for (const [name, cell] of CELLS) {
    for (const [steps, batch, inputs, hidden] of [[1, 1, 2, 3], [5, 2, 3, 4], [6, 3, 5, 7]] as const) {
      const x = param64(random, "x", [steps * batch, inputs]); // time-major
      const wIh = param64(random, "weight_ih", [cell.gates * hidden, inputs], 0.6);
      const wHh = param64(random, "weight_hh", [cell.gates * hidden, hidden], 0.6);
      const bIh = param64(random, "bias_ih", [cell.gates * hidden], 0.3);
      const bHh = param64(random, "bias_hh", [cell.gates * hidden], 0.3);
      checkOp(`${name} ${steps} steps, batch ${batch}, ${inputs}→${hidden}`, [x, wIh, wHh, bIh, bHh], (tape) =>
        unrollOnTape(tape, cell, linear(tape, x, wIh, bIh), (h) => linear(tape, h, wHh, bHh), batch, hidden),
      );
    }
  }
});

test("a longer unroll through saturating weights still checks (vanishing and exploding paths)", () => {
  for (const [name, cell] of CELLS) {
    const [steps, batch, inputs, hidden] = [12, 2, 3, 5];
    const x = param64(random, "x", [steps * batch, inputs]);
    const wIh = param64(random, "weight_ih", [cell.gates * hidden, inputs], 1.2);
    const wHh = param64(random, "weight_hh", [cell.gates * hidden, hidden], 1.2);
    checkOp(`${name} ${steps} steps, large weights`, [x, wIh, wHh], (tape) =>
      unrollOnTape(tape, cell, linear(tape, x, wIh, null), (h) => linear(tape, h, wHh, null), batch, hidden),
    );
  }
});
