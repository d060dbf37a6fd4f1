// Reference backward of the rotary position embedding (../rope.ts). Each pair
// (x0, x1) → (x0·c − x1·s, x0·s + x1·c) is a rotation R; its Jacobian transpose
// Rᵀ is the rotation by the opposite angle: dx0 = dy0·c + dy1·s, dx1 = −dy0·s + dy1·c.
// Dimensions beyond rotaryDim pass through unchanged, so their gradient does too.

import type { RopeLayout } from "../../backend.js";
import type { FloatArray } from "../../../tensor/tensor.js";

export function ropeBackward(
  dx: FloatArray,
  dOut: FloatArray,
  rows: number,
  nHeads: number,
  headDim: number,
  firstPosition: number,
  cos: FloatArray,
  sin: FloatArray,
  rotaryDim: number,
  layout: RopeLayout,
): void {
  const half = rotaryDim / 2;
  for (let r = 0; r < rows; r++) {
    const table = (firstPosition + r) * half;
    for (let h = 0; h < nHeads; h++) {
      const base = (r * nHeads + h) * headDim;
      for (let i = 0; i < half; i++) {
        const c = cos[table + i]!;
        const s = sin[table + i]!;
        const a = layout === "half" ? base + i : base + 2 * i;
        const b = layout === "half" ? base + i + half : a + 1;
        const dy0 = dOut[a]!;
        const dy1 = dOut[b]!;
        dx[a] += dy0 * c + dy1 * s;
        dx[b] += dy1 * c - dy0 * s;
      }
      for (let d = rotaryDim; d < headDim; d++) dx[base + d] += dOut[base + d]!;
    }
  }
}
