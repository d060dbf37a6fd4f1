// The feature map φ of linear attention, which replaces softmax(q·k) by φ(q)·φ(k):
// elu(x) + 1 (Katharopoulos et al. 2020) here; FAVOR+ random features
// (Choromanski et al. 2020) in performer-features.ts.

import { eluPlusOne } from "../autograd/feature-maps.js";
import type { Variable } from "../autograd/variable.js";
import type { Backend } from "../backend/backend.js";
import type { TapeContext } from "./tape-context.js";

export interface FeatureMap {
  /** Features per head, F. */
  readonly featureDim: number;
  /** out [rows, F] = φ(x [rows, headDim]), one row per token and head; x may be overwritten. */
  apply(backend: Backend, out: Float32Array, x: Float32Array, rows: number): void;
  /** The same on a tape: x [rows, headDim] → [rows, F]. */
  applyOnTape(ctx: TapeContext, x: Variable): Variable;
}

/** φ(x) = elu(x) + 1, elementwise: F = headDim, positive, so every normaliser φ(q)·z is too. */
export class EluFeatureMap implements FeatureMap {
  constructor(readonly featureDim: number) {}

  apply(backend: Backend, out: Float32Array, x: Float32Array, rows: number): void {
    const n = rows * this.featureDim;
    out.set(x.subarray(0, n));
    backend.eluPlusOne(out, n);
  }

  applyOnTape(ctx: TapeContext, x: Variable): Variable {
    return eluPlusOne(ctx.tape, x);
  }
}
