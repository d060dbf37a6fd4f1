// AssemblyScript. The backward of LayerNorm and RMSNorm (llm.c layernorm_backward;
// the reference is src/backend/js/backward/norms.ts), row by row with the row's
// statistics recomputed from x as the forward computes them (f32 lanes, finished
// in f64). With x̂ = (x − mean)·rstd (RMSNorm: x·rstd) and g = dOut ⊙ gain:
//   LayerNorm: dx += rstd (g − mean(g) − x̂ · mean(g x̂)),  dWeight += dOut x̂,  dBias += dOut
//   RMSNorm:   dx += rstd (g − x̂ · mean(g x̂)),  gain = weightOffset + weight,  dWeight += dOut x̂
// A chunk is a block of rows; its sums for dWeight and dBias go to its own slice
// of `partials` ([chunks, 2, dim], overwritten), which gradient-sums.ts adds up in
// chunk order afterwards, so no two threads add into the same gradient.

import { hsum } from "./lanes";

// Argument slots (src/backend/wasm/backward.ts writes them).
const DX = 0, D_OUT = 1, X = 2, WEIGHT = 3, ROWS = 4, DIM = 5, EPS = 6, WEIGHT_OFFSET = 7;
const ROWS_PER_CHUNK = 8, PARTIALS = 9, RMS = 10;

@inline function arg(args: usize, slot: i32): i32 {
  return load<i32>(args + (<usize>slot << 2));
}

export function normBackwardTask(args: usize, chunk: i32): void {
  const rows = arg(args, ROWS), dim = arg(args, DIM), perChunk = arg(args, ROWS_PER_CHUNK);
  const r0 = chunk * perChunk, r1 = min(rows, r0 + perChunk);
  const bytes = <usize>dim << 2;
  const partialW = <usize>arg(args, PARTIALS) + <usize>chunk * 2 * bytes;
  const partialB = partialW + bytes;
  for (let d: usize = 0; d < 2 * bytes; d += 4) store<f32>(partialW + d, 0);
  const eps = load<f32>(args + (EPS << 2));
  const offset = load<f32>(args + (WEIGHT_OFFSET << 2));
  const dx = <usize>arg(args, DX), dOut = <usize>arg(args, D_OUT), x = <usize>arg(args, X), weight = <usize>arg(args, WEIGHT);
  const rms = arg(args, RMS) != 0;
  for (let r = r0; r < r1; r++) {
    const at = <usize>r * bytes;
    if (rms) rmsRow(dx == 0 ? 0 : dx + at, dOut + at, x + at, weight, dim, eps, offset, partialW);
    else layerRow(dx == 0 ? 0 : dx + at, dOut + at, x + at, weight, dim, eps, partialW, partialB);
  }
}

function layerRow(dx: usize, g: usize, x: usize, weight: usize, dim: i32, eps: f32, partialW: usize, partialB: usize): void {
  const bytes = <usize>dim << 2;
  const d4 = <usize>(dim & ~3) << 2;
  let acc = f32x4.splat(0);
  let t: usize = 0;
  for (; t < d4; t += 16) acc = f32x4.add(acc, v128.load(x + t));
  let sum = <f64>hsum(acc);
  for (; t < bytes; t += 4) sum += <f64>load<f32>(x + t);
  const meanF = <f32>(sum / dim);
  const mean = f32x4.splat(meanF);
  acc = f32x4.splat(0);
  for (t = 0; t < d4; t += 16) {
    const c = f32x4.sub(v128.load(x + t), mean);
    acc = f32x4.add(acc, f32x4.mul(c, c));
  }
  let squares = <f64>hsum(acc);
  for (; t < bytes; t += 4) {
    const c = <f64>(load<f32>(x + t) - meanF);
    squares += c * c;
  }
  const rstdF = <f32>(1 / Math.sqrt(squares / dim + eps));
  const rstd = f32x4.splat(rstdF);
  // mean(g) and mean(g x̂), g = dOut ⊙ weight; dWeight and dBias partial sums.
  let sg = f32x4.splat(0), sgx = f32x4.splat(0);
  for (t = 0; t < d4; t += 16) {
    const dy = v128.load(g + t);
    const xhat = f32x4.mul(f32x4.sub(v128.load(x + t), mean), rstd);
    const gw = f32x4.mul(dy, v128.load(weight + t));
    sg = f32x4.add(sg, gw);
    sgx = f32x4.add(sgx, f32x4.mul(gw, xhat));
    v128.store(partialW + t, f32x4.add(v128.load(partialW + t), f32x4.mul(dy, xhat)));
    v128.store(partialB + t, f32x4.add(v128.load(partialB + t), dy));
  }
  let meanG = <f64>hsum(sg), meanGX = <f64>hsum(sgx);
  for (; t < bytes; t += 4) {
    const dy = load<f32>(g + t);
    const xhat = (load<f32>(x + t) - meanF) * rstdF;
    const gw = dy * load<f32>(weight + t);
    meanG += gw;
    meanGX += gw * xhat;
    store<f32>(partialW + t, load<f32>(partialW + t) + dy * xhat);
    store<f32>(partialB + t, load<f32>(partialB + t) + dy);
  }
  if (dx == 0) return;
  const mgF = <f32>(meanG / dim), mgxF = <f32>(meanGX / dim);
  const mg = f32x4.splat(mgF), mgx = f32x4.splat(mgxF);
  for (t = 0; t < d4; t += 16) {
    const xhat = f32x4.mul(f32x4.sub(v128.load(x + t), mean), rstd);
    const inner = f32x4.sub(f32x4.sub(f32x4.mul(v128.load(g + t), v128.load(weight + t)), mg), f32x4.mul(xhat, mgx));
    v128.store(dx + t, f32x4.add(v128.load(dx + t), f32x4.mul(rstd, inner)));
  }
  for (; t < bytes; t += 4) {
    const xhat = (load<f32>(x + t) - meanF) * rstdF;
    store<f32>(dx + t, load<f32>(dx + t) + rstdF * (load<f32>(g + t) * load<f32>(weight + t) - mgF - xhat * mgxF));
  }
}

function rmsRow(dx: usize, g: usize, x: usize, weight: usize, dim: i32, eps: f32, offset: f32, partialW: usize): void {
  const bytes = <usize>dim << 2;
  const d4 = <usize>(dim & ~3) << 2;
  let acc = f32x4.splat(0);
  let t: usize = 0;
  for (; t < d4; t += 16) {
    const v = v128.load(x + t);
    acc = f32x4.add(acc, f32x4.mul(v, v));
  }
  let squares = <f64>hsum(acc);
  for (; t < bytes; t += 4) {
    const v = <f64>load<f32>(x + t);
    squares += v * v;
  }
  const rstdF = <f32>(1 / Math.sqrt(squares / dim + eps));
  const rstd = f32x4.splat(rstdF);
  const off = f32x4.splat(offset);
  let sgx = f32x4.splat(0);
  for (t = 0; t < d4; t += 16) {
    const dy = v128.load(g + t);
    const xhat = f32x4.mul(v128.load(x + t), rstd);
    sgx = f32x4.add(sgx, f32x4.mul(f32x4.mul(dy, f32x4.add(off, v128.load(weight + t))), xhat));
    v128.store(partialW + t, f32x4.add(v128.load(partialW + t), f32x4.mul(dy, xhat)));
  }
  let meanGX = <f64>hsum(sgx);
  for (; t < bytes; t += 4) {
    const dy = load<f32>(g + t);
    const xhat = load<f32>(x + t) * rstdF;
    meanGX += dy * (offset + load<f32>(weight + t)) * xhat;
    store<f32>(partialW + t, load<f32>(partialW + t) + dy * xhat);
  }
  if (dx == 0) return;
  const mgxF = <f32>(meanGX / dim);
  const mgx = f32x4.splat(mgxF);
  for (t = 0; t < d4; t += 16) {
    const xhat = f32x4.mul(v128.load(x + t), rstd);
    const inner = f32x4.sub(f32x4.mul(v128.load(g + t), f32x4.add(off, v128.load(weight + t))), f32x4.mul(xhat, mgx));
    v128.store(dx + t, f32x4.add(v128.load(dx + t), f32x4.mul(rstd, inner)));
  }
  for (; t < bytes; t += 4) {
    const xhat = load<f32>(x + t) * rstdF;
    store<f32>(dx + t, load<f32>(dx + t) + rstdF * (load<f32>(g + t) * (offset + load<f32>(weight + t)) - xhat * mgxF));
  }
}
