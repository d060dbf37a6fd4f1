// AssemblyScript. Small helpers the kernels share, inlined where they are used.

/** Σ of the four f32 lanes of v. */
@inline export function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** bias[j], or 0 when there is no bias (address 0). */
@inline export function biasAt(bias: usize, j: i32): f32 {
  return bias == 0 ? <f32>0 : load<f32>(bias + (<usize>j << 2));
}
