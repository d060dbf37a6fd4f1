// Embedding table: row i is the vector of id i (token ids, positions, token types).
import { embedding } from "../autograd/embedding.js";
import type { Variable } from "../autograd/variable.js";
import type { Backend } from "../backend/backend.js";
import { InputError } from "../errors.js";
import type { TapeContext } from "./tape-context.js";

export class Embedding {
  constructor(
    /** [count, dim] */
    readonly table: Float32Array,
    readonly count: number,
    readonly dim: number,
  ) {}

  /** out [ids.length, dim] = table[ids] */
  forward(backend: Backend, out: Float32Array, ids: ArrayLike<number>): void {
    this.checkIds(ids);
    backend.embedding(out, this.table, ids, this.dim);
  }

  /** out [count, dim] = table[first .. first+count) — consecutive ids, e.g. positions. */
  forwardRange(out: Float32Array, first: number, count: number): void {
    if (first < 0 || first + count > this.count) {
      throw new InputError(`positions ${first}..${first + count - 1} exceed the ${this.count} rows of the table`);
    }
    out.set(this.table.subarray(first * this.dim, (first + count) * this.dim));
  }

  /**
   * The lookup recorded on a tape: ids [n] → [n, dim]; gradients scatter-add into
   * the table, except into the row of `paddingIdx` (torch's padding_idx).
   */
  forwardOnTape(ctx: TapeContext, ids: readonly number[], paddingIdx?: number): Variable {
    this.checkIds(ids);
    return embedding(ctx.tape, ctx.parameters.whole(this.table), ids, paddingIdx === undefined ? {} : { paddingIdx });
  }

  private checkIds(ids: ArrayLike<number>): void {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!Number.isInteger(id) || id < 0 || id >= this.count) {
        throw new InputError(`id ${id} at index ${i} is outside the embedding table [0, ${this.count})`);
      }
    }
  }
}
