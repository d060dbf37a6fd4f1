// Quantizers of ggml's non-linear 4-bit formats IQ4_NL and IQ4_XS (ggml-quants.c
// `quantize_iq4_nl` / `quantize_iq4_xs` without an importance matrix, as
// llama-quantize calls them), reimplemented from their definition in float32:
// each group of 32 weights picks, for every weight, the nearest of the 16 levels of
// IQ4_VALUES times a scale d; the scale starts at max/−127 and 15 nearby trial scales
// (the level of the largest weight moved by −7 … 7) are tried, keeping the one with
// the least error weighted by x² (the least-squares d for the chosen levels).
// IQ4_NL stores d as f16 per 32 weights. IQ4_XS groups 8 such blocks under one f16
// super-scale and stores each block's scale as a 6-bit multiple of it; the weights
// are then re-quantized against the stored scale. Block layouts: block-dequantize.ts.

import { IQ4_VALUES } from "../block-formats.js";
import { putF16 } from "./bytes.js";
import { GROUP_MAX_EPS, bestIndexInt8, nearestInt, signedMax } from "./scale-search.js";

const f32 = Math.fround;
const TRIES = 7;

/** The best scale for the 32 weights at x[at] (0 for a block of zeros); their levels go to L[lAt ..]. */
function blockScale(x: Float32Array, at: number, L: Uint8Array, lAt: number): number {
  const [amax, max] = signedMax(x, at, 32);
  if (amax < GROUP_MAX_EPS) return 0;
  const v0 = IQ4_VALUES[0]!;
  const sums = (id: number, store: boolean): [number, number] => {
    let sumqx = 0;
    let sumq2 = 0;
    for (let j = 0; j < 32; j++) {
      const xj = x[at + j]!;
      const l = bestIndexInt8(IQ4_VALUES, f32(id * xj));
      if (store) L[lAt + j] = l;
      const q = IQ4_VALUES[l]!;
      const w = f32(xj * xj);
      sumqx = f32(sumqx + f32(f32(w * q) * xj));
      sumq2 = f32(sumq2 + f32(f32(w * q) * q));
    }
    return [sumqx, sumq2];
  };
  const d0 = f32(-max / v0);
  let [sumqx, sumq2] = sums(f32(1 / d0), true);
  let d = sumq2 > 0 ? f32(sumqx / sumq2) : 0;
  let best = f32(d * sumqx);
  for (let itry = -TRIES; itry <= TRIES; itry++) {
    [sumqx, sumq2] = sums(f32((itry + v0) / max), false);
    if (sumq2 > 0 && f32(sumqx * sumqx) > f32(best * sumq2)) {
      d = f32(sumqx / sumq2);
      best = f32(d * sumqx);
    }
  }
  return d;
}

const L = new Uint8Array(256);
const scales = new Float32Array(8);

/** 16 bytes of nibbles for 32 levels: byte j = level j | level j + 16 << 4. */
function packNibbles(out: Uint8Array, o: number, lAt: number): void {
  for (let j = 0; j < 16; j++) out[o + j] = L[lAt + j]! | (L[lAt + 16 + j]! << 4);
}

export function quantizeBlockIQ4_NL(x: Float32Array, at: number, out: Uint8Array, o: number): void {
  const d = blockScale(x, at, L, 0);
  putF16(out, o, d);
  const id = d !== 0 ? f32(1 / d) : 0;
  for (let j = 0; j < 32; j++) L[j] = bestIndexInt8(IQ4_VALUES, f32(id * x[at + j]!));
  packNibbles(out, o + 2, 0);
}

export function quantizeBlockIQ4_XS(x: Float32Array, at: number, out: Uint8Array, o: number): void {
  let maxScale = 0;
  let amaxScale = 0;
  for (let ib = 0; ib < 8; ib++) {
    scales[ib] = blockScale(x, at + 32 * ib, L, 32 * ib);
    if (Math.abs(scales[ib]!) > amaxScale) {
      amaxScale = Math.abs(scales[ib]!);
      maxScale = scales[ib]!;
    }
  }
  const d = f32(-maxScale / 32);
  putF16(out, o, d);
  const id = d !== 0 ? f32(1 / d) : 0;
  let scalesH = 0;
  for (let ib = 0; ib < 8; ib++) {
    const l = Math.max(-32, Math.min(31, nearestInt(f32(id * scales[ib]!))));
    const dl = f32(d * l);
    const idl = dl !== 0 ? f32(1 / dl) : 0;
    for (let j = 0; j < 32; j++) L[32 * ib + j] = bestIndexInt8(IQ4_VALUES, f32(idl * x[at + 32 * ib + j]!));
    const stored = l + 32;
    if (ib % 2 === 0) out[o + 4 + (ib >> 1)] = stored & 0xf;
    else out[o + 4 + (ib >> 1)] = out[o + 4 + (ib >> 1)]! | ((stored & 0xf) << 4);
    scalesH |= (stored >> 4) << (2 * ib);
  }
  out[o + 2] = scalesH & 0xff;
  out[o + 3] = scalesH >> 8;
  for (let ib = 0; ib < 8; ib++) packNibbles(out, o + 8 + 16 * ib, 32 * ib);
}
