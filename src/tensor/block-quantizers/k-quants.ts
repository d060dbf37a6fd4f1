// Reference quantizers of ggml's K-quants (ggml-quants.c `quantize_row_q{2,3,4,5,6}_K_ref`,
// which llama-quantize uses when no importance matrix is given), reimplemented from their
// definition and evaluated in float32 in ggml's order so that the bytes equal ggml's.
// A super-block of 256 weights is cut into sub-blocks (16 of 16 weights, or 8 of 32);
// each sub-block gets its own scale (and min) by a search (scale-search.ts); those are
// quantized in turn to 4 or 6 bits against one f16 super-scale d (and dmin); finally every
// weight is re-quantized against its sub-block's scale as actually stored:
//   Q2_K  16×16, levels 0..3,   affine (make_qkx2_quants, absolute error),   4-bit scale/min
//   Q3_K  16×16, levels −4..3,  symmetric (make_q3_quants),                   6-bit scales
//   Q4_K   8×32, levels 0..15,  affine (make_qkx2_quants, weights √mean x² + |x|), 6-bit scale/min
//   Q5_K   8×32, levels 0..31,  as Q4_K
//   Q6_K  16×16, levels −32..31, symmetric (make_qx_quants),                  8-bit scales
// Block layouts: block-dequantize.ts.

import { f16ToF32 } from "../dtype.js";
import { putF16 } from "./bytes.js";
import { GROUP_MAX_EPS, makeQ3Quants, makeQkx2Quants, makeQxQuants, nearestInt } from "./scale-search.js";

const f32 = Math.fround;

const f16Value = (out: Uint8Array, at: number) => f16ToF32(out[at]! | (out[at + 1]! << 8));

/** Packs 256 levels of 2 bits: byte 32n + l holds elements 128n + l + 32j in bits 2j. */
function pack2(L: Uint8Array | Int8Array, out: Uint8Array, at: number): void {
  for (let n = 0; n < 2; n++) {
    for (let l = 0; l < 32; l++) {
      const e = 128 * n + l;
      out[at + 32 * n + l] = L[e]! | (L[e + 32]! << 2) | (L[e + 64]! << 4) | (L[e + 96]! << 6);
    }
  }
}

const L8 = new Uint8Array(256);
const Laux = new Uint8Array(32);
const weights = new Float32Array(32);
const theMin = new Float32Array(1);
const subScales = new Float32Array(16);
const subMins = new Float32Array(16);

export function quantizeBlockQ2_K(x: Float32Array, at: number, out: Uint8Array, o: number): void {
  let maxScale = 0;
  let maxMin = 0;
  for (let j = 0; j < 16; j++) {
    for (let l = 0; l < 16; l++) weights[l] = Math.abs(x[at + 16 * j + l]!);
    subScales[j] = makeQkx2Quants(16, 3, x, at + 16 * j, weights, L8, 16 * j, theMin, Laux, -0.5, f32(0.1), 15, true);
    subMins[j] = theMin[0]!;
    if (subScales[j]! > maxScale) maxScale = subScales[j]!;
    if (subMins[j]! > maxMin) maxMin = subMins[j]!;
  }
  if (maxScale > 0) {
    const iscale = f32(15 / maxScale);
    for (let j = 0; j < 16; j++) out[o + j] = nearestInt(f32(iscale * subScales[j]!)) & 0xff;
    putF16(out, o + 80, f32(maxScale / 15));
  } else {
    out.fill(0, o, o + 16);
    putF16(out, o + 80, 0);
  }
  if (maxMin > 0) {
    const iscale = f32(15 / maxMin);
    for (let j = 0; j < 16; j++) out[o + j] = (out[o + j]! | (nearestInt(f32(iscale * subMins[j]!)) << 4)) & 0xff;
    putF16(out, o + 82, f32(maxMin / 15));
  } else {
    putF16(out, o + 82, 0);
  }
  const d = f16Value(out, o + 80);
  const dmin = f16Value(out, o + 82);
  for (let j = 0; j < 16; j++) {
    const dl = f32(d * (out[o + j]! & 0xf));
    if (dl === 0) continue;
    const ml = f32(dmin * (out[o + j]! >> 4));
    for (let i = 0; i < 16; i++) L8[16 * j + i] = Math.max(0, Math.min(3, nearestInt(f32(f32(x[at + 16 * j + i]! + ml) / dl))));
  }
  pack2(L8, out, o + 16);
}

const L3 = new Int8Array(256);

export function quantizeBlockQ3_K(x: Float32Array, at: number, out: Uint8Array, o: number): void {
  let amax = 0;
  let maxScale = 0;
  for (let j = 0; j < 16; j++) {
    subScales[j] = makeQ3Quants(16, 4, x, at + 16 * j, L3, 16 * j);
    const scale = Math.abs(subScales[j]!);
    if (scale > amax) {
      amax = scale;
      maxScale = subScales[j]!;
    }
  }
  const scales = o + 96;
  out.fill(0, scales, scales + 12);
  if (maxScale !== 0) {
    const iscale = f32(-32 / maxScale);
    for (let j = 0; j < 16; j++) {
      const l = Math.max(-32, Math.min(31, (nearestInt(f32(iscale * subScales[j]!)) << 24) >> 24)) + 32;
      if (j < 8) out[scales + j] = l & 0xf;
      else out[scales + j - 8] = out[scales + j - 8]! | ((l & 0xf) << 4);
      out[scales + 8 + (j % 4)] = out[scales + 8 + (j % 4)]! | ((l >> 4) << (2 * Math.floor(j / 4)));
    }
    putF16(out, o + 108, f32(1 / iscale));
  } else {
    putF16(out, o + 108, 0);
  }
  const d = f16Value(out, o + 108);
  for (let j = 0; j < 16; j++) {
    const low = j < 8 ? out[scales + j]! & 0xf : out[scales + j - 8]! >> 4;
    const sc = (low | (((out[scales + 8 + (j % 4)]! >> (2 * Math.floor(j / 4))) & 3) << 4)) - 32;
    const dl = f32(d * sc);
    if (dl === 0) continue;
    for (let i = 0; i < 16; i++) L3[16 * j + i] = Math.max(-4, Math.min(3, nearestInt(f32(x[at + 16 * j + i]! / dl)))) + 4;
  }
  // The 3rd bit of element e is bit ⌊e/32⌋ of hmask[e mod 32]; L keeps the low two bits.
  out.fill(0, o, o + 32);
  for (let e = 0; e < 256; e++) {
    if (L3[e]! > 3) {
      out[o + (e % 32)] = out[o + (e % 32)]! | (1 << (e >> 5));
      L3[e] = L3[e]! - 4;
    }
  }
  pack2(L3, out, o + 32);
}

/** Q4_K/Q5_K's 8 sub-block scales and mins searched and stored as 6 bits (scales[12] at `s`); returns nothing. */
function kScalesAndMins(x: Float32Array, at: number, out: Uint8Array, o: number, nmax: number, rmin: number, nstep: number): void {
  let maxScale = 0;
  let maxMin = 0;
  for (let j = 0; j < 8; j++) {
    let sumX2 = 0;
    for (let l = 0; l < 32; l++) sumX2 = f32(sumX2 + f32(x[at + 32 * j + l]! * x[at + 32 * j + l]!));
    const avX = f32(Math.sqrt(f32(sumX2 / 32)));
    for (let l = 0; l < 32; l++) weights[l] = f32(avX + Math.abs(x[at + 32 * j + l]!));
    subScales[j] = makeQkx2Quants(32, nmax, x, at + 32 * j, weights, L8, 32 * j, theMin, Laux, rmin, f32(0.1), nstep, false);
    subMins[j] = theMin[0]!;
    if (subScales[j]! > maxScale) maxScale = subScales[j]!;
    if (subMins[j]! > maxMin) maxMin = subMins[j]!;
  }
  const invScale = maxScale > 0 ? f32(63 / maxScale) : 0;
  const invMin = maxMin > 0 ? f32(63 / maxMin) : 0;
  const s = o + 4;
  for (let j = 0; j < 8; j++) {
    const ls = Math.min(63, nearestInt(f32(invScale * subScales[j]!)) & 0xff);
    const lm = Math.min(63, nearestInt(f32(invMin * subMins[j]!)) & 0xff);
    if (j < 4) {
      out[s + j] = ls;
      out[s + j + 4] = lm;
    } else {
      out[s + j + 4] = (ls & 0xf) | ((lm & 0xf) << 4);
      out[s + j - 4] = out[s + j - 4]! | ((ls >> 4) << 6);
      out[s + j] = out[s + j]! | ((lm >> 4) << 6);
    }
  }
  putF16(out, o, f32(maxScale / 63));
  putF16(out, o + 2, f32(maxMin / 63));
}

/** Re-quantizes each sub-block of 32 against its stored 6-bit scale and min (levels 0..nmax into L8). */
function requantizeK(x: Float32Array, at: number, out: Uint8Array, o: number, nmax: number): void {
  const d = f16Value(out, o);
  const dmin = f16Value(out, o + 2);
  const s = o + 4;
  for (let j = 0; j < 8; j++) {
    const sc = j < 4 ? out[s + j]! & 63 : (out[s + j + 4]! & 0xf) | ((out[s + j - 4]! >> 6) << 4);
    const m = j < 4 ? out[s + j + 4]! & 63 : (out[s + j + 4]! >> 4) | ((out[s + j]! >> 6) << 4);
    const dl = f32(d * sc);
    if (dl === 0) continue;
    const dm = f32(dmin * m);
    for (let i = 0; i < 32; i++) L8[32 * j + i] = Math.max(0, Math.min(nmax, nearestInt(f32(f32(x[at + 32 * j + i]! + dm) / dl))));
  }
}

export function quantizeBlockQ4_K(x: Float32Array, at: number, out: Uint8Array, o: number): void {
  out.fill(0, o + 4, o + 16);
  kScalesAndMins(x, at, out, o, 15, -1, 20);
  requantizeK(x, at, out, o, 15);
  // Chunk c of 64: byte 32c + l = element 64c + l (low nibble) | 64c + 32 + l (high).
  for (let c = 0; c < 4; c++) {
    for (let l = 0; l < 32; l++) out[o + 16 + 32 * c + l] = L8[64 * c + l]! | (L8[64 * c + 32 + l]! << 4);
  }
}

export function quantizeBlockQ5_K(x: Float32Array, at: number, out: Uint8Array, o: number): void {
  out.fill(0, o + 4, o + 16);
  kScalesAndMins(x, at, out, o, 31, -0.5, 15);
  requantizeK(x, at, out, o, 31);
  // As Q4_K for the low 4 bits; the 5th bit of element 64c + l is bit 2c of qh[l], of 64c + 32 + l bit 2c + 1.
  out.fill(0, o + 16, o + 48);
  for (let c = 0; c < 4; c++) {
    for (let l = 0; l < 32; l++) {
      const q1 = L8[64 * c + l]!;
      const q2 = L8[64 * c + 32 + l]!;
      out[o + 16 + l] = out[o + 16 + l]! | ((q1 >> 4) << (2 * c)) | ((q2 >> 4) << (2 * c + 1));
      out[o + 48 + 32 * c + l] = (q1 & 0xf) | ((q2 & 0xf) << 4);
    }
  }
}

export function quantizeBlockQ6_K(x: Float32Array, at: number, out: Uint8Array, o: number): void {
  let maxScale = 0;
  let maxAbsScale = 0;
  for (let ib = 0; ib < 16; ib++) {
    const scale = makeQxQuants(16, 32, x, at + 16 * ib, L3, 16 * ib);
    subScales[ib] = scale;
    if (Math.abs(scale) > maxAbsScale) {
      maxAbsScale = Math.abs(scale);
      maxScale = scale;
    }
  }
  if (maxAbsScale < GROUP_MAX_EPS) {
    out.fill(0, o, o + 210);
    return;
  }
  const iscale = f32(-128 / maxScale);
  putF16(out, o + 208, f32(1 / iscale));
  for (let ib = 0; ib < 16; ib++) out[o + 192 + ib] = Math.min(127, nearestInt(f32(iscale * subScales[ib]!))) & 0xff;
  const d = f16Value(out, o + 208);
  for (let j = 0; j < 16; j++) {
    const dl = f32(d * ((out[o + 192 + j]! << 24) >> 24));
    if (dl === 0) continue;
    for (let i = 0; i < 16; i++) L3[16 * j + i] = Math.max(-32, Math.min(31, nearestInt(f32(x[at + 16 * j + i]! / dl)))) + 32;
  }
  // Half n of 128: ql[64n + l] = element 128n + l | 128n + 64 + l << 4, ql[64n + 32 + l] = +32 | +96;
  // qh[32n + l] holds the top 2 bits of elements 128n + l, +32, +64, +96 in bits 0, 2, 4, 6.
  for (let n = 0; n < 2; n++) {
    for (let l = 0; l < 32; l++) {
      const e = 128 * n + l;
      const [q1, q2, q3, q4] = [L3[e]!, L3[e + 32]!, L3[e + 64]!, L3[e + 96]!];
      out[o + 64 * n + l] = (q1 & 0xf) | ((q3 & 0xf) << 4);
      out[o + 64 * n + 32 + l] = (q2 & 0xf) | ((q4 & 0xf) << 4);
      out[o + 128 + 32 * n + l] = (q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6);
    }
  }
}
