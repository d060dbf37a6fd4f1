// q/k row permutation between the Meta interleaved and HF rotate_half RoPE layouts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { permuteHfToMeta, permuteMetaToHf } from "../../../src/io/llama-rotary-permute.js";

/** Direct transcription of `w.view(H, rows/H/2, 2, cols).transpose(1, 2).reshape(rows, cols)`. */
function viewTransposeReshape(w: Float32Array, heads: number, cols: number): Float32Array {
  const rows = w.length / cols;
  const half = rows / heads / 2;
  const out = new Float32Array(w.length);
  let k = 0;
  for (let h = 0; h < heads; h++)
    for (let j = 0; j < 2; j++) // transposed: the pair element index now comes before the pair index
      for (let i = 0; i < half; i++)
        for (let c = 0; c < cols; c++) out[k++] = w[((h * half + i) * 2 + j) * cols + c]!;
  return out;
}

describe("Llama rotary row permutation", () => {
  it("moves each head's pair elements apart (Meta → HF) on a small known case", () => {
    // 2 heads of size 4, one column: rows are their own indices.
    const meta = Float32Array.from({ length: 8 }, (_, i) => i);
    assert.deepEqual([...permuteMetaToHf(meta, 2, 1)], [0, 2, 1, 3, 4, 6, 5, 7]);
  });

  it("matches view/transpose/reshape and inverts exactly on awkward shapes", () => {
    for (const [heads, headDim, cols] of [[1, 2, 3], [3, 6, 5], [4, 8, 7], [2, 10, 1]] as const) {
      const w = Float32Array.from({ length: heads * headDim * cols }, (_, i) => Math.sin(i) * 100);
      const hf = permuteMetaToHf(w, heads, cols);
      assert.deepEqual(hf, viewTransposeReshape(w, heads, cols));
      assert.deepEqual(permuteHfToMeta(hf, heads, cols), w);
      if (headDim > 2) assert.notDeepEqual(hf, w);
    }
  });

  it("rejects sizes that are not heads of even size", () => {
    assert.throws(() => permuteMetaToHf(new Float32Array(6), 2, 1), RangeError);
    assert.throws(() => permuteMetaToHf(new Float32Array(7), 1, 2), RangeError);
  });
});
