// FAVOR+ (Choromanski et al. 2020, "Rethinking Attention with Performers"): positive
// orthogonal random features whose dot products estimate the softmax kernel,
//   φ(x) = exp(Wx − |x|²/2) / √m,   E[φ(q')·φ(k')] = exp(q'·k') = exp(q·k / √d)
// for q' = q / d^¼, k' = k / d^¼ (the 1/√d of scaled dot-product attention split
// between them). The m rows of W are drawn from a seed in blocks of d orthogonal
// directions (Gram–Schmidt on Gaussian matrices), each scaled to the norm of an
// independent Gaussian vector, as the paper's `gaussian_orthogonal_random_matrix`
// does; `redraw(seed)` draws new ones (the paper redraws during training). The
// features are a fixed projection, not trained.

import { positiveRandomFeatures } from "../autograd/feature-maps.js";
import { scale } from "../autograd/elementwise.js";
import type { Variable } from "../autograd/variable.js";
import type { Backend } from "../backend/backend.js";
import { Rng } from "../tensor/random.js";
import type { FeatureMap } from "./feature-map.js";
import type { TapeContext } from "./tape-context.js";

/** m × d orthogonal random features from `seed`, row j scaled to the norm of a fresh N(0, I_d) draw. */
export function orthogonalRandomFeatures(features: number, dim: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const normal = (): number => {
    const u = 1 - rng.nextFloat();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.nextFloat());
  };
  const omega = new Float32Array(features * dim);
  for (let first = 0; first < features; first += dim) {
    const block: Float64Array[] = [];
    for (let r = 0; r < dim; r++) {
      // Gram–Schmidt against the rows of this block drawn so far (twice, for accuracy)
      const row = Float64Array.from({ length: dim }, normal);
      for (let pass = 0; pass < 2; pass++) {
        for (const done of block) {
          let dot = 0;
          for (let d = 0; d < dim; d++) dot += row[d]! * done[d]!;
          for (let d = 0; d < dim; d++) row[d] = row[d]! - dot * done[d]!;
        }
      }
      let norm = 0;
      for (let d = 0; d < dim; d++) norm += row[d]! * row[d]!;
      norm = Math.sqrt(norm);
      for (let d = 0; d < dim; d++) row[d] = row[d]! / norm;
      block.push(row);
    }
    for (let r = 0; r < dim && first + r < features; r++) {
      let length = 0;
      for (let d = 0; d < dim; d++) length += normal() ** 2;
      length = Math.sqrt(length);
      for (let d = 0; d < dim; d++) omega[(first + r) * dim + d] = block[r]![d]! * length;
    }
  }
  return omega;
}

export class PerformerFeatureMap implements FeatureMap {
  /** [featureDim, headDim] the random projection W */
  readonly omega: Float32Array;
  private drawnSeed: number;
  /** d^(−1/4): queries and keys are scaled by it before the features. */
  private readonly inputScale: number;

  constructor(
    readonly featureDim: number,
    readonly headDim: number,
    seed: number,
  ) {
    if (!(Number.isInteger(featureDim) && featureDim >= 1)) throw new RangeError(`FAVOR+ needs a positive number of features, got ${featureDim}`);
    this.omega = orthogonalRandomFeatures(featureDim, headDim, seed);
    this.drawnSeed = seed;
    this.inputScale = headDim ** -0.25;
  }

  /** The seed the current features were drawn from. */
  get seed(): number {
    return this.drawnSeed;
  }

  /** Draws new random features from `seed` (in place: every user of the map sees them). */
  redraw(seed: number): void {
    this.omega.set(orthogonalRandomFeatures(this.featureDim, this.headDim, seed));
    this.drawnSeed = seed;
  }

  apply(backend: Backend, out: Float32Array, x: Float32Array, rows: number): void {
    backend.scale(x, rows * this.headDim, this.inputScale);
    backend.positiveRandomFeatures(out, x, this.omega, rows, this.headDim, this.featureDim);
  }

  applyOnTape(ctx: TapeContext, x: Variable): Variable {
    const scaled = scale(ctx.tape, x, this.inputScale);
    return positiveRandomFeatures(ctx.tape, scaled, this.omega, this.featureDim);
  }
}
