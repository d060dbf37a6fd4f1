// Reference rotary position embedding (Su et al. 2021). Two layouts of the pairs
// that rotate together: "half" pairs dimension i with i + rotaryDim/2 (Hugging Face
// rotate_half), "interleaved" pairs 2i with 2i+1 (Meta, llama2.c run.c, GGUF).
// Pair i at position p turns by angle p·θ^(−2i/rotaryDim); cos/sin come from a
// precomputed [positions, rotaryDim/2] table (nn/rotary-embedding.ts).

import type { FloatArray } from "../../tensor/tensor.js";
import type { RopeLayout } from "../backend.js";

export function rope(
  x: FloatArray,
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
        const x0 = x[a]!;
        const x1 = x[b]!;
        x[a] = x0 * c - x1 * s;
        x[b] = x0 * s + x1 * c;
      }
    }
  }
}
