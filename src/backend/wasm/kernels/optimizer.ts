// AssemblyScript. The optimizer's kernels, a fixed block of elements per chunk,
// following the reference src/backend/js/optimizer.ts:
//  - AdamW (Loshchilov & Hutter 2019, as torch.optim.AdamW), per element:
//      p ← p·(1 − lr·wd) − lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + eps),
//      m ← β1 m + (1 − β1) g,  v ← β2 v + (1 − β2) g²   (m, v updated first)
//    the step's scalars computed once by the caller;
//  - Σ g² of a block in f64 (the squares exact), for the global gradient norm:
//    one partial sum per chunk, which the caller adds in chunk order.

// Argument slots (src/backend/wasm/optimizer.ts writes them).
const PARAM = 0, GRAD = 1, EXP_AVG = 2, EXP_AVG_SQ = 3, N = 4, PER_CHUNK = 5;
const BETA1 = 6, BETA2 = 7, STEP_SIZE = 8, DECAY = 9, BIAS_CORRECTION2_SQRT = 10, EPS = 11;
const SQ_X = 0, SQ_N = 1, SQ_PER_CHUNK = 2, SQ_OUT = 3;

@inline function arg(args: usize, slot: i32): i32 {
  return load<i32>(args + (<usize>slot << 2));
}

@inline function argF(args: usize, slot: i32): f32 {
  return load<f32>(args + (<usize>slot << 2));
}

export function adamwTask(args: usize, chunk: i32): void {
  const n = arg(args, N), perChunk = arg(args, PER_CHUNK);
  const param = <usize>arg(args, PARAM), grad = <usize>arg(args, GRAD);
  const expAvg = <usize>arg(args, EXP_AVG), expAvgSq = <usize>arg(args, EXP_AVG_SQ);
  const beta1F = argF(args, BETA1), beta2F = argF(args, BETA2), stepSizeF = argF(args, STEP_SIZE);
  const decayF = argF(args, DECAY), bc2F = argF(args, BIAS_CORRECTION2_SQRT), epsF = argF(args, EPS);
  const beta1 = f32x4.splat(beta1F), beta2 = f32x4.splat(beta2F), stepSize = f32x4.splat(stepSizeF);
  const decay = f32x4.splat(decayF), bc2 = f32x4.splat(bc2F), eps = f32x4.splat(epsF);
  const rest1 = f32x4.splat(1 - beta1F), rest2 = f32x4.splat(1 - beta2F);
  const from = <usize>(chunk * perChunk) << 2;
  const to = <usize>min(n, chunk * perChunk + perChunk) << 2;
  const to4 = from + ((to - from) & ~15);
  let t = from;
  for (; t < to4; t += 16) {
    const g = v128.load(grad + t);
    const m = f32x4.add(f32x4.mul(beta1, v128.load(expAvg + t)), f32x4.mul(rest1, g));
    const v = f32x4.add(f32x4.mul(beta2, v128.load(expAvgSq + t)), f32x4.mul(f32x4.mul(rest2, g), g));
    v128.store(expAvg + t, m);
    v128.store(expAvgSq + t, v);
    const denominator = f32x4.add(f32x4.div(f32x4.sqrt(v), bc2), eps);
    v128.store(param + t, f32x4.sub(f32x4.mul(v128.load(param + t), decay), f32x4.div(f32x4.mul(stepSize, m), denominator)));
  }
  for (; t < to; t += 4) {
    const g = load<f32>(grad + t);
    const m = beta1F * load<f32>(expAvg + t) + (1 - beta1F) * g;
    const v = beta2F * load<f32>(expAvgSq + t) + (1 - beta2F) * g * g;
    store<f32>(expAvg + t, m);
    store<f32>(expAvgSq + t, v);
    store<f32>(param + t, load<f32>(param + t) * decayF - (stepSizeF * m) / (Mathf.sqrt(v) / bc2F + epsF));
  }
}

export function sumOfSquaresTask(args: usize, chunk: i32): void {
  const x = <usize>arg(args, SQ_X), n = arg(args, SQ_N), perChunk = arg(args, SQ_PER_CHUNK);
  const from = <usize>(chunk * perChunk) << 2;
  const to = <usize>min(n, chunk * perChunk + perChunk) << 2;
  const to4 = from + ((to - from) & ~15);
  let lo = f64x2.splat(0), hi = f64x2.splat(0);
  let t = from;
  for (; t < to4; t += 16) {
    const v = v128.load(x + t);
    const a = f64x2.promote_low_f32x4(v), b = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
    lo = f64x2.add(lo, f64x2.mul(a, a));
    hi = f64x2.add(hi, f64x2.mul(b, b));
  }
  const both = f64x2.add(lo, hi);
  let sum = f64x2.extract_lane(both, 0) + f64x2.extract_lane(both, 1);
  for (; t < to; t += 4) {
    const v = <f64>load<f32>(x + t);
    sum += v * v;
  }
  store<f64>(<usize>arg(args, SQ_OUT) + (<usize>chunk << 3), sum);
}
