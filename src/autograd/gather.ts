// Columns picked by index (torch's index_select along the last dimension): out[r, j]
// = x[r, index[j]]. Used to reorder a fused projection's output (GPT-NeoX's per-head
// q|k|v) into blocks. Backward scatter-adds each column's gradient back.

import type { FloatArray } from "../tensor/tensor.js";
import { lastDim } from "./shapes.js";
import type { Tape } from "./tape.js";
import type { Variable } from "./variable.js";

export function gatherColumns<A extends FloatArray>(tape: Tape<A>, x: Variable<A>, index: Int32Array): Variable<A> {
  const width = lastDim(x, "gatherColumns", "x");
  const rows = x.size / width;
  for (const j of index) if (j < 0 || j >= width) throw new RangeError(`gatherColumns: column ${j} is outside [0, ${width})`);
  const n = index.length;
  const out = tape.allocate(rows * n); // [rows, n]
  for (let r = 0; r < rows; r++) for (let j = 0; j < n; j++) out[r * n + j] = x.data[r * width + index[j]!]!;
  return tape.record(out, [...x.shape.slice(0, -1), n], [x], (dOut) => {
    const dx = tape.gradFor(x)!;
    for (let r = 0; r < rows; r++) for (let j = 0; j < n; j++) dx[r * width + index[j]!] += dOut[r * n + j]!;
  });
}
