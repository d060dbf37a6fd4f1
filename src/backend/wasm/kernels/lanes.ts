// AssemblyScript. Small helpers the kernels share, inlined where they are used.

/** Σ of the four f32 lanes of v. */
@inline export function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** bias[j], or 0 when there is no bias (address 0). */
@inline export function biasAt(bias: usize, j: i32): f32 {
  return bias == 0 ? <f32>0 : load<f32>(bias + (<usize>j << 2));
}

/** [Σ a0, Σ a1, Σ a2, Σ a3]: the lane sums of four vectors, in one. */
@inline export function laneSums(a0: v128, a1: v128, a2: v128, a3: v128): v128 {
  const s01 = f32x4.add(v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), v128.shuffle<f32>(a0, a1, 2, 6, 3, 7));
  const s23 = f32x4.add(v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), v128.shuffle<f32>(a2, a3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(s01, s23, 0, 1, 4, 5), v128.shuffle<f32>(s01, s23, 2, 3, 6, 7));
}
