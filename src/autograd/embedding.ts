// Embedding lookup on the tape: out[i, :] = table[ids[i], :] (PyTorch F.embedding).
// Backward scatter-adds into the table's gradient, so a repeated id, or a table
// also used as the LM head (tied weights), gets the sum. The same gather selects
// rows of any [rows, dim] variable (e.g. the [CLS] rows for a pooler).

import { InputError } from "../errors.js";
import type { FloatArray } from "../tensor/tensor.js";
import type { Tape } from "./tape.js";
import type { Variable } from "./variable.js";

export interface EmbeddingOptions {
  /** Rows of this id get no gradient (torch padding_idx, BERT's word embeddings). */
  paddingIdx?: number;
}

/** out [ids.length, dim] = table [count, dim] gathered at ids. */
export function embedding<A extends FloatArray>(
  tape: Tape<A>,
  table: Variable<A>,
  ids: ArrayLike<number>,
  options: EmbeddingOptions = {},
): Variable<A> {
  if (table.shape.length !== 2) throw new RangeError(`embedding: table must be [count, dim], got [${table.shape.join(", ")}]`);
  const [count, dim] = table.shape as [number, number];
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!Number.isInteger(id) || id < 0 || id >= count) {
      throw new InputError(`id ${id} at index ${i} is outside the embedding table${table.name === undefined ? "" : ` "${table.name}"`} [0, ${count})`);
    }
  }
  const out = tape.output(ids.length * dim); // [ids.length, dim]
  tape.kernels.forward.embedding(out, table.data, ids, dim);
  const savedIds = Array.from(ids);
  return tape.record(out, [ids.length, dim], [table], (dOut) =>
    tape.kernels.backward.embeddingBackward(tape.gradFor(table)!, dOut, savedIds, dim, options.paddingIdx ?? null),
  );
}
