// AssemblyScript. Helpers of the quantized panel kernels (quant32.ts, kquants.ts): a
// panel is 4 weight rows whose blocks are interleaved (src/backend/wasm/quant-panels.ts
// describes every tile), so 4 outputs are computed together and stored as one vector.

/** [Σ lanes of a, Σ b, Σ c, Σ d]: the four rows' integer sums as one vector (6 shuffles, 3 adds). */
@inline export function transposeSum(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = i32x4.add(i32x4.shuffle(a, b, 0, 4, 1, 5), i32x4.shuffle(a, b, 2, 6, 3, 7));
  const cd = i32x4.add(i32x4.shuffle(c, d, 0, 4, 1, 5), i32x4.shuffle(c, d, 2, 6, 3, 7));
  return i32x4.add(i32x4.shuffle(ab, cd, 0, 1, 4, 5), i32x4.shuffle(ab, cd, 2, 3, 6, 7));
}

/** out[i, j .. j+4) = the 4 lanes of v (+ bias[j ..]), only the columns below n. */
@inline export function storePanel(out: usize, bias: usize, n: i32, i: i32, j: i32, v: v128): void {
  const at = out + ((<usize>i * <usize>n + <usize>j) << 2);
  let sum = v;
  if (n - j >= 4) {
    if (bias != 0) sum = f32x4.add(sum, v128.load(bias + (<usize>j << 2)));
    v128.store(at, sum);
    return;
  }
  const b = bias + (<usize>j << 2);
  store<f32>(at, f32x4.extract_lane(sum, 0) + (bias != 0 ? load<f32>(b) : 0));
  if (n - j > 1) store<f32>(at + 4, f32x4.extract_lane(sum, 1) + (bias != 0 ? load<f32>(b + 4) : 0));
  if (n - j > 2) store<f32>(at + 8, f32x4.extract_lane(sum, 2) + (bias != 0 ? load<f32>(b + 8) : 0));
}

/**
 * v, after storing it at `sink`. TurboFan issues a basic block's loads in program order
 * but places arithmetic as late as it can, so a loop body with many independent loads
 * loads everything first and spills; a store of an intermediate result orders the
 * loads that follow it after that result.
 */
@inline export function sunk(sink: usize, v: v128): v128 {
  v128.store(sink, v);
  return v;
}
