// LoRA (Hu et al. 2021), as PEFT implements it: a frozen Linear W gains a trainable
// low-rank update, y = x·Wᵀ + b + scaling · (x·Aᵀ)·Bᵀ with A [r, in], B [out, r] and
// scaling = alpha / r. GPT-2's q, k and v Linears are windows of one fused c_attn;
// its single adapter serves them all, each reading the rows of B of its window.

import { dropout } from "../autograd/dropout.js";
import { add, scale } from "../autograd/elementwise.js";
import { linear } from "../autograd/linear.js";
import { reshape, splitColumns } from "../autograd/reshape.js";
import type { Parameter, Variable } from "../autograd/variable.js";
import type { Backend } from "../backend/backend.js";
import { f32Matrix } from "../tensor/weights.js";
import type { TapeContext } from "./tape-context.js";

export class LoraAdapter {
  /** [rank] filled with `scaling`, to scale x·Aᵀ with the backend's elementwise product. */
  private scalingRow: Float32Array | null = null;
  /** [rows, rank] x·Aᵀ of the current chunk. */
  private projected: Float32Array | null = null;
  /** [rows, out] the update before it is added. */
  private update: Float32Array | null = null;

  constructor(
    /** [rank, in] */
    readonly a: Parameter,
    /** [out, rank] */
    readonly b: Parameter,
    readonly scaling: number,
    /** Dropout on the adapter's input while training (lora_dropout). */
    readonly dropout: number,
  ) {}

  get rank(): number {
    return this.a.shape[0]!;
  }

  get inFeatures(): number {
    return this.a.shape[1]!;
  }

  /** out [rows, count] += scaling · (x·Aᵀ)·B[first .. first+count)ᵀ */
  addUpdate(backend: Backend, out: Float32Array, x: Float32Array, rows: number, first: number, count: number): void {
    const r = this.rank;
    this.ensureScratch(backend, rows, count);
    const projected = this.projected!;
    const update = this.update!;
    backend.matmul(projected, x, f32Matrix(this.a.data, r, this.inFeatures), null, rows); // [rows, r]
    for (let i = 0; i < rows; i++) {
      const row = projected.subarray(i * r, (i + 1) * r);
      backend.mul(row, row, this.scalingRow!, r);
    }
    backend.matmul(update, projected, f32Matrix(this.b.data.subarray(first * r, (first + count) * r), count, r), null, rows); // [rows, count]
    backend.add(out, out, update, rows * count);
  }

  /** y + scaling · (dropout(x)·Aᵀ)·B[window]ᵀ on a tape; gradients reach A and B's window rows. */
  addUpdateOnTape(ctx: TapeContext, y: Variable, x: Variable, first: number, count: number): Variable {
    const r = this.rank;
    const input = ctx.training && this.dropout > 0 ? dropout(ctx.tape, x, this.dropout, ctx.random) : x;
    const projected = linear(ctx.tape, input, this.a, null); // [rows, r]
    const out = this.b.shape[0]!;
    let b: Variable = this.b;
    if (count !== out) {
      // Rows first .. first+count of B [out, r] are a contiguous run of its elements.
      const widths = [first * r, count * r, (out - first - count) * r];
      const parts = splitColumns(ctx.tape, reshape(ctx.tape, this.b, [1, out * r]), widths.filter((w) => w > 0));
      b = reshape(ctx.tape, parts[first > 0 ? 1 : 0]!, [count, r]);
    }
    return add(ctx.tape, y, scale(ctx.tape, linear(ctx.tape, projected, b, null), this.scaling));
  }

  /**
   * Adds scaling · B·A [out, in] into the base weight, stored [out, in] (nn.Linear)
   * or [in, out] (Conv1D). A one-time weight update, not a forward kernel.
   */
  mergeInto(weight: Float32Array, layout: "out-in" | "in-out"): void {
    const r = this.rank;
    const inF = this.inFeatures;
    const outF = this.b.shape[0]!;
    const a = this.a.data;
    const b = this.b.data;
    for (let o = 0; o < outF; o++) {
      for (let i = 0; i < inF; i++) {
        let s = 0;
        for (let k = 0; k < r; k++) s += b[o * r + k]! * a[k * inF + i]!;
        const at = layout === "out-in" ? o * inF + i : i * outF + o;
        weight[at] = weight[at]! + this.scaling * s;
      }
    }
  }

  private ensureScratch(backend: Backend, rows: number, count: number): void {
    const r = this.rank;
    if (this.scalingRow === null) this.scalingRow = backend.allocate(r).fill(this.scaling);
    if (this.projected === null || this.projected.length < rows * r) this.projected = backend.allocate(rows * r);
    if (this.update === null || this.update.length < rows * count) this.update = backend.allocate(rows * count);
  }
}

/** An adapter as one Linear sees it: the rows [first, first + count) of B that are its outputs. */
export interface LoraWindow {
  readonly adapter: LoraAdapter;
  readonly first: number;
  readonly count: number;
}
