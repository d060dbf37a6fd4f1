// Finite-difference gradient checks for the autograd ops (ggml test-backend-ops'
// gradient mode, micrograd's tests): in float64, each input element is nudged by
// ±h and the central difference (f(x+h) − f(x−h)) / 2h is compared with the
// gradient the tape computed. A non-scalar op output is reduced to a scalar by a
// fixed random projection Σ out ⊙ R, so every output element matters.
import { Tape } from "../../src/autograd/tape.js";
import { float64TapeKernels } from "../../src/autograd/kernels.js";
import { Parameter, type Variable } from "../../src/autograd/variable.js";
import type { Shape } from "../../src/tensor/tensor.js";
import { randomNormal } from "./random.js";

export type V64 = Variable<Float64Array>;

/** A float64 parameter of random normal values. */
export function param64(random: () => number, name: string, shape: Shape, std = 1, mean = 0): Parameter<Float64Array> {
  let n = 1;
  for (const d of shape) n *= d;
  return new Parameter(name, Float64Array.from(randomNormal(random, n, std, mean)), shape);
}

/** loss = Σ x ⊙ weights, recorded on the tape (a test-only op, built from the public Tape.record). */
export function project(tape: Tape<Float64Array>, x: V64, weights: Float64Array): V64 {
  let s = 0;
  for (let i = 0; i < x.size; i++) s += x.data[i]! * weights[i]!;
  return tape.record(Float64Array.of(s), [], [x], (dOut) => {
    const dx = tape.gradFor(x);
    if (dx !== null) for (let i = 0; i < x.size; i++) dx[i] += dOut[0]! * weights[i]!;
  });
}

export interface GradientCheckResult {
  /** Largest |analytic − numeric| / (|numeric| + floor) over all checked elements. */
  worst: number;
  where: string;
  checked: number;
}

/**
 * Runs build on a fresh float64 tape, back-propagates, and compares every
 * element of every input's gradient with central differences. The error of an
 * element is |analytic − numeric| / (|numeric| + floor), where floor is 1e-2 of the
 * largest numeric gradient of that input: elements whose gradient is ~0 are judged
 * against the input's scale. The central difference carries rounding noise of about
 * 1e-16·|f|/h and truncation error of about h²·f‴/6; h = 1e-5 (near the optimum
 * ∛ε ≈ 6e-6) keeps both below 1e-10 on these inputs, where h = 1e-6 left the
 * noise at ~5e-7 of the largest gradient, too close to the tolerance.
 */
export function checkGradients(
  build: (tape: Tape<Float64Array>) => V64,
  inputs: readonly V64[],
  options: { h?: number; maxElements?: number } = {},
): GradientCheckResult {
  const h = options.h ?? 1e-5;
  const tape = new Tape(float64TapeKernels);
  for (const v of inputs) v.grad = null;
  tape.backward(build(tape));
  const evaluate = () => {
    const fresh = new Tape(float64TapeKernels);
    return fresh.noGrad(() => build(fresh)).data[0]!;
  };
  let worst = 0;
  let where = "";
  let checked = 0;
  inputs.forEach((v, which) => {
    const analytic = v.grad === null ? new Float64Array(v.size) : Float64Array.from(v.grad);
    const stride = Math.max(1, Math.floor(v.size / (options.maxElements ?? Infinity)));
    const numeric = new Float64Array(v.size);
    for (let i = 0; i < v.size; i += stride) {
      const saved = v.data[i]!;
      v.data[i] = saved + h;
      const plus = evaluate();
      v.data[i] = saved - h;
      const minus = evaluate();
      v.data[i] = saved;
      numeric[i] = (plus - minus) / (2 * h);
    }
    let scale = 0;
    for (let i = 0; i < v.size; i += stride) scale = Math.max(scale, Math.abs(numeric[i]!));
    const floor = Math.max(1e-2 * scale, 1e-9);
    for (let i = 0; i < v.size; i += stride) {
      const error = Math.abs(analytic[i]! - numeric[i]!) / (Math.abs(numeric[i]!) + floor);
      checked++;
      if (!(error <= worst)) {
        worst = Number.isNaN(error) ? Infinity : error;
        where = `${v.name ?? `input ${which}`}[${i}]: analytic ${analytic[i]} vs numeric ${numeric[i]}`;
      }
    }
  });
  return { worst, where, checked };
}
