// AssemblyScript. Scaled dot-product attention as FlashAttention (Dao et al. 2022)
// computes it on a CPU: for each query row and head the keys are visited in tiles
// of TILE with a running maximum and a running sum of exponentials (online
// softmax, Milakov & Gimelshein 2018); the value accumulator is rescaled when the
// maximum grows. No [queries × keys] matrix is formed, only TILE scores per
// thread. Scores are computed four keys at a time; the value sum walks the
// tile's rows in order, two at a time, into an accumulator in L1. Exact to the reference (src/backend/js/attention.ts) up to float
// rounding: causal mask, padding mask (mask[t] = 0 hides key t), grouped-query
// heads (query head h reads kv head h / (nHeads / nKvHeads)), and the variants of
// src/backend/js/attention-scores.ts: a sliding window (window > 0: a causal query
// at key index p sees keys p − window + 1 … p), soft-capping (softcap > 0:
// s ← cap · tanh(s / cap)), ALiBi (slopes ≠ 0: s −= slope[h] · |p − t|) and a learned
// relative position bias (biasWeights ≠ 0, T5: s += weights[buckets[clamp(t − p) +
// maxDistance], h]), the last three applied to a tile's scores in a scalar pass (only
// Gemma 2, BLOOM and T5 pay it).
// [h0, h1) are the query heads this thread computes; scratch holds TILE + headDim floats.

import { expLanes } from "./exp";
import { laneSums } from "./lanes";

const TILE = 64;

/**
 * Soft-caps, ALiBi-biases and position-biases the first `count` scores of a tile in
 * place (masked scores stay −∞); `distance` is p − t0, the query's distance to the
 * tile's first key; `headBias` is the weights' column of this head (0: no position
 * bias). Returns the tile's new maximum.
 */
function adjustScores(
  scores: usize, count: i32, softcap: f32, slope: f32, distance: i32,
  headBias: usize, buckets: usize, maxDistance: i32, nHeads: i32,
): f32 {
  let tileMax: f32 = -Infinity;
  const rowBytes = <usize>nHeads << 2;
  for (let u = 0; u < count; u++) {
    const at = scores + (<usize>u << 2);
    let s = load<f32>(at);
    if (s != -Infinity) {
      if (softcap > 0) s = <f32>(<f64>softcap * Math.tanh(<f64>s / <f64>softcap));
      s -= slope * <f32>abs(distance - u);
      if (headBias != 0) {
        const relative = min(max(u - distance, -maxDistance), maxDistance); // t − p, clamped
        s += load<f32>(headBias + <usize>load<i32>(buckets + (<usize>(relative + maxDistance) << 2)) * rowBytes);
      }
      store<f32>(at, s);
    }
    tileMax = max(tileMax, s);
  }
  return tileMax;
}

export function attention(
  out: usize, q: usize, k: usize, v: usize,
  queryCount: i32, keyCount: i32, queryOffset: i32,
  nHeads: i32, nKvHeads: i32, headDim: i32, scale: f32, causal: i32,
  mask: usize, h0: i32, h1: i32, scratch: usize,
  window: i32, softcap: f32, slopes: usize,
  biasWeights: usize, biasBuckets: usize, maxDistance: i32,
): void {
  const group = nHeads / nKvHeads;
  const qStride = <usize>(nHeads * headDim) << 2;
  const kvStride = <usize>(nKvHeads * headDim) << 2;
  const headBytes = <usize>headDim << 2;
  const d4 = <usize>(headDim & ~3) << 2;
  const scores = scratch;
  const acc = scratch + (TILE << 2);
  const quads = (headDim & 3) == 0;
  const scale4 = f32x4.splat(scale);
  const minusInfinity = f32x4.splat(-Infinity);
  const adjust = softcap > 0 || slopes != 0 || biasWeights != 0;
  for (let i = 0; i < queryCount; i++) {
    const position = queryOffset + i;
    const visible = causal != 0 ? min(position + 1, keyCount) : keyCount;
    const first = causal != 0 && window > 0 ? max(0, position - window + 1) : 0;
    for (let h = h0; h < h1; h++) {
      const slope: f32 = slopes != 0 ? load<f32>(slopes + (<usize>h << 2)) : 0;
      const headBias: usize = biasWeights != 0 ? biasWeights + (<usize>h << 2) : 0;
      const qh = q + <usize>i * qStride + <usize>h * headBytes;
      const kvHead = <usize>(h / group) * headBytes;
      let runningMax: f32 = -Infinity;
      let runningSum: f32 = 0;
      for (let t: usize = 0; t < headBytes; t += 4) store<f32>(acc + t, 0);
      for (let t0 = first; t0 < visible; t0 += TILE) {
        const t1 = min(t0 + TILE, visible);
        let tileMax: f32 = -Infinity;
        let t = t0;
        if (quads) {
          // Four keys at a time: q is loaded once per step for all four, and the four
          // dot products are gathered into one vector of scores.
          let max4 = f32x4.splat(-Infinity);
          for (; t + 4 <= t1; t += 4) {
            const k0 = k + <usize>t * kvStride + kvHead;
            const k1 = k0 + kvStride, k2 = k1 + kvStride, k3 = k2 + kvStride;
            let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
            for (let d: usize = 0; d < headBytes; d += 16) {
              const qv = v128.load(qh + d);
              a0 = f32x4.add(a0, f32x4.mul(qv, v128.load(k0 + d)));
              a1 = f32x4.add(a1, f32x4.mul(qv, v128.load(k1 + d)));
              a2 = f32x4.add(a2, f32x4.mul(qv, v128.load(k2 + d)));
              a3 = f32x4.add(a3, f32x4.mul(qv, v128.load(k3 + d)));
            }
            let s4 = f32x4.mul(laneSums(a0, a1, a2, a3), scale4);
            if (mask != 0) s4 = v128.bitselect(minusInfinity, s4, f32x4.eq(v128.load(mask + (<usize>t << 2)), f32x4.splat(0)));
            v128.store(scores + (<usize>(t - t0) << 2), s4);
            max4 = f32x4.max(max4, s4);
          }
          tileMax = max(max(f32x4.extract_lane(max4, 0), f32x4.extract_lane(max4, 1)), max(f32x4.extract_lane(max4, 2), f32x4.extract_lane(max4, 3)));
        }
        for (; t < t1; t++) {
          let s: f32;
          if (mask != 0 && load<f32>(mask + (<usize>t << 2)) == 0) {
            s = -Infinity;
          } else {
            const kt = k + <usize>t * kvStride + kvHead;
            let a = f32x4.splat(0);
            let d: usize = 0;
            for (; d < d4; d += 16) a = f32x4.add(a, f32x4.mul(v128.load(qh + d), v128.load(kt + d)));
            let dot = f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1) + (f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3));
            for (; d < headBytes; d += 4) dot += load<f32>(qh + d) * load<f32>(kt + d);
            s = dot * scale;
          }
          store<f32>(scores + (<usize>(t - t0) << 2), s);
          tileMax = max(tileMax, s);
        }
        if (adjust) tileMax = adjustScores(scores, t1 - t0, softcap, slope, position - t0, headBias, biasBuckets, maxDistance, nHeads);
        if (tileMax == -Infinity) continue; // every key of the tile is masked
        if (tileMax > runningMax) {
          const correction = f32x4.extract_lane(expLanes(f32x4.splat(runningMax - tileMax)), 0); // 0 on the first tile
          runningSum *= correction;
          const cv = f32x4.splat(correction);
          let d: usize = 0;
          for (; d < d4; d += 16) v128.store(acc + d, f32x4.mul(v128.load(acc + d), cv));
          for (; d < headBytes; d += 4) store<f32>(acc + d, load<f32>(acc + d) * correction);
          runningMax = tileMax;
        }
        // p = e^(s − max) for the tile, four lanes at a time (the slots past t1 hold −∞ → 0).
        for (let t = t1 - t0; t & 3; t++) store<f32>(scores + (<usize>t << 2), -Infinity);
        const m4 = f32x4.splat(runningMax);
        let tileSum = f32x4.splat(0);
        for (let u: usize = 0; u < (<usize>(t1 - t0 + 3) & ~3) << 2; u += 16) {
          const p4 = expLanes(f32x4.sub(v128.load(scores + u), m4));
          v128.store(scores + u, p4);
          tileSum = f32x4.add(tileSum, p4);
        }
        runningSum += f32x4.extract_lane(tileSum, 0) + f32x4.extract_lane(tileSum, 1) + (f32x4.extract_lane(tileSum, 2) + f32x4.extract_lane(tileSum, 3));
        // acc += Σ_t p_t · v_t, row after row of the tile, two rows per step: each value
        // row is read once and in order (acc stays in L1). Walking the tile once per
        // 16 dimensions instead read every row in four strided passes, about 3× slower
        // once the cache no longer holds the values.
        const vTile = v + <usize>t0 * kvStride + kvHead;
        const count = t1 - t0;
        let u = 0;
        for (; u + 2 <= count; u += 2) {
          const v0 = vTile + <usize>u * kvStride;
          const v1 = v0 + kvStride;
          const s0 = load<f32>(scores + (<usize>u << 2)), s1 = load<f32>(scores + (<usize>u << 2), 4);
          const p0 = f32x4.splat(s0), p1 = f32x4.splat(s1);
          let d: usize = 0;
          for (; d < d4; d += 16) {
            v128.store(acc + d, f32x4.add(v128.load(acc + d), f32x4.add(f32x4.mul(p0, v128.load(v0 + d)), f32x4.mul(p1, v128.load(v1 + d)))));
          }
          for (; d < headBytes; d += 4) store<f32>(acc + d, load<f32>(acc + d) + (s0 * load<f32>(v0 + d) + s1 * load<f32>(v1 + d)));
        }
        if (u < count) {
          const v0 = vTile + <usize>u * kvStride;
          const s0 = load<f32>(scores + (<usize>u << 2));
          const p0 = f32x4.splat(s0);
          let d: usize = 0;
          for (; d < d4; d += 16) v128.store(acc + d, f32x4.add(v128.load(acc + d), f32x4.mul(p0, v128.load(v0 + d))));
          for (; d < headBytes; d += 4) store<f32>(acc + d, load<f32>(acc + d) + s0 * load<f32>(v0 + d));
        }
      }
      const inv: f32 = 1 / runningSum;
      const oh = out + <usize>i * qStride + <usize>h * headBytes;
      const iv = f32x4.splat(inv);
      let d: usize = 0;
      if (runningSum == 0) {
        // As the reference: no visible key gives zeros; visible keys that are all masked give NaN (0/0).
        const value: f32 = visible == 0 ? 0 : NaN;
        for (; d < headBytes; d += 4) store<f32>(oh + d, value);
        continue;
      }
      for (; d < d4; d += 16) v128.store(oh + d, f32x4.mul(v128.load(acc + d), iv));
      for (; d < headBytes; d += 4) store<f32>(oh + d, load<f32>(acc + d) * inv);
    }
  }
}
