// AssemblyScript. The backward of scaled dot-product attention, fused, as
// FlashAttention's backward (Dao et al. 2022) does it on a CPU: no probability
// matrix is kept from the forward and none is materialised, and nothing is
// transposed. For each query row i and head h the probabilities of its visible
// keys are recomputed into one row of scratch (scores as the forward and the
// reference src/backend/js/attention-scores.ts define them: causal mask, sliding
// window, padding mask, soft-capping, ALiBi), then, following the reference
// src/backend/js/backward/attention.ts,
//   dp_t = dOut_i · v_t,   ds_t = p_t (dp_t − Σ_u p_u dp_u) · scale · c_t
//   dq_i += Σ_t ds_t k_t,  dk_t += ds_t q_i,  dv_t += p_t dOut_i
// where c_t = 1 − tanh²(raw_t / cap) is the soft-cap's derivative (1 without one).
// Dot products run four keys at a time along headDim; dq_i sums sixteen
// dimensions at a time in registers over the keys; dk and dv are updated key by key. A chunk is one kv head with every query head that
// reads it (GQA), so no two threads ever add into the same dk or dv row.

import { hsum, laneSums } from "./lanes";
import { madd } from "./fma";
import { softmaxSpan } from "./elementwise";

// Argument slots (src/backend/wasm/backward.ts writes them).
const DQ = 0, DK = 1, DV = 2, D_OUT = 3, Q = 4, K = 5, V = 6;
const QUERY_COUNT = 7, KEY_COUNT = 8, QUERY_OFFSET = 9, N_HEADS = 10, N_KV_HEADS = 11, HEAD_DIM = 12;
const SCALE = 13, CAUSAL = 14, MASK = 15, WINDOW = 16, SOFTCAP = 17, SLOPES = 18, SCRATCH = 19, SCRATCH_BYTES = 20;

@inline function arg(args: usize, slot: i32): i32 {
  return load<i32>(args + (<usize>slot << 2));
}

@inline function argF(args: usize, slot: i32): f32 {
  return load<f32>(args + (<usize>slot << 2));
}

/** Floats of per-thread scratch: three rows of keyCount (rounded up to 4). */
export function attentionBackwardScratchFloats(keyCount: i32): i32 {
  return 3 * ((keyCount + 3) & ~3);
}

export function attentionBackwardTask(args: usize, chunk: i32, thread: i32): void {
  const nHeads = arg(args, N_HEADS), nKvHeads = arg(args, N_KV_HEADS);
  const keyCount = arg(args, KEY_COUNT), headDim = arg(args, HEAD_DIM);
  const group = nHeads / nKvHeads;
  const row = <usize>((keyCount + 3) & ~3) << 2;
  const probs = <usize>arg(args, SCRATCH) + <usize>thread * <usize>arg(args, SCRATCH_BYTES);
  const grads = probs + row;
  const capSlopes = grads + row;
  const slopes = <usize>arg(args, SLOPES);
  for (let h = chunk * group; h < (chunk + 1) * group; h++) {
    const slope: f32 = slopes != 0 ? load<f32>(slopes + (<usize>h << 2)) : 0;
    for (let i = 0; i < arg(args, QUERY_COUNT); i++) {
      queryRow(args, i, h, chunk, keyCount, headDim, slope, probs, grads, capSlopes);
    }
  }
}

/** Four dot products a · b0..b3 over headDim floats (vector part, then the scalar tail). */
@inline function dot4(a: usize, b0: usize, b1: usize, b2: usize, b3: usize, d4: usize, bytes: usize): v128 {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  for (let d: usize = 0; d < d4; d += 16) {
    const av = v128.load(a + d);
    s0 = madd(av, v128.load(b0 + d), s0);
    s1 = madd(av, v128.load(b1 + d), s1);
    s2 = madd(av, v128.load(b2 + d), s2);
    s3 = madd(av, v128.load(b3 + d), s3);
  }
  let sums = laneSums(s0, s1, s2, s3);
  if (d4 < bytes) {
    let t0: f32 = 0, t1: f32 = 0, t2: f32 = 0, t3: f32 = 0;
    for (let d = d4; d < bytes; d += 4) {
      const x = load<f32>(a + d);
      t0 += x * load<f32>(b0 + d);
      t1 += x * load<f32>(b1 + d);
      t2 += x * load<f32>(b2 + d);
      t3 += x * load<f32>(b3 + d);
    }
    sums = f32x4.add(sums, f32x4(t0, t1, t2, t3));
  }
  return sums;
}

@inline function dot1(a: usize, b: usize, d4: usize, bytes: usize): f32 {
  let s = f32x4.splat(0);
  for (let d: usize = 0; d < d4; d += 16) s = madd(v128.load(a + d), v128.load(b + d), s);
  let total = hsum(s);
  for (let d = d4; d < bytes; d += 4) total += load<f32>(a + d) * load<f32>(b + d);
  return total;
}

function queryRow(
  args: usize, i: i32, h: i32, kvIndex: i32, keyCount: i32, headDim: i32, slope: f32,
  probs: usize, grads: usize, capSlopes: usize,
): void {
  const queryOffset = arg(args, QUERY_OFFSET), nHeads = arg(args, N_HEADS), nKvHeads = arg(args, N_KV_HEADS);
  const causal = arg(args, CAUSAL) != 0, window = arg(args, WINDOW);
  const scale = argF(args, SCALE), softcap = argF(args, SOFTCAP);
  const mask = <usize>arg(args, MASK);
  const position = queryOffset + i;
  const end = causal ? min(position + 1, keyCount) : keyCount;
  const start = causal && window > 0 ? max(0, position - window + 1) : 0;
  if (start >= end) return;
  const count = end - start;
  const headBytes = <usize>headDim << 2;
  const d4 = <usize>(headDim & ~3) << 2;
  const kvStride = <usize>(nKvHeads * headDim) << 2;
  const qOffset = (<usize>i * <usize>(nHeads * headDim) + <usize>h * headDim) << 2;
  const qi = <usize>arg(args, Q) + qOffset;
  const gi = <usize>arg(args, D_OUT) + qOffset;
  const kvHead = <usize>kvIndex * headBytes;
  const k = <usize>arg(args, K) + kvHead, v = <usize>arg(args, V) + kvHead;
  const scale4 = f32x4.splat(scale);
  const minusInfinity = f32x4.splat(-Infinity);

  // Scores of the visible keys, as the forward computes them.
  let t = start;
  for (; t + 4 <= end; t += 4) {
    const k0 = k + <usize>t * kvStride;
    let s4 = f32x4.mul(dot4(qi, k0, k0 + kvStride, k0 + 2 * kvStride, k0 + 3 * kvStride, d4, headBytes), scale4);
    if (mask != 0) s4 = v128.bitselect(minusInfinity, s4, f32x4.eq(v128.load(mask + (<usize>t << 2)), f32x4.splat(0)));
    v128.store(probs + (<usize>(t - start) << 2), s4);
  }
  for (; t < end; t++) {
    const hidden = mask != 0 && load<f32>(mask + (<usize>t << 2)) == 0;
    const s: f32 = hidden ? -Infinity : dot1(qi, k + <usize>t * kvStride, d4, headBytes) * scale;
    store<f32>(probs + (<usize>(t - start) << 2), s);
  }
  if (softcap > 0 || slope != 0) {
    for (let u = 0; u < count; u++) {
      const at = probs + (<usize>u << 2);
      let s = load<f32>(at);
      if (s == -Infinity) continue;
      if (softcap > 0) {
        const th = Math.tanh(<f64>s / <f64>softcap);
        store<f32>(capSlopes + (<usize>u << 2), <f32>(1 - th * th));
        s = <f32>(<f64>softcap * th);
      }
      store<f32>(at, s - slope * <f32>abs(position - (start + u)));
    }
  }
  softmaxSpan(probs, count); // every visible key masked: NaN, as the reference

  // dp_t = dOut_i · v_t, and Σ_t p_t dp_t.
  t = start;
  for (; t + 4 <= end; t += 4) {
    const v0 = v + <usize>t * kvStride;
    v128.store(grads + (<usize>(t - start) << 2), dot4(gi, v0, v0 + kvStride, v0 + 2 * kvStride, v0 + 3 * kvStride, d4, headBytes));
  }
  for (; t < end; t++) store<f32>(grads + (<usize>(t - start) << 2), dot1(gi, v + <usize>t * kvStride, d4, headBytes));
  let weighted: f32 = 0;
  for (let u = 0; u < count; u++) weighted += load<f32>(probs + (<usize>u << 2)) * load<f32>(grads + (<usize>u << 2));

  // ds_t = p_t (dp_t − Σ) · scale (· the soft-cap's slope), in place of dp_t.
  for (let u = 0; u < count; u++) {
    const at = grads + (<usize>u << 2);
    let ds = load<f32>(probs + (<usize>u << 2)) * (load<f32>(at) - weighted) * scale;
    if (softcap > 0) ds *= load<f32>(capSlopes + (<usize>u << 2));
    store<f32>(at, ds);
  }

  // dq_i += Σ_t ds_t k_t, sixteen dimensions at a time summed in registers over the keys.
  const dq = <usize>arg(args, DQ), dk = <usize>arg(args, DK), dv = <usize>arg(args, DV);
  if (dq != 0) {
    const dqi = dq + qOffset;
    const k0 = k + <usize>start * kvStride;
    let d: usize = 0;
    for (; d + 64 <= d4; d += 64) {
      let a0 = v128.load(dqi + d), a1 = v128.load(dqi + d, 16), a2 = v128.load(dqi + d, 32), a3 = v128.load(dqi + d, 48);
      let kt = k0 + d;
      for (let u = 0; u < count; u++) {
        const ds4 = v128.load32_splat(grads + (<usize>u << 2));
        a0 = madd(ds4, v128.load(kt), a0);
        a1 = madd(ds4, v128.load(kt, 16), a1);
        a2 = madd(ds4, v128.load(kt, 32), a2);
        a3 = madd(ds4, v128.load(kt, 48), a3);
        kt += kvStride;
      }
      v128.store(dqi + d, a0); v128.store(dqi + d, a1, 16); v128.store(dqi + d, a2, 32); v128.store(dqi + d, a3, 48);
    }
    for (; d < d4; d += 16) {
      let a0 = v128.load(dqi + d);
      let kt = k0 + d;
      for (let u = 0; u < count; u++) {
        a0 = madd(v128.load32_splat(grads + (<usize>u << 2)), v128.load(kt), a0);
        kt += kvStride;
      }
      v128.store(dqi + d, a0);
    }
    for (; d < headBytes; d += 4) {
      let a: f32 = load<f32>(dqi + d);
      let kt = k0 + d;
      for (let u = 0; u < count; u++) {
        a += load<f32>(grads + (<usize>u << 2)) * load<f32>(kt);
        kt += kvStride;
      }
      store<f32>(dqi + d, a);
    }
  }

  // dk_t += ds_t q_i and dv_t += p_t dOut_i, key after key.
  if (dk == 0 && dv == 0) return;
  for (let u = 0; u < count; u++) {
    const ds = load<f32>(grads + (<usize>u << 2));
    const p = load<f32>(probs + (<usize>u << 2));
    if (ds == 0 && p == 0) continue; // a masked key
    const rowOffset = <usize>(start + u) * kvStride + kvHead;
    const ds4 = f32x4.splat(ds), p4 = f32x4.splat(p);
    if (dk != 0) {
      const dkt = dk + rowOffset;
      let d: usize = 0;
      for (; d < d4; d += 16) v128.store(dkt + d, madd(ds4, v128.load(qi + d), v128.load(dkt + d)));
      for (; d < headBytes; d += 4) store<f32>(dkt + d, load<f32>(dkt + d) + ds * load<f32>(qi + d));
    }
    if (dv != 0) {
      const dvt = dv + rowOffset;
      let d: usize = 0;
      for (; d < d4; d += 16) v128.store(dvt + d, madd(p4, v128.load(gi + d), v128.load(dvt + d)));
      for (; d < headBytes; d += 4) store<f32>(dvt + d, load<f32>(dvt + d) + p * load<f32>(gi + d));
    }
  }
}
