// The scale searches of ggml's reference quantizers (ggml-quants.c), reimplemented
// from their definition and evaluated in float32 in ggml's order (Math.fround after
// every operation), so that lmscope writes the bytes llama-quantize writes:
//   makeQxQuants  — symmetric levels −nmax … nmax−1: start from the largest value,
//                   then try 18 nearby scales and keep the one with the least
//                   weighted squared error (Q6_K; weights x², "rmse_type 1").
//   makeQ3Quants  — symmetric levels with a few rounds of coordinate descent, one
//                   quant at a time (Q3_K).
//   makeQkx2Quants — affine levels 0 … nmax with a min ≤ 0: for each trial scale,
//                   the least-squares scale and min given the levels (Q2_K, Q4_K, Q5_K).
//   bestIndexInt8 — the nearest entry of a sorted table of levels (IQ4_NL, IQ4_XS).

const f32 = Math.fround;

/** ggml GROUP_MAX_EPS: a group whose largest magnitude is below this is all zeros. */
export const GROUP_MAX_EPS = f32(1e-15);

/** ggml nearest_int: round to nearest, ties to even (the float32 "+ 1.5·2^23" trick). */
export function nearestInt(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && (r & 1) !== 0 ? r - 1 : r;
}

const clamp = (v: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, v));

/** The largest |x[at + i]| (i < n) and the signed value it belongs to (the first one on ties). */
export function signedMax(x: Float32Array, at: number, n: number): [amax: number, max: number] {
  let amax = 0;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const ax = Math.abs(x[at + i]!);
    if (ax > amax) {
      amax = ax;
      max = x[at + i]!;
    }
  }
  return [amax, max];
}

/**
 * ggml make_qx_quants with rmse_type 1 and no importance weights (quant weight x²):
 * L[i] = level + nmax ∈ [0, 2·nmax) for x[at + i], i < n; returns the scale.
 */
export function makeQxQuants(n: number, nmax: number, x: Float32Array, at: number, L: Int8Array | Uint8Array, lAt: number): number {
  const [amax, max] = signedMax(x, at, n);
  if (amax < GROUP_MAX_EPS) {
    L.fill(0, lAt, lAt + n);
    return 0;
  }
  const sums = (iscale: number, store: boolean): [number, number] => {
    let sumlx = 0;
    let suml2 = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[at + i]!;
      const l = clamp(nearestInt(f32(iscale * xi)), -nmax, nmax - 1);
      if (store) L[lAt + i] = l + nmax;
      const w = f32(xi * xi);
      sumlx = f32(sumlx + f32(f32(w * xi) * l));
      suml2 = f32(suml2 + f32(f32(w * l) * l));
    }
    return [sumlx, suml2];
  };
  let [sumlx, suml2] = sums(f32(-nmax / max), true);
  let scale = suml2 !== 0 ? f32(sumlx / suml2) : 0;
  let best = f32(scale * sumlx);
  for (let is = -9; is <= 9; is++) {
    if (is === 0) continue;
    const iscale = f32(-f32(nmax + f32(f32(0.1) * is)) / max);
    [sumlx, suml2] = sums(iscale, false);
    if (suml2 > 0 && f32(sumlx * sumlx) > f32(best * suml2)) {
      sums(iscale, true);
      scale = f32(sumlx / suml2);
      best = f32(scale * sumlx);
    }
  }
  return scale;
}

/** ggml make_q3_quants with do_rmse: L[i] = level + nmax ∈ [0, 2·nmax); returns the scale. */
export function makeQ3Quants(n: number, nmax: number, x: Float32Array, at: number, L: Int8Array, lAt: number): number {
  const [amax, max] = signedMax(x, at, n);
  if (amax < GROUP_MAX_EPS) {
    L.fill(0, lAt, lAt + n);
    return 0;
  }
  const iscale = f32(-nmax / max);
  let sumlx = 0;
  let suml2 = 0;
  for (let i = 0; i < n; i++) {
    const xi = x[at + i]!;
    const l = clamp(nearestInt(f32(iscale * xi)), -nmax, nmax - 1);
    L[lAt + i] = l;
    const w = f32(xi * xi);
    sumlx = f32(sumlx + f32(f32(w * xi) * l));
    suml2 = f32(suml2 + f32(f32(w * l) * l));
  }
  for (let itry = 0; itry < 5; itry++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[at + i]!;
      const w = f32(xi * xi);
      const li = L[lAt + i]!;
      let slx = f32(sumlx - f32(f32(w * xi) * li));
      if (slx > 0) {
        let sl2 = f32(suml2 - f32(f32(w * li) * li));
        const newL = clamp(nearestInt(f32(f32(xi * sl2) / slx)), -nmax, nmax - 1);
        if (newL !== li) {
          slx = f32(slx + f32(f32(w * xi) * newL));
          sl2 = f32(sl2 + f32(f32(w * newL) * newL));
          if (sl2 > 0 && f32(f32(slx * slx) * suml2) > f32(f32(sumlx * sumlx) * sl2)) {
            L[lAt + i] = newL;
            sumlx = slx;
            suml2 = sl2;
            changed++;
          }
        }
      }
    }
    if (changed === 0) break;
  }
  for (let i = 0; i < n; i++) L[lAt + i] = L[lAt + i]! + nmax;
  return suml2 > 0 ? f32(sumlx / suml2) : 0;
}

/**
 * ggml make_qkx2_quants: levels L[i] ∈ [0, nmax] with x ≈ scale·L − min (min ≥ 0
 * returned in `theMin[0]`), searched over nstep + 1 trial scales; `Laux` is scratch.
 * useMad weighs absolute instead of squared errors. Returns the scale.
 */
export function makeQkx2Quants(
  n: number, nmax: number, x: Float32Array, at: number, weights: Float32Array, L: Uint8Array, lAt: number,
  theMin: Float32Array, Laux: Uint8Array, rmin: number, rdelta: number, nstep: number, useMad: boolean,
): number {
  let min = x[at]!;
  let max = x[at]!;
  let sumW = weights[0]!;
  let sumX = f32(sumW * x[at]!);
  for (let i = 1; i < n; i++) {
    const xi = x[at + i]!;
    if (xi < min) min = xi;
    if (xi > max) max = xi;
    const w = weights[i]!;
    sumW = f32(sumW + w);
    sumX = f32(sumX + f32(w * xi));
  }
  if (min > 0) min = 0;
  if (max === min) {
    L.fill(0, lAt, lAt + n);
    theMin[0] = -min;
    return 0;
  }
  let iscale = f32(nmax / f32(max - min));
  let scale = f32(1 / iscale);
  const error = (s: number, m: number, levels: Uint8Array, levelsAt: number): number => {
    let total = 0;
    for (let i = 0; i < n; i++) {
      let diff = f32(f32(f32(s * levels[levelsAt + i]!) + m) - x[at + i]!);
      diff = useMad ? Math.abs(diff) : f32(diff * diff);
      total = f32(total + f32(weights[i]! * diff));
    }
    return total;
  };
  for (let i = 0; i < n; i++) L[lAt + i] = clamp(nearestInt(f32(iscale * f32(x[at + i]! - min))), 0, nmax);
  let bestError = error(scale, min, L, lAt);
  if (nstep < 1) {
    theMin[0] = -min;
    return scale;
  }
  for (let is = 0; is <= nstep; is++) {
    // ggml divides by max − min with the best min found so far (min changes as the search goes).
    iscale = f32(f32(f32(rmin + f32(rdelta * is)) + nmax) / f32(max - min));
    let sumL = 0;
    let sumL2 = 0;
    let sumXL = 0;
    for (let i = 0; i < n; i++) {
      const xi = x[at + i]!;
      const l = clamp(nearestInt(f32(iscale * f32(xi - min))), 0, nmax);
      Laux[i] = l;
      const w = weights[i]!;
      sumL = f32(sumL + f32(w * l));
      sumL2 = f32(sumL2 + f32(f32(w * l) * l));
      sumXL = f32(sumXL + f32(f32(w * l) * xi));
    }
    const D = f32(f32(sumW * sumL2) - f32(sumL * sumL));
    if (D > 0) {
      let thisScale = f32(f32(f32(sumW * sumXL) - f32(sumX * sumL)) / D);
      let thisMin = f32(f32(f32(sumL2 * sumX) - f32(sumL * sumXL)) / D);
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = f32(sumXL / sumL2);
      }
      const current = error(thisScale, thisMin, Laux, 0);
      if (current < bestError) {
        for (let i = 0; i < n; i++) L[lAt + i] = Laux[i]!;
        bestError = current;
        scale = thisScale;
        min = thisMin;
      }
    }
  }
  theMin[0] = -min;
  return scale;
}

/** ggml best_index_int8: the index of the entry of the sorted `values` nearest to x (the upper one on ties). */
export function bestIndexInt8(values: Readonly<Int8Array>, x: number): number {
  const n = values.length;
  if (x <= values[0]!) return 0;
  if (x >= values[n - 1]!) return n - 1;
  let ml = 0;
  let mu = n - 1;
  while (mu - ml > 1) {
    const mav = (ml + mu) >> 1;
    if (x < values[mav]!) mu = mav;
    else ml = mav;
  }
  return f32(x - values[mu - 1]!) < f32(values[mu]! - x) ? mu - 1 : mu;
}
