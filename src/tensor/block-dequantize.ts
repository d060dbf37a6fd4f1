// Dequantization of ggml's block formats (block-formats.ts) to float32, equal to
// ggml's `dequantize_row_*` (ggml-quants.c) bit for bit: every formula is evaluated
// in float32 in ggml's order, each operation rounded with Math.fround (a product or
// sum of two float32 values computed in float64 and rounded once is the float32
// result). f16 fields are widened exactly, subnormals included.
//
// Block layouts (byte offsets within a block; ggml-common.h):
//   Q4_1   (20 B, 32):  d f16 @0, m f16 @2, qs[16] @4        x = d·q + m
//   Q5_0   (22 B, 32):  d f16 @0, qh u32 @2, qs[16] @6      x = d·(q − 16)
//   Q5_1   (24 B, 32):  d @0, m @2, qh u32 @4, qs[16] @8     x = d·q + m
//          nibbles: byte j holds element j (low) and j + 16 (high); bit j of qh is
//          the 5th bit of element j.
//   Q2_K   (84 B, 256): scales[16] @0 (low nibble scale, high nibble min, per 16),
//          qs[64] @16, d @80, dmin @82           x = (d·sc)·q − dmin·m
//   Q3_K   (110 B):     hmask[32] @0, qs[64] @32, scales[12] @96 (16 six-bit), d @108
//                                                x = (d·(s − 32))·(q − 4·!h)
//   Q4_K   (144 B):     d @0, dmin @2, scales[12] @4 (8 six-bit scales, 8 mins),
//          qs[128] @16                           x = (d·sc)·q − (dmin·m)
//   Q5_K   (176 B):     d @0, dmin @2, scales[12] @4, qh[32] @16, qs[128] @48
//   Q6_K   (210 B):     ql[128] @0, qh[64] @128, scales i8[16] @192, d @208
//                                                x = (d·sc)·(q − 32)
//   IQ4_NL (18 B, 32):  d @0, qs[16] @2          x = d·values[q]
//   IQ4_XS (136 B):     d @0, scales_h u16 @2, scales_l[4] @4, qs[128] @8
//                                                x = (d·(ls − 32))·values[q]

import { BLOCK_FORMATS, IQ4_VALUES, type BlockQuantType } from "./block-formats.js";
import { f16Table } from "./dtype.js";
import type { BlockQuantMatrix } from "./weights.js";

const f32 = Math.fround;

/** The f16 at byte `at` of `b`, widened. */
export function f16At(b: Uint8Array, at: number): number {
  return f16Table()[b[at]! | (b[at + 1]! << 8)]!;
}

/** The 6-bit scale and min of sub-block j (< 8) of a Q4_K/Q5_K block's 12 scale bytes at `at` (ggml get_scale_min_k4). */
export function kScaleMin(b: Uint8Array, at: number, j: number): [scale: number, min: number] {
  if (j < 4) return [b[at + j]! & 63, b[at + j + 4]! & 63];
  return [(b[at + j + 4]! & 0xf) | ((b[at + j - 4]! >> 6) << 4), (b[at + j + 4]! >> 4) | ((b[at + j]! >> 6) << 4)];
}

/** The 16 six-bit scales of a Q3_K block (stored at `at`), each minus 32. */
export function q3kScales(b: Uint8Array, at: number): Int8Array {
  const out = new Int8Array(16);
  for (let j = 0; j < 16; j++) {
    const low = j < 8 ? b[at + j]! & 0xf : b[at + j - 8]! >> 4;
    const high = (b[at + 8 + (j % 4)]! >> (2 * Math.floor(j / 4))) & 3;
    out[j] = (low | (high << 4)) - 32;
  }
  return out;
}

/** The 6-bit scale of sub-block ib (< 8) of an IQ4_XS block at `at`, minus 32. */
export function iq4xsScale(b: Uint8Array, at: number, ib: number): number {
  const low = (b[at + 4 + (ib >> 1)]! >> (4 * (ib % 2))) & 0xf;
  const high = ((b[at + 2]! | (b[at + 3]! << 8)) >> (2 * ib)) & 3;
  return (low | (high << 4)) - 32;
}

/** Decodes one block at byte `at` of `b` into out[o .. o + blockSize). */
type BlockDecoder = (b: Uint8Array, at: number, out: Float32Array, o: number) => void;

const decoders: Record<BlockQuantType, BlockDecoder> = {
  q4_1(b, at, out, o) {
    const d = f16At(b, at);
    const m = f16At(b, at + 2);
    for (let j = 0; j < 16; j++) {
      const byte = b[at + 4 + j]!;
      out[o + j] = f32(f32((byte & 0xf) * d) + m);
      out[o + j + 16] = f32(f32((byte >> 4) * d) + m);
    }
  },
  q5_0(b, at, out, o) {
    const d = f16At(b, at);
    const qh = (b[at + 2]! | (b[at + 3]! << 8) | (b[at + 4]! << 16) | (b[at + 5]! << 24)) >>> 0;
    for (let j = 0; j < 16; j++) {
      const byte = b[at + 6 + j]!;
      out[o + j] = f32((((byte & 0xf) | (((qh >>> j) & 1) << 4)) - 16) * d);
      out[o + j + 16] = f32((((byte >> 4) | (((qh >>> (j + 16)) & 1) << 4)) - 16) * d);
    }
  },
  q5_1(b, at, out, o) {
    const d = f16At(b, at);
    const m = f16At(b, at + 2);
    const qh = (b[at + 4]! | (b[at + 5]! << 8) | (b[at + 6]! << 16) | (b[at + 7]! << 24)) >>> 0;
    for (let j = 0; j < 16; j++) {
      const byte = b[at + 8 + j]!;
      out[o + j] = f32(f32(((byte & 0xf) | (((qh >>> j) & 1) << 4)) * d) + m);
      out[o + j + 16] = f32(f32(((byte >> 4) | (((qh >>> (j + 16)) & 1) << 4)) * d) + m);
    }
  },
  q2_k(b, at, out, o) {
    const d = f16At(b, at + 80);
    const min = f16At(b, at + 82);
    // Element 128n + 32j + 16p + l is bits 2j of qs[32n + 16p + l]; its scale byte is scales[8n + 2j + p].
    for (let n = 0; n < 2; n++) {
      for (let j = 0; j < 4; j++) {
        for (let p = 0; p < 2; p++) {
          const sc = b[at + 8 * n + 2 * j + p]!;
          const dl = f32(d * (sc & 0xf));
          const ml = f32(min * (sc >> 4));
          for (let l = 0; l < 16; l++) {
            const q = (b[at + 16 + 32 * n + 16 * p + l]! >> (2 * j)) & 3;
            out[o + 128 * n + 32 * j + 16 * p + l] = f32(f32(dl * q) - ml);
          }
        }
      }
    }
  },
  q3_k(b, at, out, o) {
    const d = f16At(b, at + 108);
    const scales = q3kScales(b, at + 96);
    // As Q2_K for the low 2 bits; the 3rd bit of element 128n + 32j + 16p + l is bit 4n + j of hmask[16p + l].
    for (let n = 0; n < 2; n++) {
      for (let j = 0; j < 4; j++) {
        for (let p = 0; p < 2; p++) {
          const dl = f32(d * scales[8 * n + 2 * j + p]!);
          for (let l = 0; l < 16; l++) {
            const low = (b[at + 32 + 32 * n + 16 * p + l]! >> (2 * j)) & 3;
            const high = (b[at + 16 * p + l]! >> (4 * n + j)) & 1;
            out[o + 128 * n + 32 * j + 16 * p + l] = f32(dl * (low - (high === 1 ? 0 : 4)));
          }
        }
      }
    }
  },
  q4_k(b, at, out, o) {
    const d = f16At(b, at);
    const min = f16At(b, at + 2);
    // Chunk c of 64: qs[32c .. 32c + 32), low nibbles sub-block 2c, high nibbles 2c + 1.
    for (let c = 0; c < 4; c++) {
      const [sc1, m1] = kScaleMin(b, at + 4, 2 * c);
      const [sc2, m2] = kScaleMin(b, at + 4, 2 * c + 1);
      const d1 = f32(d * sc1), dm1 = f32(min * m1);
      const d2 = f32(d * sc2), dm2 = f32(min * m2);
      for (let l = 0; l < 32; l++) {
        const byte = b[at + 16 + 32 * c + l]!;
        out[o + 64 * c + l] = f32(f32(d1 * (byte & 0xf)) - dm1);
        out[o + 64 * c + 32 + l] = f32(f32(d2 * (byte >> 4)) - dm2);
      }
    }
  },
  q5_k(b, at, out, o) {
    const d = f16At(b, at);
    const min = f16At(b, at + 2);
    // As Q4_K; the 5th bit of element 64c + l is bit 2c of qh[l], of 64c + 32 + l bit 2c + 1.
    for (let c = 0; c < 4; c++) {
      const [sc1, m1] = kScaleMin(b, at + 4, 2 * c);
      const [sc2, m2] = kScaleMin(b, at + 4, 2 * c + 1);
      const d1 = f32(d * sc1), dm1 = f32(min * m1);
      const d2 = f32(d * sc2), dm2 = f32(min * m2);
      for (let l = 0; l < 32; l++) {
        const byte = b[at + 48 + 32 * c + l]!;
        const qh = b[at + 16 + l]!;
        const q1 = (byte & 0xf) + (((qh >> (2 * c)) & 1) << 4);
        const q2 = (byte >> 4) + (((qh >> (2 * c + 1)) & 1) << 4);
        out[o + 64 * c + l] = f32(f32(d1 * q1) - dm1);
        out[o + 64 * c + 32 + l] = f32(f32(d2 * q2) - dm2);
      }
    }
  },
  q6_k(b, at, out, o) {
    const d = f16At(b, at + 208);
    const sc = (i: number) => (b[at + 192 + i]! << 24) >> 24;
    for (let n = 0; n < 2; n++) {
      const ql = at + 64 * n;
      const qh = at + 128 + 32 * n;
      for (let l = 0; l < 32; l++) {
        const is = 8 * n + (l >> 4);
        const h = b[qh + l]!;
        const q1 = ((b[ql + l]! & 0xf) | ((h & 3) << 4)) - 32;
        const q2 = ((b[ql + l + 32]! & 0xf) | (((h >> 2) & 3) << 4)) - 32;
        const q3 = ((b[ql + l]! >> 4) | (((h >> 4) & 3) << 4)) - 32;
        const q4 = ((b[ql + l + 32]! >> 4) | (((h >> 6) & 3) << 4)) - 32;
        out[o + 128 * n + l] = f32(f32(d * sc(is)) * q1);
        out[o + 128 * n + l + 32] = f32(f32(d * sc(is + 2)) * q2);
        out[o + 128 * n + l + 64] = f32(f32(d * sc(is + 4)) * q3);
        out[o + 128 * n + l + 96] = f32(f32(d * sc(is + 6)) * q4);
      }
    }
  },
  iq4_nl(b, at, out, o) {
    const d = f16At(b, at);
    for (let j = 0; j < 16; j++) {
      const byte = b[at + 2 + j]!;
      out[o + j] = f32(d * IQ4_VALUES[byte & 0xf]!);
      out[o + j + 16] = f32(d * IQ4_VALUES[byte >> 4]!);
    }
  },
  iq4_xs(b, at, out, o) {
    const d = f16At(b, at);
    for (let ib = 0; ib < 8; ib++) {
      const dl = f32(d * iq4xsScale(b, at, ib));
      for (let j = 0; j < 16; j++) {
        const byte = b[at + 8 + 16 * ib + j]!;
        out[o + 32 * ib + j] = f32(dl * IQ4_VALUES[byte & 0xf]!);
        out[o + 32 * ib + 16 + j] = f32(dl * IQ4_VALUES[byte >> 4]!);
      }
    }
  },
};

/** The f32 values of a block-format matrix, row-major [rows, cols] (ggml's to_float). */
export function dequantizeBlocks(m: BlockQuantMatrix): Float32Array {
  const { blockSize, blockBytes } = BLOCK_FORMATS[m.type];
  const decode = decoders[m.type];
  const blocks = m.blocks; // read once: a backend's matrix may rebuild it per access
  const out = new Float32Array(m.rows * m.cols);
  for (let i = 0, at = 0; i < out.length; i += blockSize, at += blockBytes) decode(blocks, at, out, i);
  return out;
}

/**
 * The first block whose f16 scale (d, or dmin/m) is infinite or NaN, as [row, block
 * within the row, field offset], or null. ggml's `ggml_validate_row_data` refuses the
 * same blocks; lmscope refuses such tensors when it reads them (every weight of the
 * block would be NaN or infinite, and so would every logit).
 */
export function findNonFiniteScale(type: BlockQuantType, blocks: Uint8Array, rows: number, cols: number): [number, number, number] | null {
  const { blockSize, blockBytes, f16Scales } = BLOCK_FORMATS[type];
  const perRow = cols / blockSize;
  for (let block = 0, at = 0; block < rows * perRow; block++, at += blockBytes) {
    for (const offset of f16Scales) {
      if ((blocks[at + offset + 1]! & 0x7c) === 0x7c) return [Math.floor(block / perRow), block % perRow, offset];
    }
  }
  return null;
}
