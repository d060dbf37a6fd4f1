// Reference matrix products with weights in ggml's block formats (tensor/block-formats.ts):
// out[m, n] = x[m, k] · w[n, k]ᵀ + bias, computed as ggml's CPU matmul computes it, so
// that the results land on ggml's bit for bit:
//   1. each row of x is quantized to the 8-bit blocks ggml pairs with the format
//      (activation-quant.ts: Q8_0, Q8_1 or Q8_K);
//   2. every output is the format's dot product of a weight row with an activation row:
//      integer sums per block (exact), scaled and accumulated in float32, in the order of
//      ggml's portable kernels (ggml-cpu/quants.c `ggml_vec_dot_*_generic`);
//   3. the bias is added in float32 (ggml_add).
// Readable loops over ggml's bytes; only the WASM backend is written for speed.

import { BLOCK_FORMATS, IQ4_VALUES, type BlockQuantType } from "../../tensor/block-formats.js";
import { f16At, iq4xsScale, kScaleMin, q3kScales } from "../../tensor/block-dequantize.js";
import type { BlockQuantMatrix } from "../../tensor/weights.js";
import { ACTIVATION_LAYOUTS, quantizeActivations } from "./activation-quant.js";

const f32 = Math.fround;

/** Signed byte i of b. */
const i8 = (b: Uint8Array, i: number) => (b[i]! << 24) >> 24;
const i16 = (b: Uint8Array, i: number) => ((b[i]! | (b[i + 1]! << 8)) << 16) >> 16;
const u32 = (b: Uint8Array, i: number) => (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
const f32Scratch = new DataView(new ArrayBuffer(4));
/** The little-endian f32 at byte i of b. */
function f32At(b: Uint8Array, i: number): number {
  for (let k = 0; k < 4; k++) f32Scratch.setUint8(k, b[i + k]!);
  return f32Scratch.getFloat32(0, true);
}

/**
 * The dot product of one weight row (blocks from w[wAt]) with one activation row (its
 * blocks from a[aAt]), over `blocks` weight blocks.
 */
type VecDot = (w: Uint8Array, wAt: number, a: Uint8Array, aAt: number, blocks: number) => number;

/** Weights of 32 in a Q4/Q5 layout: 16 bytes of nibbles at q, the 5th bits in qh (or null). */
function q32Sum(w: Uint8Array, q: number, qh: number | null, a: Uint8Array, aq: number, offset: number): number {
  let sum0 = 0;
  let sum1 = 0;
  for (let j = 0; j < 16; j++) {
    const high0 = qh === null ? 0 : ((qh >>> j) & 1) << 4;
    const high1 = qh === null ? 0 : ((qh >>> (j + 16)) & 1) << 4;
    sum0 += (((w[q + j]! & 0xf) | high0) - offset) * i8(a, aq + j);
    sum1 += (((w[q + j]! >> 4) | high1) - offset) * i8(a, aq + j + 16);
  }
  return sum0 + sum1;
}

/** The 256 weights of a K-quant block as small integers (ggml's aux8), filled by each format. */
const aux8 = new Int8Array(256);
const aux32 = new Int32Array(8);
/** ggml's eight float32 lane sums of the K-quant kernels, added up after the last block. */
const sums = new Float32Array(8);

/**
 * ggml's K-quant accumulation pattern: aux32[l] += scale(sub-block) · Σ q8·aux8 over the
 * 8-lane chunks of each sub-block of `subSize` weights.
 */
function accumulateLanes(a: Uint8Array, aq: number, subSize: number, scaleOf: (sub: number) => number): void {
  aux32.fill(0);
  for (let sub = 0; sub < 256 / subSize; sub++) {
    const scale = scaleOf(sub);
    for (let e = sub * subSize; e < (sub + 1) * subSize; e++) aux32[e % 8] = aux32[e % 8]! + scale * (i8(a, aq + e) * aux8[e]!);
  }
}

const vecDots: Record<BlockQuantType, VecDot> = {
  q4_1(w, wAt, a, aAt, blocks) {
    let sumf = 0;
    for (let ib = 0, x = wAt, y = aAt; ib < blocks; ib++, x += 20, y += 36) {
      const sumi = q32Sum(w, x + 4, null, a, y + 4, 0);
      sumf = f32(sumf + f32(f32(f32(f16At(w, x) * f16At(a, y)) * sumi) + f32(f16At(w, x + 2) * f16At(a, y + 2))));
    }
    return sumf;
  },
  q5_0(w, wAt, a, aAt, blocks) {
    let sumf = 0;
    for (let ib = 0, x = wAt, y = aAt; ib < blocks; ib++, x += 22, y += 34) {
      const sumi = q32Sum(w, x + 6, u32(w, x + 2), a, y + 2, 16);
      sumf = f32(sumf + f32(f32(f16At(w, x) * f16At(a, y)) * sumi));
    }
    return sumf;
  },
  q5_1(w, wAt, a, aAt, blocks) {
    let sumf = 0;
    for (let ib = 0, x = wAt, y = aAt; ib < blocks; ib++, x += 24, y += 36) {
      const sumi = q32Sum(w, x + 8, u32(w, x + 4), a, y + 4, 0);
      sumf = f32(sumf + f32(f32(f32(f16At(w, x) * f16At(a, y)) * sumi) + f32(f16At(w, x + 2) * f16At(a, y + 2))));
    }
    return sumf;
  },
  iq4_nl(w, wAt, a, aAt, blocks) {
    let sumf = 0;
    for (let ib = 0, x = wAt, y = aAt; ib < blocks; ib++, x += 18, y += 34) {
      const d = f32(f16At(a, y) * f16At(w, x));
      let sumi1 = 0;
      let sumi2 = 0;
      for (let j = 0; j < 16; j++) {
        sumi1 += i8(a, y + 2 + j) * IQ4_VALUES[w[x + 2 + j]! & 0xf]!;
        sumi2 += i8(a, y + 18 + j) * IQ4_VALUES[w[x + 2 + j]! >> 4]!;
      }
      sumf = f32(sumf + f32(d * (sumi1 + sumi2)));
    }
    return sumf;
  },
  q2_k(w, wAt, a, aAt, blocks) {
    let sumf = 0;
    for (let i = 0, x = wAt, y = aAt; i < blocks; i++, x += 84, y += 292) {
      let summs = 0;
      for (let j = 0; j < 16; j++) summs += i16(a, y + 260 + 2 * j) * (w[x + j]! >> 4);
      const yd = f32At(a, y);
      const dall = f32(yd * f16At(w, x + 80));
      const dmin = f32(yd * f16At(w, x + 82));
      // Element 128n + 32j + 16p + l: bits 2j of qs[32n + 16p + l], scale byte 8n + 2j + p.
      let isum = 0;
      for (let n = 0; n < 2; n++) {
        for (let j = 0; j < 4; j++) {
          for (let p = 0; p < 2; p++) {
            let isuml = 0;
            for (let l = 0; l < 16; l++) isuml += i8(a, y + 4 + 128 * n + 32 * j + 16 * p + l) * ((w[x + 16 + 32 * n + 16 * p + l]! >> (2 * j)) & 3);
            isum += (w[x + 8 * n + 2 * j + p]! & 0xf) * isuml;
          }
        }
      }
      sumf = f32(sumf + f32(f32(dall * isum) - f32(dmin * summs)));
    }
    return sumf;
  },
  q3_k(w, wAt, a, aAt, blocks) {
    sums.fill(0);
    for (let i = 0, x = wAt, y = aAt; i < blocks; i++, x += 110, y += 292) {
      // aux8: the 2 low bits from qs, minus 4 where the hmask bit is clear (as in dequantization).
      for (let e = 0; e < 256; e++) {
        const n = e >> 7, j = (e >> 5) & 3, rest = e & 31;
        const low = (w[x + 32 + 32 * n + rest]! >> (2 * j)) & 3;
        aux8[e] = low - (((w[x + rest]! >> (4 * n + j)) & 1) === 1 ? 0 : 4);
      }
      const scales = q3kScales(w, x + 96);
      accumulateLanes(a, y + 4, 16, (sub) => scales[sub]!);
      const d = f32(f16At(w, x + 108) * f32At(a, y));
      for (let l = 0; l < 8; l++) sums[l] = f32(sums[l]! + f32(d * f32(aux32[l]!)));
    }
    let sumf = 0;
    for (let l = 0; l < 8; l++) sumf = f32(sumf + sums[l]!);
    return sumf;
  },
  q4_k(w, wAt, a, aAt, blocks) {
    return kQuantDot(w, wAt, a, aAt, blocks, 144, false);
  },
  q5_k(w, wAt, a, aAt, blocks) {
    return kQuantDot(w, wAt, a, aAt, blocks, 176, true);
  },
  q6_k(w, wAt, a, aAt, blocks) {
    sums.fill(0);
    for (let i = 0, x = wAt, y = aAt; i < blocks; i++, x += 210, y += 292) {
      for (let n = 0; n < 2; n++) {
        for (let l = 0; l < 32; l++) {
          const ql = x + 64 * n + l;
          const h = w[x + 128 + 32 * n + l]!;
          aux8[128 * n + l] = ((w[ql]! & 0xf) | ((h & 3) << 4)) - 32;
          aux8[128 * n + l + 32] = ((w[ql + 32]! & 0xf) | (((h >> 2) & 3) << 4)) - 32;
          aux8[128 * n + l + 64] = ((w[ql]! >> 4) | (((h >> 4) & 3) << 4)) - 32;
          aux8[128 * n + l + 96] = ((w[ql + 32]! >> 4) | (((h >> 6) & 3) << 4)) - 32;
        }
      }
      accumulateLanes(a, y + 4, 16, (sub) => i8(w, x + 192 + sub));
      const d = f32(f16At(w, x + 208) * f32At(a, y));
      for (let l = 0; l < 8; l++) sums[l] = f32(sums[l]! + f32(d * f32(aux32[l]!)));
    }
    let sumf = 0;
    for (let l = 0; l < 8; l++) sumf = f32(sumf + sums[l]!);
    return sumf;
  },
  iq4_xs(w, wAt, a, aAt, blocks) {
    let sumf = 0;
    for (let i = 0, x = wAt, y = aAt; i < blocks; i++, x += 136, y += 292) {
      const d4d8 = f32(f16At(w, x) * f32At(a, y));
      for (let ib = 0; ib < 8; ib++) {
        const dl = f32(d4d8 * iq4xsScale(w, x, ib));
        let sumi1 = 0;
        let sumi2 = 0;
        for (let j = 0; j < 16; j++) {
          const byte = w[x + 8 + 16 * ib + j]!;
          sumi1 += i8(a, y + 4 + 32 * ib + j) * IQ4_VALUES[byte & 0xf]!;
          sumi2 += i8(a, y + 4 + 32 * ib + 16 + j) * IQ4_VALUES[byte >> 4]!;
        }
        sumf = f32(sumf + f32(dl * (sumi1 + sumi2)));
      }
    }
    return sumf;
  },
};

/** Q4_K (hasHighBits false) and Q5_K: 8 sub-blocks of 32 with 6-bit scales and mins. */
function kQuantDot(w: Uint8Array, wAt: number, a: Uint8Array, aAt: number, blocks: number, blockBytes: number, hasHighBits: boolean): number {
  sums.fill(0);
  let sumf = 0;
  const qs = hasHighBits ? 48 : 16;
  for (let i = 0, x = wAt, y = aAt; i < blocks; i++, x += blockBytes, y += 292) {
    // Chunk c of 64: low nibbles of qs[32c ..] are elements 64c + l, high nibbles 64c + 32 + l.
    for (let c = 0; c < 4; c++) {
      for (let l = 0; l < 32; l++) {
        const byte = w[x + qs + 32 * c + l]!;
        const h = hasHighBits ? w[x + 16 + l]! : 0;
        aux8[64 * c + l] = (byte & 0xf) + (((h >> (2 * c)) & 1) << 4);
        aux8[64 * c + 32 + l] = (byte >> 4) + (((h >> (2 * c + 1)) & 1) << 4);
      }
    }
    let sumi = 0;
    for (let j = 0; j < 16; j++) sumi += i16(a, y + 260 + 2 * j) * kScaleMin(w, x + 4, j >> 1)[1];
    accumulateLanes(a, y + 4, 32, (sub) => kScaleMin(w, x + 4, sub)[0]);
    const yd = f32At(a, y);
    const d = f32(f16At(w, x) * yd);
    for (let l = 0; l < 8; l++) sums[l] = f32(sums[l]! + f32(d * f32(aux32[l]!)));
    const dmin = f32(f16At(w, x + 2) * yd);
    sumf = f32(sumf - f32(dmin * sumi));
  }
  for (let l = 0; l < 8; l++) sumf = f32(sumf + sums[l]!);
  return sumf;
}

/** out[m, n] = x[m, k] · wᵀ + bias for a block-format weight w [n, k], as ggml computes it. */
export function matmulBlocks(out: Float32Array, x: Float32Array, w: BlockQuantMatrix, bias: Float32Array | null, m: number): void {
  const { rows: n, cols: k, type } = w;
  const format = BLOCK_FORMATS[type];
  if (k % format.blockSize !== 0) throw new RangeError(`${format.ggmlName} weight has ${k} columns, not a multiple of ${format.blockSize}`);
  if (x.length < m * k || out.length < m * n) {
    throw new RangeError(`${format.ggmlName} matmul of ${m} rows by a ${n}×${k} weight needs x ≥ ${m * k} and out ≥ ${m * n} floats`);
  }
  const blocks = w.blocks; // read once: a backend's matrix may rebuild it per access
  const activations = quantizeActivations(format.activation, x, m, k);
  const activationRow = (k / ACTIVATION_LAYOUTS[format.activation].blockSize) * ACTIVATION_LAYOUTS[format.activation].blockBytes;
  const perRow = k / format.blockSize;
  const weightRow = perRow * format.blockBytes;
  const dot = vecDots[type];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const value = dot(blocks, j * weightRow, activations, i * activationRow, perRow);
      out[i * n + j] = bias === null ? value : f32(value + bias[j]!);
    }
  }
}
