// One recurrent layer (one `l{k}` of torch nn.RNN / LSTM / GRU): the input
// projection x·W_ihᵀ + b_ih of every time step at once, then, step by step, the
// hidden projection h·W_hhᵀ + b_hh of the previous state and the cell.
//
// Inference runs one sequence on buffers, carrying its state from call to call
// (generation feeds one token at a time: no recomputation). Training unrolls the
// recurrence over the whole batch on the tape, so backward is backpropagation
// through time (Werbos 1990) by the tape's reverse walk. Sequences on the tape
// are time-major, [steps · batch, features]: the rows of time step t are
// contiguous, and a step's input is a view, not a copy.

import { constant, type Variable } from "../../autograd/variable.js";
import { concatRows, sliceRows } from "../../autograd/reshape.js";
import type { Tape } from "../../autograd/tape.js";
import type { Backend } from "../../backend/backend.js";
import type { Linear } from "../../nn/linear.js";
import type { TapeContext } from "../../nn/tape-context.js";
import type { FloatArray } from "../../tensor/tensor.js";
import type { CellState, RecurrentCell } from "./cell.js";

/** Buffers of one forward call, shared by the layers (recurrent-state.ts allocates them). */
export interface LayerScratch {
  /** [rows, gates·hidden]: x·W_ihᵀ + b_ih of a chunk of time steps */
  readonly gatesInput: Float32Array;
  /** [gates·hidden]: h·W_hhᵀ + b_hh of one step */
  readonly gatesHidden: Float32Array;
  /** [stateVectors · hidden]: the state after one step */
  readonly next: Float32Array;
}

export class RecurrentLayer {
  constructor(
    readonly cell: RecurrentCell,
    /** W_ih [gates·hidden, in], b_ih */
    readonly inputProjection: Linear,
    /** W_hh [gates·hidden, hidden], b_hh */
    readonly hiddenProjection: Linear,
    readonly hidden: number,
  ) {}

  /** Floats of one sequence's state: [stateVectors, hidden], h first. */
  get stateSize(): number {
    return this.cell.stateVectors * this.hidden;
  }

  /**
   * Runs `steps` time steps of one sequence from `state` (updated in place):
   * x [steps, in] → out [steps, hidden], the h of every step.
   */
  forward(backend: Backend, out: Float32Array, x: Float32Array, steps: number, state: Float32Array, scratch: LayerScratch): void {
    const { cell, hidden } = this;
    const width = cell.gates * hidden;
    this.inputProjection.forward(backend, scratch.gatesInput, x, steps); // [steps, gates·hidden]
    const h = state.subarray(0, hidden); // [hidden]
    for (let t = 0; t < steps; t++) {
      this.hiddenProjection.forward(backend, scratch.gatesHidden, h, 1); // [1, gates·hidden]
      const gatesInput = scratch.gatesInput.subarray(t * width, (t + 1) * width);
      cell.step(backend, scratch.next, gatesInput, scratch.gatesHidden, state, 1, hidden); // [stateVectors, hidden]
      state.set(scratch.next.subarray(0, this.stateSize));
      out.set(h, t * hidden);
    }
  }

  /** x [steps · batch, in] time-major → h of every step [steps · batch, hidden], from zero states. */
  forwardOnTape(ctx: TapeContext, x: Variable, batch: number): Variable {
    const gatesInput = this.inputProjection.forwardOnTape(ctx, x); // [steps · batch, gates·hidden]
    return unrollOnTape(ctx.tape, this.cell, gatesInput, (h) => this.hiddenProjection.forwardOnTape(ctx, h), batch, this.hidden);
  }
}

/**
 * The recurrence unrolled through time on a tape: gatesInput [steps · batch,
 * gates·hidden] time-major, hiddenGates(h) = h·W_hhᵀ + b_hh. Every sequence
 * starts from zero states (torch's default h_0 = c_0 = 0). Returns the h of every
 * step, [steps · batch, hidden] time-major.
 */
export function unrollOnTape<A extends FloatArray>(
  tape: Tape<A>,
  cell: RecurrentCell,
  gatesInput: Variable<A>,
  hiddenGates: (h: Variable<A>) => Variable<A>,
  batch: number,
  hidden: number,
): Variable<A> {
  const width = cell.gates * hidden;
  const steps = gatesInput.size / (batch * width);
  if (!Number.isInteger(steps) || steps < 1) {
    throw new RangeError(`unrollOnTape: ${gatesInput.size} gate inputs do not split into steps of ${batch} rows of ${width}`);
  }
  const zeros = (): Variable<A> => constant(tape.allocate(batch * hidden), [batch, hidden]);
  let state: CellState<A> = { h: zeros(), c: cell.stateVectors === 2 ? zeros() : null };
  const outputs: Variable<A>[] = [];
  for (let t = 0; t < steps; t++) {
    const stepGates = sliceRows(tape, gatesInput, t * batch, batch); // [batch, gates·hidden]
    state = cell.stepOnTape(tape, stepGates, hiddenGates(state.h), state);
    outputs.push(state.h); // [batch, hidden]
  }
  return concatRows(tape, outputs); // [steps · batch, hidden]
}
