// Finite-difference check of a whole model's gradients, after `loss(batch).backward()`:
// for every parameter, the element with the largest gradient (and, given `random`, one
// element at random) is nudged by ±h and the central difference of `evaluate(batch)` is
// compared with the gradient the tape left. Float32 models: h is large (1e-2 or 2e-3 of
// the element) and the tolerance loose, as in test-backend-ops' gradient mode for f32.
import assert from "node:assert/strict";
import type { Parameter } from "../../src/autograd/variable.js";

export interface ModelGradientCheck {
  /** h = step · max(1, |element|). */
  step: number;
  /** |numeric − analytic| ≤ absolute + relative · |analytic|. */
  absolute: number;
  relative: number;
  /** Also checks one element at random per parameter, drawn from this. */
  random?: () => number;
}

export async function checkModelGradients<B>(
  model: { namedParameters(): [string, Parameter][]; evaluate(batch: B): Promise<number> },
  batch: B,
  { step, absolute, relative, random }: ModelGradientCheck,
): Promise<void> {
  for (const [param, p] of model.namedParameters()) {
    assert.ok(p.grad !== null, `${param} got no gradient`);
    let largest = 0;
    for (let i = 0; i < p.size; i++) if (Math.abs(p.grad[i]!) > Math.abs(p.grad[largest]!)) largest = i;
    for (const i of random === undefined ? [largest] : [largest, Math.floor(random() * p.size)]) {
      const original = p.data[i]!;
      const h = step * Math.max(1, Math.abs(original));
      p.data[i] = original + h;
      const up = await model.evaluate(batch);
      p.data[i] = original - h;
      const down = await model.evaluate(batch);
      p.data[i] = original;
      const numeric = (up - down) / (2 * h);
      const analytic = p.grad[i]!;
      assert.ok(Math.abs(numeric - analytic) <= absolute + relative * Math.abs(analytic), `${param}[${i}]: analytic ${analytic}, numeric ${numeric}`);
    }
  }
}
