// AssemblyScript. Softmax and cross-entropy fused over the vocabulary, a block of
// rows per chunk (torch F.cross_entropy, mean over the rows whose target is not
// ignored; llm.c crossentropy_softmax_backward; reference
// src/backend/js/backward/cross-entropy.ts). Each row's log-sum-exp is
// max-subtracted, e^x four lanes at a time, the sum finished in f64:
//  - the loss pass writes each row's lse − logit[target] (f64; 0 for ignored rows),
//    which the caller sums in row order;
//  - the gradient pass adds scale · (softmax − onehot(target)) into dLogits in the
//    same sweep that computes the softmax (no probability matrix).

import { expLanes } from "./exp";
import { hsum } from "./lanes";

// Argument slots (src/backend/wasm/backward.ts writes them).
const LOGITS = 0, TARGETS = 1, ROWS = 2, VOCAB = 3, IGNORE = 4, OUT = 5, SCALE = 6, ROWS_PER_CHUNK = 7, BACKWARD = 8;

@inline function arg(args: usize, slot: i32): i32 {
  return load<i32>(args + (<usize>slot << 2));
}

/** log Σ_j e^{row[j]} over `vocab` floats. */
function logSumExp(row: usize, vocab: i32): f64 {
  const bytes = <usize>vocab << 2;
  const b4 = <usize>(vocab & ~3) << 2;
  let mx4 = f32x4.splat(-Infinity);
  let t: usize = 0;
  for (; t < b4; t += 16) mx4 = f32x4.max(mx4, v128.load(row + t));
  let mx = max(max(f32x4.extract_lane(mx4, 0), f32x4.extract_lane(mx4, 1)), max(f32x4.extract_lane(mx4, 2), f32x4.extract_lane(mx4, 3)));
  for (; t < bytes; t += 4) mx = max(mx, load<f32>(row + t));
  const m4 = f32x4.splat(mx);
  let acc = f32x4.splat(0);
  for (t = 0; t < b4; t += 16) acc = f32x4.add(acc, expLanes(f32x4.sub(v128.load(row + t), m4)));
  let sum = <f64>hsum(acc);
  for (; t < bytes; t += 4) sum += <f64>f32x4.extract_lane(expLanes(f32x4.splat(load<f32>(row + t) - mx)), 0);
  return <f64>mx + Math.log(sum);
}

export function crossEntropyTask(args: usize, chunk: i32): void {
  const rows = arg(args, ROWS), vocab = arg(args, VOCAB), ignore = arg(args, IGNORE), perChunk = arg(args, ROWS_PER_CHUNK);
  const logits = <usize>arg(args, LOGITS), targets = <usize>arg(args, TARGETS), out = <usize>arg(args, OUT);
  const backward = arg(args, BACKWARD) != 0;
  const scale = load<f32>(args + (SCALE << 2));
  const bytes = <usize>vocab << 2;
  const b4 = <usize>(vocab & ~3) << 2;
  for (let r = chunk * perChunk; r < min(rows, chunk * perChunk + perChunk); r++) {
    const target = load<i32>(targets + (<usize>r << 2));
    const row = logits + <usize>r * bytes;
    if (!backward) {
      store<f64>(out + (<usize>r << 3), target == ignore ? 0 : logSumExp(row, vocab) - <f64>load<f32>(row + (<usize>target << 2)));
      continue;
    }
    if (target == ignore) continue;
    const lse = <f32>logSumExp(row, vocab);
    const grad = out + <usize>r * bytes;
    const l4 = f32x4.splat(lse), s4 = f32x4.splat(scale);
    let t: usize = 0;
    for (; t < b4; t += 16) {
      v128.store(grad + t, f32x4.add(v128.load(grad + t), f32x4.mul(s4, expLanes(f32x4.sub(v128.load(row + t), l4)))));
    }
    for (; t < bytes; t += 4) {
      store<f32>(grad + t, load<f32>(grad + t) + scale * f32x4.extract_lane(expLanes(f32x4.splat(load<f32>(row + t) - lse)), 0));
    }
    const at = grad + (<usize>target << 2);
    store<f32>(at, load<f32>(at) - scale);
  }
}
