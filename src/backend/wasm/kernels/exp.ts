// AssemblyScript. e^x on four lanes (Cephes expf: x = n·ln2 + r with |r| ≤ ln2/2,
// a degree-6 polynomial for e^r, 2^n built in the exponent bits), within 2 ulp of
// the exact value for normal results; 0 below −87.33 (so e^−∞ = 0, as softmax and
// attention need), clamped near f32's largest value above 88.37.

export function expLanes(x: v128): v128 {
  const tooSmall = f32x4.lt(x, f32x4.splat(-87.33654));
  const v = f32x4.min(x, f32x4.splat(88.37626));
  const n = f32x4.nearest(f32x4.mul(v, f32x4.splat(1.442695041)));
  let r = f32x4.sub(v, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return v128.andnot(f32x4.mul(p, scale), tooSmall);
}
