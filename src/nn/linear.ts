// Linear layer y = x·Wᵀ + b with W in nn.Linear layout [out, in] (or a column
// window of a Conv1D weight, GPT-2's layout), optionally with a LoRA adapter.
import { linear } from "../autograd/linear.js";
import { linearColumns } from "../autograd/linear-columns.js";
import { slice } from "../autograd/slice.js";
import type { Variable } from "../autograd/variable.js";
import type { Backend } from "../backend/backend.js";
import { InputError } from "../errors.js";
import type { WeightMatrix } from "../tensor/weights.js";
import type { LoraWindow } from "./lora.js";
import type { TapeContext } from "./tape-context.js";

export class Linear {
  /** A LoRA update added to this layer's output, when an adapter is attached. */
  lora: LoraWindow | null = null;

  constructor(
    readonly weight: WeightMatrix,
    readonly bias: Float32Array | null,
  ) {}

  get inFeatures(): number {
    return this.weight.cols;
  }

  get outFeatures(): number {
    return this.weight.rows;
  }

  /** out [rows, outFeatures] = x [rows, inFeatures] · Wᵀ + b */
  forward(backend: Backend, out: Float32Array, x: Float32Array, rows: number): void {
    backend.matmul(out, x, this.weight, this.bias, rows);
    if (this.lora !== null) this.lora.adapter.addUpdate(backend, out, x, rows, this.lora.first, this.lora.count);
  }

  /** The same product recorded on a tape: [..., inFeatures] → [..., outFeatures]. */
  forwardOnTape(ctx: TapeContext, x: Variable): Variable {
    const y = this.baseOnTape(ctx, x);
    return this.lora === null ? y : this.lora.adapter.addUpdateOnTape(ctx, y, x, this.lora.first, this.lora.count);
  }

  private biasOnTape(ctx: TapeContext, bias: Float32Array): Variable {
    const { variable, offset } = ctx.parameters.locate(bias);
    // a window of a fused bias, or a bias stored with another shape (BART's final_logits_bias is [1, vocab])
    return offset === 0 && variable.size === bias.length && variable.shape.length === 1 ? variable : slice(ctx.tape, variable, offset, [bias.length]);
  }

  private baseOnTape(ctx: TapeContext, x: Variable): Variable {
    const w = this.weight;
    switch (w.type) {
      case "f32": {
        // The weight is a parameter, or a window of rows of one (a fused projection's part).
        const { variable, offset } = ctx.parameters.locate(w.data);
        const weight = offset === 0 && variable.size === w.data.length ? variable : slice(ctx.tape, variable, offset, [w.rows, w.cols]);
        const bias = this.bias === null ? null : this.biasOnTape(ctx, this.bias);
        return linear(ctx.tape, x, weight, bias);
      }
      case "f32_columns": {
        const bias = this.bias === null ? null : ctx.parameters.locate(this.bias).variable;
        return linearColumns(ctx.tape, x, ctx.parameters.whole(w.data), bias, { first: w.firstColumn, count: w.rows });
      }
      default:
        throw new InputError(`training needs float32 weights; this layer's are ${w.type}`);
    }
  }
}
