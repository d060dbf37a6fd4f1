// Normalisation layers: LayerNorm (GPT-2, BERT) and RMSNorm (Llama family, Gemma's 1 + w),
// and the identity where a stack has no norm at that place.
import { layerNorm, rmsNorm } from "../autograd/norms.js";
import type { Variable } from "../autograd/variable.js";
import type { Backend } from "../backend/backend.js";
import type { TapeContext } from "./tape-context.js";

export interface Norm {
  /** out [rows, dim] = norm(x [rows, dim]); out may alias x. */
  forward(backend: Backend, out: Float32Array, x: Float32Array, rows: number): void;
  /** The same, recorded on a tape. */
  forwardOnTape(ctx: TapeContext, x: Variable): Variable;
}

export class LayerNorm implements Norm {
  constructor(
    readonly weight: Float32Array,
    readonly bias: Float32Array,
    readonly eps: number,
  ) {}

  forward(backend: Backend, out: Float32Array, x: Float32Array, rows: number): void {
    backend.layerNorm(out, x, this.weight, this.bias, rows, this.weight.length, this.eps);
  }

  forwardOnTape(ctx: TapeContext, x: Variable): Variable {
    const { parameters: p } = ctx;
    return layerNorm(ctx.tape, x, p.whole(this.weight), p.whole(this.bias), this.eps);
  }
}

/** x / rms(x) · (weightOffset + weight): weightOffset 0 for Llama, 1 for Gemma's (1 + w) gain. */
export class RMSNorm implements Norm {
  constructor(
    readonly weight: Float32Array,
    readonly eps: number,
    readonly weightOffset = 0,
  ) {}

  forward(backend: Backend, out: Float32Array, x: Float32Array, rows: number): void {
    backend.rmsNorm(out, x, this.weight, rows, this.weight.length, this.eps, this.weightOffset);
  }

  forwardOnTape(ctx: TapeContext, x: Variable): Variable {
    return rmsNorm(ctx.tape, x, ctx.parameters.whole(this.weight), this.eps, this.weightOffset);
  }
}

/** No normalisation: the final "norm" of a post-norm stack, whose last block already ends with one. */
export class IdentityNorm implements Norm {
  constructor(readonly dim: number) {}

  forward(_backend: Backend, out: Float32Array, x: Float32Array, rows: number): void {
    if (out !== x) out.set(x.subarray(0, rows * this.dim));
  }

  forwardOnTape(_ctx: TapeContext, x: Variable): Variable {
    return x;
  }
}
