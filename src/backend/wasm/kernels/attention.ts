// AssemblyScript. Scaled dot-product attention as FlashAttention (Dao et al. 2022)
// computes it on a CPU, one key row at a time rather than one tile: for each query
// row the keys are visited four at a time with, per head, a running maximum and a
// running sum of exponentials (online softmax, Milakov & Gimelshein 2018); a head's
// value accumulator is rescaled when its maximum grows. No [queries × keys] matrix
// is formed. The heads [h0, h1) of a thread are computed together and each step
// reads four key rows and the same four value rows ([keys, nKvHeads, headDim]) in
// memory order, once per query: at decode these stream from memory, and the reads
// of the eight rows overlap with the arithmetic (reading the cache head by head, a
// short piece of every row per pass, ran at a quarter of the memory's bandwidth).
// Exact to the reference (src/backend/js/attention.ts) up to float rounding: causal
// mask, padding mask (mask[t] = 0 hides key t), grouped-query heads (query head h
// reads kv head h / (nHeads / nKvHeads)), and the variants of
// src/backend/js/attention-scores.ts: a sliding window (window > 0: a causal query
// at key index p sees keys p − window + 1 … p), soft-capping (softcap > 0:
// s ← cap · tanh(s / cap)), ALiBi (slopes ≠ 0: s −= slope[h] · |p − t|) and a learned
// relative position bias (biasWeights ≠ 0, T5: s += weights[buckets[clamp(t − p) +
// maxDistance], h]), the last three applied to a step's scores in a scalar pass (only
// Gemma 2, BLOOM and T5 pay it).
// scratch holds attentionScratchFloats(h1 − h0, headDim) floats.

import { expLanes } from "./exp";
import { laneSums } from "./lanes";

/**
 * Soft-caps, ALiBi-biases and position-biases the first `count` scores at `scores` in
 * place (masked scores stay −∞); `distance` is p − t0, the query's distance to the
 * first of these keys; `headBias` is the weights' column of this head (0: no position
 * bias).
 */
function adjustScores(
  scores: usize, count: i32, softcap: f32, slope: f32, distance: i32,
  headBias: usize, buckets: usize, maxDistance: i32, nHeads: i32,
): void {
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
  }
}

/**
 * Floats of scratch the attention of `heads` heads needs: per head an accumulator, its
 * running maximum and sum, and the byte offset of its kv head; four scores.
 */
export function attentionScratchFloats(heads: i32, headDim: i32): i32 {
  return heads * (headDim + 3) + 4;
}

export function attention(
  out: usize, q: usize, k: usize, v: usize,
  queryCount: i32, keyCount: i32, queryOffset: i32,
  nHeads: i32, nKvHeads: i32, headDim: i32, scale: f32, causal: i32,
  mask: usize, h0: i32, h1: i32, scratch: usize,
  window: i32, softcap: f32, slopes: usize,
  biasWeights: usize, biasBuckets: usize, maxDistance: i32,
): void {
  const heads = <usize>(h1 - h0);
  const group = nHeads / nKvHeads;
  const qStride = <usize>(nHeads * headDim) << 2;
  const kvStride = <usize>(nKvHeads * headDim) << 2;
  const headBytes = <usize>headDim << 2;
  const acc = scratch; // [heads, headDim]
  const stats = acc + heads * headBytes; // [heads, 2]: running maximum, running sum
  const kvOffsets = stats + (heads << 3); // [heads] i32: the byte offset of each head's kv head in a row
  const stepScores = kvOffsets + (heads << 2); // [4]: a step's scores, for the scalar adjustments
  for (let h: usize = 0; h < heads; h++) store<i32>(kvOffsets + (h << 2), ((h0 + <i32>h) / group) * <i32>headBytes);
  const quads = (headDim & 3) == 0;
  const scale4 = f32x4.splat(scale);
  const minusInfinity = f32x4.splat(-Infinity);
  const adjust = softcap > 0 || slopes != 0 || biasWeights != 0;
  for (let i = 0; i < queryCount; i++) {
    const position = queryOffset + i;
    const visible = causal != 0 ? min(position + 1, keyCount) : keyCount;
    const first = causal != 0 && window > 0 ? max(0, position - window + 1) : 0;
    const qi = q + <usize>i * qStride;
    for (let t: usize = 0; t < heads * headBytes; t += 4) store<f32>(acc + t, 0);
    for (let h: usize = 0; h < heads; h++) {
      store<f32>(stats + (h << 3), -Infinity);
      store<f32>(stats + (h << 3), 0, 4);
    }
    for (let t = first; t < visible; t += 4) {
      const count = min(4, visible - t); // keys in this step
      const kRow = k + <usize>t * kvStride;
      const vRow = v + <usize>t * kvStride;
      // Lanes of hidden keys (masked, or past the last visible key): all ones.
      let hidden = i32x4.ge_s(i32x4(0, 1, 2, 3), i32x4.splat(count));
      if (mask != 0) {
        for (let u = 0; u < 4; u++) store<i32>(stepScores + (<usize>u << 2), u < count && load<f32>(mask + (<usize>(t + u) << 2)) == 0 ? -1 : 0);
        hidden = v128.or(hidden, v128.load(stepScores));
      }
      for (let h: usize = 0; h < heads; h++) {
        const qh = qi + (<usize>h0 + h) * headBytes;
        const kvHead = <usize>load<i32>(kvOffsets + (h << 2));
        let s4: v128;
        if (count == 4 && quads) s4 = fourDots(qh, kRow + kvHead, kvStride, headBytes);
        else s4 = someDots(qh, kRow + kvHead, kvStride, headBytes, count, stepScores);
        s4 = v128.bitselect(minusInfinity, f32x4.mul(s4, scale4), hidden);
        if (adjust) {
          const head = h0 + <i32>h;
          const slope: f32 = slopes != 0 ? load<f32>(slopes + (<usize>head << 2)) : 0;
          const headBias: usize = biasWeights != 0 ? biasWeights + (<usize>head << 2) : 0;
          v128.store(stepScores, s4);
          adjustScores(stepScores, count, softcap, slope, position - t, headBias, biasBuckets, maxDistance, nHeads);
          s4 = v128.load(stepScores);
        }
        // (pmax is one instruction; a NaN score still reaches the output, through its exponential.)
        const m2 = f32x4.pmax(s4, v128.shuffle<f32>(s4, s4, 2, 3, 0, 1));
        const stepMax = f32x4.extract_lane(f32x4.pmax(m2, v128.shuffle<f32>(m2, m2, 1, 0, 3, 2)), 0);
        if (stepMax == -Infinity) continue; // every key of the step is hidden from this head
        const st = stats + (h << 3);
        const ah = acc + h * headBytes;
        let runningMax = load<f32>(st);
        if (stepMax > runningMax) {
          const correction = f32x4.extract_lane(expLanes(f32x4.splat(runningMax - stepMax)), 0); // 0 on the first step
          store<f32>(st, load<f32>(st, 4) * correction, 4);
          scaleRow(ah, correction, headBytes);
          runningMax = stepMax;
          store<f32>(st, runningMax);
        }
        const p4 = expLanes(f32x4.sub(s4, f32x4.splat(runningMax))); // hidden lanes: e^−∞ = 0
        store<f32>(st, load<f32>(st, 4) + (f32x4.extract_lane(p4, 0) + f32x4.extract_lane(p4, 1) + (f32x4.extract_lane(p4, 2) + f32x4.extract_lane(p4, 3))), 4);
        addRows(ah, vRow + kvHead, kvStride, p4, headBytes, count);
      }
    }
    for (let h: usize = 0; h < heads; h++) {
      const runningSum = load<f32>(stats + (h << 3), 4);
      const oh = out + <usize>i * qStride + (<usize>h0 + h) * headBytes;
      const ah = acc + h * headBytes;
      if (runningSum == 0) {
        // As the reference: no visible key gives zeros; visible keys that are all masked give NaN (0/0).
        const value: f32 = visible <= first ? 0 : NaN;
        for (let d: usize = 0; d < headBytes; d += 4) store<f32>(oh + d, value);
        continue;
      }
      const inv: f32 = 1 / runningSum;
      memory.copy(oh, ah, headBytes);
      scaleRow(oh, inv, headBytes);
    }
  }
}

/**
 * [q·k0, q·k1, q·k2, q·k3] for the head's query at qh and the keys at k0, k0 + stride, …
 * (headDim a multiple of 4): 64 bytes per step with the offsets in the instructions.
 */
@inline function fourDots(qh: usize, k0: usize, stride: usize, headBytes: usize): v128 {
  let k1 = k0 + stride, k2 = k1 + stride, k3 = k2 + stride;
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let p = qh;
  const end = qh + headBytes;
  for (; p + 64 <= end; p += 64) {
    const q0 = v128.load(p), q1 = v128.load(p, 16), q2 = v128.load(p, 32), q3 = v128.load(p, 48);
    a0 = f32x4.add(a0, f32x4.add(f32x4.add(f32x4.mul(q0, v128.load(k0)), f32x4.mul(q1, v128.load(k0, 16))), f32x4.add(f32x4.mul(q2, v128.load(k0, 32)), f32x4.mul(q3, v128.load(k0, 48)))));
    a1 = f32x4.add(a1, f32x4.add(f32x4.add(f32x4.mul(q0, v128.load(k1)), f32x4.mul(q1, v128.load(k1, 16))), f32x4.add(f32x4.mul(q2, v128.load(k1, 32)), f32x4.mul(q3, v128.load(k1, 48)))));
    a2 = f32x4.add(a2, f32x4.add(f32x4.add(f32x4.mul(q0, v128.load(k2)), f32x4.mul(q1, v128.load(k2, 16))), f32x4.add(f32x4.mul(q2, v128.load(k2, 32)), f32x4.mul(q3, v128.load(k2, 48)))));
    a3 = f32x4.add(a3, f32x4.add(f32x4.add(f32x4.mul(q0, v128.load(k3)), f32x4.mul(q1, v128.load(k3, 16))), f32x4.add(f32x4.mul(q2, v128.load(k3, 32)), f32x4.mul(q3, v128.load(k3, 48)))));
    k0 += 64;
    k1 += 64;
    k2 += 64;
    k3 += 64;
  }
  for (; p < end; p += 16) {
    const qv = v128.load(p);
    a0 = f32x4.add(a0, f32x4.mul(qv, v128.load(k0)));
    a1 = f32x4.add(a1, f32x4.mul(qv, v128.load(k1)));
    a2 = f32x4.add(a2, f32x4.mul(qv, v128.load(k2)));
    a3 = f32x4.add(a3, f32x4.mul(qv, v128.load(k3)));
    k0 += 16;
    k1 += 16;
    k2 += 16;
    k3 += 16;
  }
  return laneSums(a0, a1, a2, a3);
}

/** q·k for the first `count` keys at k0, k0 + stride, … (any headDim), through `lanes` (16 bytes); the other lanes 0. */
function someDots(qh: usize, k0: usize, stride: usize, headBytes: usize, count: i32, lanes: usize): v128 {
  v128.store(lanes, f32x4.splat(0));
  const d4 = headBytes & ~15;
  for (let u = 0; u < count; u++) {
    const kh = k0 + <usize>u * stride;
    let a = f32x4.splat(0);
    let d: usize = 0;
    for (; d < d4; d += 16) a = f32x4.add(a, f32x4.mul(v128.load(qh + d), v128.load(kh + d)));
    let dot = f32x4.extract_lane(a, 0) + f32x4.extract_lane(a, 1) + (f32x4.extract_lane(a, 2) + f32x4.extract_lane(a, 3));
    for (; d < headBytes; d += 4) dot += load<f32>(qh + d) * load<f32>(kh + d);
    store<f32>(lanes + (<usize>u << 2), dot);
  }
  return v128.load(lanes);
}

/** acc += Σ_u p4[u] · row u (rows at v0, v0 + stride, …; `count` of them, no row past them read): 32 bytes per step for four rows. */
@inline function addRows(acc: usize, v0: usize, stride: usize, p4: v128, headBytes: usize, count: i32): void {
  if (count == 4 && (headBytes & 15) == 0) {
    let v1 = v0 + stride, v2 = v1 + stride, v3 = v2 + stride;
    const p0 = f32x4.splat(f32x4.extract_lane(p4, 0)), p1 = f32x4.splat(f32x4.extract_lane(p4, 1));
    const p2 = f32x4.splat(f32x4.extract_lane(p4, 2)), p3 = f32x4.splat(f32x4.extract_lane(p4, 3));
    let a = acc;
    const end = acc + headBytes;
    for (; a + 32 <= end; a += 32) {
      v128.store(a, f32x4.add(v128.load(a), f32x4.add(f32x4.add(f32x4.mul(p0, v128.load(v0)), f32x4.mul(p1, v128.load(v1))), f32x4.add(f32x4.mul(p2, v128.load(v2)), f32x4.mul(p3, v128.load(v3))))));
      v128.store(a, f32x4.add(v128.load(a, 16), f32x4.add(f32x4.add(f32x4.mul(p0, v128.load(v0, 16)), f32x4.mul(p1, v128.load(v1, 16))), f32x4.add(f32x4.mul(p2, v128.load(v2, 16)), f32x4.mul(p3, v128.load(v3, 16))))), 16);
      v0 += 32;
      v1 += 32;
      v2 += 32;
      v3 += 32;
    }
    if (a < end) {
      v128.store(a, f32x4.add(v128.load(a), f32x4.add(f32x4.add(f32x4.mul(p0, v128.load(v0)), f32x4.mul(p1, v128.load(v1))), f32x4.add(f32x4.mul(p2, v128.load(v2)), f32x4.mul(p3, v128.load(v3))))));
    }
    return;
  }
  for (let u = 0; u < count; u++) {
    const row = v0 + <usize>u * stride;
    const s = f32x4.extract_lane(p4, 0);
    p4 = v128.shuffle<f32>(p4, p4, 1, 2, 3, 0);
    const p = f32x4.splat(s);
    let d: usize = 0;
    const d4 = headBytes & ~15;
    for (; d < d4; d += 16) v128.store(acc + d, f32x4.add(v128.load(acc + d), f32x4.mul(p, v128.load(row + d))));
    for (; d < headBytes; d += 4) store<f32>(acc + d, load<f32>(acc + d) + s * load<f32>(row + d));
  }
}

/** row *= factor over `bytes` bytes (a multiple of 4). */
@inline function scaleRow(row: usize, factor: f32, bytes: usize): void {
  const f = f32x4.splat(factor);
  let d: usize = 0;
  for (; d + 16 <= bytes; d += 16) v128.store(row + d, f32x4.mul(v128.load(row + d), f));
  for (; d < bytes; d += 4) store<f32>(row + d, load<f32>(row + d) * factor);
}
