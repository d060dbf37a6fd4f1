// AssemblyScript. The multiply–add of the f32 inner loops, in the form the build
// selects: scripts/build-wasm.mjs compiles every kernel twice, once for plain
// SIMD128 (a multiply, then an add: two roundings) and once with relaxed SIMD,
// where f32x4.relaxed_madd lets the engine emit one fused multiply–add (x86 FMA3
// vfmadd231ps, Arm fmla) — or the unfused pair where it has none. The constant
// ASC_FEATURE_RELAXED_SIMD is known at compile time, so each build holds one form.

/** a · b + c on four lanes. */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}
