// Data movement on the tape, for the model code's layouts: a reshape (a view of
// the same data), a split of a fused projection into parts by columns (GPT-2's
// c_attn [rows, 3·dim] → q, k, v), its inverse concat, a 2-D transpose (e.g.
// a Conv1D [in, out] weight to nn.Linear [out, in]), and a window of rows and its
// inverse concat (an RNN's time steps). Backward moves the gradient
// back the same way (torch view / split / cat / t).

import { numel, shapeString, type FloatArray, type Shape } from "../tensor/tensor.js";
import { rowsOf } from "./shapes.js";
import type { Tape } from "./tape.js";
import { view } from "./view.js";
import type { Variable } from "./variable.js";

/** The same elements under another shape; shares x's data (ops never write their inputs). */
export function reshape<A extends FloatArray>(tape: Tape<A>, x: Variable<A>, shape: Shape): Variable<A> {
  if (numel(shape) !== x.size) throw new RangeError(`reshape: ${x.size} elements cannot take shape ${shapeString(shape)}`);
  return tape.record(x.data, [...shape], [x], (dOut) => tape.kernels.backward.accumulate(tape.gradFor(x)!, dOut, x.size, 1));
}

/** x [rows, Σ widths] → parts [rows, widths[i]], the columns in order. */
export function splitColumns<A extends FloatArray>(tape: Tape<A>, x: Variable<A>, widths: readonly number[]): Variable<A>[] {
  const total = widths.reduce((s, w) => s + w, 0);
  const rows = rowsOf(x, total, "splitColumns", "x");
  let offset = 0;
  return widths.map((width) => {
    const start = offset;
    offset += width;
    const out = tape.output(rows * width);
    for (let r = 0; r < rows; r++) out.set(view(x.data, r * total + start, width), r * width);
    return tape.record(out, [rows, width], [x], (dOut) => {
      const dx = tape.gradFor(x)!;
      for (let r = 0; r < rows; r++) {
        tape.kernels.backward.accumulate(view(dx, r * total + start, width), view(dOut, r * width, width), width, 1);
      }
    });
  });
}

/** parts [rows, widths[i]] → [rows, Σ widths] (heads or branches side by side). */
export function concatColumns<A extends FloatArray>(tape: Tape<A>, parts: readonly Variable<A>[]): Variable<A> {
  if (parts.length === 0) throw new RangeError("concatColumns: no parts");
  const widths = parts.map((p) => p.shape[p.shape.length - 1] ?? 1);
  const rows = parts[0]!.size / widths[0]!;
  parts.forEach((p, i) => rowsOf(p, widths[i]!, "concatColumns", `part ${i}`) === rows || badRows(i, rows));
  const total = widths.reduce((s, w) => s + w, 0);
  const out = tape.output(rows * total);
  let offset = 0;
  const starts = widths.map((w) => (offset += w) - w);
  parts.forEach((p, i) => {
    for (let r = 0; r < rows; r++) out.set(view(p.data, r * widths[i]!, widths[i]!), r * total + starts[i]!);
  });
  return tape.record(out, [rows, total], parts, (dOut) =>
    parts.forEach((p, i) => {
      const dp = tape.gradFor(p);
      if (dp === null) return;
      const width = widths[i]!;
      for (let r = 0; r < rows; r++) {
        tape.kernels.backward.accumulate(view(dp, r * width, width), view(dOut, r * total + starts[i]!, width), width, 1);
      }
    }),
  );
}

function badRows(part: number, rows: number): never {
  throw new RangeError(`concatColumns: part ${part} does not have ${rows} rows like part 0`);
}

/** x [r, c] → xᵀ [c, r] (a copy). */
export function transpose<A extends FloatArray>(tape: Tape<A>, x: Variable<A>): Variable<A> {
  if (x.shape.length !== 2) throw new RangeError(`transpose: expected a 2-D variable, got ${shapeString(x.shape)}`);
  const [r, c] = x.shape as [number, number];
  const out = tape.output(x.size);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = x.data[i * c + j]!;
  return tape.record(out, [c, r], [x], (dOut) => {
    const dx = tape.gradFor(x)!;
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) dx[i * c + j] += dOut[j * r + i]!;
  });
}

/**
 * Rows [start, start + count) of x seen as [rows, features] (features = its last
 * dimension): a view sharing x's data, e.g. one time step of a time-major
 * sequence, or the h and c halves of an LSTM state. Backward adds into that window.
 */
export function sliceRows<A extends FloatArray>(tape: Tape<A>, x: Variable<A>, start: number, count: number): Variable<A> {
  const features = x.shape[x.shape.length - 1] ?? 1;
  const rows = x.shape.length === 0 ? 1 : x.size / features;
  if (!(Number.isInteger(start) && Number.isInteger(count) && start >= 0 && count >= 1 && start + count <= rows)) {
    throw new RangeError(`sliceRows: rows ${start}..${start + count - 1} are outside the ${rows} rows of ${shapeString(x.shape)}`);
  }
  const offset = start * features;
  const length = count * features;
  return tape.record(view(x.data, offset, length), [count, features], [x], (dOut) =>
    tape.kernels.backward.accumulate(view(tape.gradFor(x)!, offset, length), dOut, length, 1),
  );
}

/** parts [rows_i, features] → [Σ rows_i, features], one after another (e.g. the time steps of a sequence). */
export function concatRows<A extends FloatArray>(tape: Tape<A>, parts: readonly Variable<A>[]): Variable<A> {
  if (parts.length === 0) throw new RangeError("concatRows: no parts");
  const features = parts[0]!.shape[parts[0]!.shape.length - 1] ?? 1;
  const offsets: number[] = [];
  let total = 0;
  parts.forEach((p, i) => {
    rowsOf(p, features, "concatRows", `part ${i}`);
    offsets.push(total);
    total += p.size;
  });
  const out = tape.allocate(total); // [Σ rows, features]
  parts.forEach((p, i) => out.set(p.data, offsets[i]!));
  return tape.record(out, [total / features, features], parts, (dOut) =>
    parts.forEach((p, i) => {
      const dp = tape.gradFor(p);
      if (dp !== null) tape.kernels.backward.accumulate(dp, view(dOut, offsets[i]!, p.size), p.size, 1);
    }),
  );
}
