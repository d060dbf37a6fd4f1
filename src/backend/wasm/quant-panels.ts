// How the WASM backend lays out quantized weights in its memory for its integer
// kernels (kernels/quant32.ts, kernels/kquants.ts): "panels" of 4 weight rows. For each
// block index b (32 weights in Q8_0 … IQ4_NL, 256 in the K-quants), the 4 rows' blocks
// form one tile, so a kernel computing 4 outputs at once reads one stream, loads each
// activation vector once for 4 rows, and stores the 4 outputs with one vector store.
// Panels follow each other; a last panel short of 4 rows is padded with zero blocks
// (scale 0: they add nothing, and their outputs are never stored).
//
// Inside a tile everything is ready for the SIMD instructions (i32x4.dot_i16x8_s takes
// 8 weights widened to i16 and 8 activations stored as i16):
//   - f16 block scales widened to f32, as f32[4] (one per row): one vector per tile;
//   - 4-bit levels in "u16-lane" order: the 16 bytes of 32 weights w0..w31 hold, in
//     16-bit lane i, w[i] | w[8+i] << 4 | w[16+i] << 8 | w[24+i] << 12, so and/shift of
//     the 8 lanes gives weights 0-7, 8-15, 16-23, 24-31 already widened (no unpacking);
//   - 2-bit levels (Q2_K) likewise, lane i of 64 weights holding w[i + 8g] in bits 2g;
//   - 5- and 6-bit levels (Q5_0, Q5_1, Q5_K, Q6_K) and Q8_0 as one int8 per weight,
//     widened by the load itself (v128.load8x8_s): more bytes than the file's bit
//     planes, but no bit gathering on the hot path (the kernels are compute-bound);
//   - IQ4 indices in ggml's order (byte j: index j | index j+16 << 4), looked up with
//     i8x16.swizzle;
//   - sub-block scales as i16 (i32 for IQ4_XS), row-major per tile, so that one
//     v128.load16_splat (load32_splat) makes the vector to multiply by; mins as bytes.
// Tile layouts (bytes; r = row in the panel 0..3; all sections 16-byte multiples):
//   Q8_0   d f32[4] @0, q i8[4][32] @16                                  144
//   Q4_0   d @0, q nibbles[4][16] @16 (level = q, 0..15; −8 applied by the kernel)   80
//   Q4_1   d @0, m f32[4] @16, q nibbles[4][16] @32                          96
//   Q5_0   d @0, q i8[4][32] @16 (q − 16)                                    144
//   Q5_1   d @0, m @16, q i8[4][32] @32 (0..31)                              160
//   IQ4_NL d @0, indices[4][16] @16                                          80
//   Q2_K   d @0, dmin @16, scales i16[4][16] @32, mins u8[4][16] @160, q 2-bit[4 groups of 64][4][16] @224  480
//   Q3_K   d @0, scales i16[4][16] @16 (s − 32), q nibbles[8 groups of 32][4][16] @144 (q + 4, 0..7)     656
//   Q4_K   d @0, dmin @16, scales i16[4][8] @32, mins u8[4][8] @96, q nibbles[8][4][16] @128              640
//   Q5_K   d @0, dmin @16, scales @32, mins @96, q i8[8][4][32] @128 (0..31)                              1152
//   Q6_K   d @0, scales i16[4][16] @16, q i8[8][4][32] @144 (q − 32)                                      1168
//   IQ4_XS d @0, scales i32[4][8] @16 (ls − 32), indices[8][4][16] @144                                 656
// The tensor layer keeps ggml's bytes (Q8_0/Q4_0: quants and scales arrays); `packPanels`
// converts one way and `unpackPanels` the other (an uploaded matrix rebuilds its bytes
// on request, e.g. to be written to a GGUF file), losslessly: tests check both.

import { BLOCK_FORMATS, QK_K } from "../../tensor/block-formats.js";
import { f16ToF32, f32ToF16 } from "../../tensor/dtype.js";
import { QUANT_BLOCK, blockQuantMatrix, type BlockQuantMatrix, type Q4_0Matrix, type Q8_0Matrix } from "../../tensor/weights.js";

/** A weight matrix the WASM backend keeps in panels. */
export type PanelMatrix = Q8_0Matrix | Q4_0Matrix | BlockQuantMatrix;
export type PanelType = PanelMatrix["type"];

/** Rows per panel. */
export const PANEL_ROWS = 4;

/** The activation blocks a kernel reads (kernels/quant-activations.ts). */
export const enum ActivationKind {
  /** per 32: d (f16-rounded) and s = d·Σq */
  Q8_0 = 0,
  /** per 32: d (f16-rounded) and s = f16(d·Σq), as ggml's Q8_1 */
  Q8_1 = 1,
  /** per 256: d, and Σq per 16 and per 32 (i16) */
  Q8_K = 2,
}

interface Codec {
  /** The kernel's id for this format (kernels/quant32.ts, kernels/kquants.ts). */
  readonly kind: number;
  readonly activation: ActivationKind;
  /** Weights per block. */
  readonly blockSize: number;
  /** Bytes of one tile (one block of each of the panel's 4 rows). */
  readonly tileBytes: number;
  /** Bytes of one source block: ggml's, or [f32 d][quants] for Q8_0/Q4_0. */
  readonly sourceBytes: number;
  /** Writes the source block at src[s] as row r of the tile at t[at]. */
  pack(src: Uint8Array, s: number, t: Uint8Array, at: number, r: number): void;
  /** Writes row r of the tile at t[at] back as a source block at dst[d]. */
  unpack(t: Uint8Array, at: number, r: number, dst: Uint8Array, d: number): void;
}

// ─── field helpers ────────────────────────────────────────────────────────────

const f32Cell = new Float32Array(1);
const f32CellBytes = new Uint8Array(f32Cell.buffer);

/** Signed 16- and 32-bit little-endian fields. */
function putI16(t: Uint8Array, at: number, value: number): void {
  t[at] = value & 0xff;
  t[at + 1] = (value >> 8) & 0xff;
}
const getI16 = (t: Uint8Array, at: number) => ((t[at]! | (t[at + 1]! << 8)) << 16) >> 16;
function putI32(t: Uint8Array, at: number, value: number): void {
  for (let k = 0; k < 4; k++) t[at + k] = (value >> (8 * k)) & 0xff;
}
const getI32 = (t: Uint8Array, at: number) => t[at]! | (t[at + 1]! << 8) | (t[at + 2]! << 16) | (t[at + 3]! << 24);

function putF32(t: Uint8Array, at: number, value: number): void {
  f32Cell[0] = value;
  t.set(f32CellBytes, at);
}
function getF32(t: Uint8Array, at: number): number {
  f32CellBytes.set(t.subarray(at, at + 4));
  return f32Cell[0]!;
}
/** The f16 at src[s], widened, stored as row r of the f32[4] at t[at]. */
function packF16(src: Uint8Array, s: number, t: Uint8Array, at: number, r: number): void {
  putF32(t, at + 4 * r, f16ToF32(src[s]! | (src[s + 1]! << 8)));
}
function unpackF16(t: Uint8Array, at: number, r: number, dst: Uint8Array, d: number): void {
  const bits = f32ToF16(getF32(t, at + 4 * r));
  dst[d] = bits & 0xff;
  dst[d + 1] = bits >> 8;
}

/** 32 levels (0..15) → 16 bytes in u16-lane order at t[at]. */
function toLanes4(levels: ArrayLike<number>, t: Uint8Array, at: number): void {
  for (let i = 0; i < 8; i++) {
    t[at + 2 * i] = levels[i]! | (levels[8 + i]! << 4);
    t[at + 2 * i + 1] = levels[16 + i]! | (levels[24 + i]! << 4);
  }
}
function fromLanes4(t: Uint8Array, at: number, levels: Uint8Array): void {
  for (let i = 0; i < 8; i++) {
    levels[i] = t[at + 2 * i]! & 0xf;
    levels[8 + i] = t[at + 2 * i]! >> 4;
    levels[16 + i] = t[at + 2 * i + 1]! & 0xf;
    levels[24 + i] = t[at + 2 * i + 1]! >> 4;
  }
}
/** ggml's 16 nibble bytes (byte j: level j | level j+16 << 4) ↔ 32 levels. */
function fromGgmlNibbles(src: Uint8Array, s: number, levels: Uint8Array, lAt = 0): void {
  for (let j = 0; j < 16; j++) {
    levels[lAt + j] = src[s + j]! & 0xf;
    levels[lAt + j + 16] = src[s + j]! >> 4;
  }
}
function toGgmlNibbles(levels: ArrayLike<number>, dst: Uint8Array, d: number, lAt = 0): void {
  for (let j = 0; j < 16; j++) dst[d + j] = levels[lAt + j]! | (levels[lAt + j + 16]! << 4);
}
const u32At = (b: Uint8Array, i: number) => (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
function putU32(b: Uint8Array, i: number, v: number): void {
  for (let k = 0; k < 4; k++) b[i + k] = (v >>> (8 * k)) & 0xff;
}

const levels = new Uint8Array(256);

// ─── 32-weight formats ────────────────────────────────────────────────────────

const q8_0: Codec = {
  kind: 1, activation: ActivationKind.Q8_0, blockSize: 32, tileBytes: 144, sourceBytes: 36,
  pack(src, s, t, at, r) {
    t.set(src.subarray(s, s + 4), at + 4 * r);
    t.set(src.subarray(s + 4, s + 36), at + 16 + 32 * r);
  },
  unpack(t, at, r, dst, d) {
    dst.set(t.subarray(at + 4 * r, at + 4 * r + 4), d);
    dst.set(t.subarray(at + 16 + 32 * r, at + 48 + 32 * r), d + 4);
  },
};

const q4_0: Codec = {
  kind: 2, activation: ActivationKind.Q8_0, blockSize: 32, tileBytes: 80, sourceBytes: 20,
  pack(src, s, t, at, r) {
    t.set(src.subarray(s, s + 4), at + 4 * r);
    fromGgmlNibbles(src, s + 4, levels);
    toLanes4(levels, t, at + 16 + 16 * r);
  },
  unpack(t, at, r, dst, d) {
    dst.set(t.subarray(at + 4 * r, at + 4 * r + 4), d);
    fromLanes4(t, at + 16 + 16 * r, levels);
    toGgmlNibbles(levels, dst, d + 4);
  },
};

const q4_1: Codec = {
  kind: 3, activation: ActivationKind.Q8_1, blockSize: 32, tileBytes: 96, sourceBytes: 20,
  pack(src, s, t, at, r) {
    packF16(src, s, t, at, r);
    packF16(src, s + 2, t, at + 16, r);
    fromGgmlNibbles(src, s + 4, levels);
    toLanes4(levels, t, at + 32 + 16 * r);
  },
  unpack(t, at, r, dst, d) {
    unpackF16(t, at, r, dst, d);
    unpackF16(t, at + 16, r, dst, d + 2);
    fromLanes4(t, at + 32 + 16 * r, levels);
    toGgmlNibbles(levels, dst, d + 4);
  },
};

/** Q5_0/Q5_1 levels of a block: nibbles at src[q], 5th bits in the u32 at src[h]. */
function q5Levels(src: Uint8Array, q: number, h: number): void {
  fromGgmlNibbles(src, q, levels);
  const qh = u32At(src, h);
  for (let j = 0; j < 32; j++) levels[j] = levels[j]! | (((qh >>> j) & 1) << 4);
}
function q5Store(dst: Uint8Array, q: number, h: number): void {
  let qh = 0;
  for (let j = 0; j < 32; j++) qh |= (levels[j]! >> 4) << j;
  putU32(dst, h, qh >>> 0);
  for (let j = 0; j < 32; j++) levels[j] = levels[j]! & 0xf;
  toGgmlNibbles(levels, dst, q);
}

const q5_0: Codec = {
  kind: 4, activation: ActivationKind.Q8_0, blockSize: 32, tileBytes: 144, sourceBytes: 22,
  pack(src, s, t, at, r) {
    packF16(src, s, t, at, r);
    q5Levels(src, s + 6, s + 2);
    for (let j = 0; j < 32; j++) t[at + 16 + 32 * r + j] = (levels[j]! - 16) & 0xff;
  },
  unpack(t, at, r, dst, d) {
    unpackF16(t, at, r, dst, d);
    for (let j = 0; j < 32; j++) levels[j] = (t[at + 16 + 32 * r + j]! + 16) & 0xff;
    q5Store(dst, d + 6, d + 2);
  },
};

const q5_1: Codec = {
  kind: 5, activation: ActivationKind.Q8_1, blockSize: 32, tileBytes: 160, sourceBytes: 24,
  pack(src, s, t, at, r) {
    packF16(src, s, t, at, r);
    packF16(src, s + 2, t, at + 16, r);
    q5Levels(src, s + 8, s + 4);
    t.set(levels.subarray(0, 32), at + 32 + 32 * r);
  },
  unpack(t, at, r, dst, d) {
    unpackF16(t, at, r, dst, d);
    unpackF16(t, at + 16, r, dst, d + 2);
    levels.set(t.subarray(at + 32 + 32 * r, at + 64 + 32 * r));
    q5Store(dst, d + 8, d + 4);
  },
};

const iq4_nl: Codec = {
  kind: 6, activation: ActivationKind.Q8_0, blockSize: 32, tileBytes: 80, sourceBytes: 18,
  pack(src, s, t, at, r) {
    packF16(src, s, t, at, r);
    t.set(src.subarray(s + 2, s + 18), at + 16 + 16 * r);
  },
  unpack(t, at, r, dst, d) {
    unpackF16(t, at, r, dst, d);
    dst.set(t.subarray(at + 16 + 16 * r, at + 32 + 16 * r), d + 2);
  },
};

// ─── K-quants ─────────────────────────────────────────────────────────────────

/** The 2-bit levels of a Q2_K/Q3_K block (qs[64] at src[q]): element 128n + 32j + l is bits 2j of qs[32n + l]. */
function low2Levels(src: Uint8Array, q: number): void {
  for (let e = 0; e < 256; e++) levels[e] = (src[q + 32 * (e >> 7) + (e & 31)]! >> (2 * ((e >> 5) & 3))) & 3;
}
function storeLow2(dst: Uint8Array, q: number): void {
  dst.fill(0, q, q + 64);
  for (let e = 0; e < 256; e++) dst[q + 32 * (e >> 7) + (e & 31)] = dst[q + 32 * (e >> 7) + (e & 31)]! | ((levels[e]! & 3) << (2 * ((e >> 5) & 3)));
}

const q2_k: Codec = {
  kind: 10, activation: ActivationKind.Q8_K, blockSize: QK_K, tileBytes: 480, sourceBytes: 84,
  pack(src, s, t, at, r) {
    packF16(src, s + 80, t, at, r);
    packF16(src, s + 82, t, at + 16, r);
    for (let j = 0; j < 16; j++) {
      putI16(t, at + 32 + 32 * r + 2 * j, src[s + j]! & 0xf);
      t[at + 160 + 16 * r + j] = src[s + j]! >> 4;
    }
    low2Levels(src, s + 16);
    // Group G of 64 weights, lane i (bytes 2i, 2i+1): bits 2g = level of element 64G + 8g + i.
    for (let G = 0; G < 4; G++) {
      const o = at + 224 + (4 * G + r) * 16;
      for (let i = 0; i < 8; i++) {
        let lane = 0;
        for (let g = 0; g < 8; g++) lane |= levels[64 * G + 8 * g + i]! << (2 * g);
        t[o + 2 * i] = lane & 0xff;
        t[o + 2 * i + 1] = lane >> 8;
      }
    }
  },
  unpack(t, at, r, dst, d) {
    unpackF16(t, at, r, dst, d + 80);
    unpackF16(t, at + 16, r, dst, d + 82);
    for (let j = 0; j < 16; j++) dst[d + j] = getI16(t, at + 32 + 32 * r + 2 * j) | (t[at + 160 + 16 * r + j]! << 4);
    for (let G = 0; G < 4; G++) {
      const o = at + 224 + (4 * G + r) * 16;
      for (let i = 0; i < 8; i++) {
        const lane = t[o + 2 * i]! | (t[o + 2 * i + 1]! << 8);
        for (let g = 0; g < 8; g++) levels[64 * G + 8 * g + i] = (lane >> (2 * g)) & 3;
      }
    }
    storeLow2(dst, d + 16);
  },
};

const q3_k: Codec = {
  kind: 11, activation: ActivationKind.Q8_K, blockSize: QK_K, tileBytes: 656, sourceBytes: 110,
  pack(src, s, t, at, r) {
    packF16(src, s + 108, t, at, r);
    for (let j = 0; j < 16; j++) {
      const low = j < 8 ? src[s + 96 + j]! & 0xf : src[s + 96 + j - 8]! >> 4;
      const high = (src[s + 104 + (j % 4)]! >> (2 * (j >> 2))) & 3;
      putI16(t, at + 16 + 32 * r + 2 * j, (low | (high << 4)) - 32);
    }
    low2Levels(src, s + 32);
    // level + 4 = low 2 bits + 4 × the hmask bit (bit ⌊e/32⌋ of hmask[e mod 32]).
    for (let e = 0; e < 256; e++) levels[e] = levels[e]! + 4 * ((src[s + (e & 31)]! >> (e >> 5)) & 1);
    for (let g = 0; g < 8; g++) toLanes4(levels.subarray(32 * g), t, at + 144 + (4 * g + r) * 16);
  },
  unpack(t, at, r, dst, d) {
    unpackF16(t, at, r, dst, d + 108);
    dst.fill(0, d + 96, d + 108);
    for (let j = 0; j < 16; j++) {
      const v = (getI16(t, at + 16 + 32 * r + 2 * j) + 32) & 63;
      if (j < 8) dst[d + 96 + j] = dst[d + 96 + j]! | (v & 0xf);
      else dst[d + 96 + j - 8] = dst[d + 96 + j - 8]! | ((v & 0xf) << 4);
      dst[d + 104 + (j % 4)] = dst[d + 104 + (j % 4)]! | ((v >> 4) << (2 * (j >> 2)));
    }
    for (let g = 0; g < 8; g++) fromLanes4(t, at + 144 + (4 * g + r) * 16, levels.subarray(32 * g));
    dst.fill(0, d, d + 32);
    for (let e = 0; e < 256; e++) if (levels[e]! >= 4) dst[d + (e & 31)] = dst[d + (e & 31)]! | (1 << (e >> 5));
    storeLow2(dst, d + 32);
  },
};

/** Q4_K/Q5_K: d, dmin and the 6-bit scales and mins (ggml's 12 bytes at src[s + 4]) into the tile. */
function packKScales(src: Uint8Array, s: number, t: Uint8Array, at: number, r: number): void {
  packF16(src, s, t, at, r);
  packF16(src, s + 2, t, at + 16, r);
  const q = s + 4;
  for (let j = 0; j < 8; j++) {
    putI16(t, at + 32 + 16 * r + 2 * j, j < 4 ? src[q + j]! & 63 : (src[q + j + 4]! & 0xf) | ((src[q + j - 4]! >> 6) << 4));
    t[at + 96 + 8 * r + j] = j < 4 ? src[q + j + 4]! & 63 : (src[q + j + 4]! >> 4) | ((src[q + j]! >> 6) << 4);
  }
}
function unpackKScales(t: Uint8Array, at: number, r: number, dst: Uint8Array, d: number): void {
  unpackF16(t, at, r, dst, d);
  unpackF16(t, at + 16, r, dst, d + 2);
  const q = d + 4;
  for (let j = 0; j < 8; j++) {
    const sc = getI16(t, at + 32 + 16 * r + 2 * j);
    const m = t[at + 96 + 8 * r + j]!;
    if (j < 4) {
      dst[q + j] = sc;
      dst[q + j + 4] = m;
    } else {
      dst[q + j + 4] = (sc & 0xf) | ((m & 0xf) << 4);
      dst[q + j - 4] = dst[q + j - 4]! | ((sc >> 4) << 6);
      dst[q + j] = dst[q + j]! | ((m >> 4) << 6);
    }
  }
}

const q4_k: Codec = {
  kind: 12, activation: ActivationKind.Q8_K, blockSize: QK_K, tileBytes: 640, sourceBytes: 144,
  pack(src, s, t, at, r) {
    packKScales(src, s, t, at, r);
    // Chunk c of 64: qs[32c + l] low nibble = element 64c + l, high = 64c + 32 + l.
    for (let c = 0; c < 4; c++) {
      for (let l = 0; l < 32; l++) {
        levels[64 * c + l] = src[s + 16 + 32 * c + l]! & 0xf;
        levels[64 * c + 32 + l] = src[s + 16 + 32 * c + l]! >> 4;
      }
    }
    for (let g = 0; g < 8; g++) toLanes4(levels.subarray(32 * g), t, at + 128 + (4 * g + r) * 16);
  },
  unpack(t, at, r, dst, d) {
    unpackKScales(t, at, r, dst, d);
    for (let g = 0; g < 8; g++) fromLanes4(t, at + 128 + (4 * g + r) * 16, levels.subarray(32 * g));
    for (let c = 0; c < 4; c++) for (let l = 0; l < 32; l++) dst[d + 16 + 32 * c + l] = levels[64 * c + l]! | (levels[64 * c + 32 + l]! << 4);
  },
};

const q5_k: Codec = {
  kind: 13, activation: ActivationKind.Q8_K, blockSize: QK_K, tileBytes: 1152, sourceBytes: 176,
  pack(src, s, t, at, r) {
    packKScales(src, s, t, at, r);
    for (let c = 0; c < 4; c++) {
      for (let l = 0; l < 32; l++) {
        const byte = src[s + 48 + 32 * c + l]!;
        const h = src[s + 16 + l]!;
        levels[64 * c + l] = (byte & 0xf) | (((h >> (2 * c)) & 1) << 4);
        levels[64 * c + 32 + l] = (byte >> 4) | (((h >> (2 * c + 1)) & 1) << 4);
      }
    }
    for (let g = 0; g < 8; g++) t.set(levels.subarray(32 * g, 32 * g + 32), at + 128 + (4 * g + r) * 32);
  },
  unpack(t, at, r, dst, d) {
    unpackKScales(t, at, r, dst, d);
    for (let g = 0; g < 8; g++) levels.set(t.subarray(at + 128 + (4 * g + r) * 32, at + 160 + (4 * g + r) * 32), 32 * g);
    dst.fill(0, d + 16, d + 48);
    for (let c = 0; c < 4; c++) {
      for (let l = 0; l < 32; l++) {
        const q1 = levels[64 * c + l]!;
        const q2 = levels[64 * c + 32 + l]!;
        dst[d + 48 + 32 * c + l] = (q1 & 0xf) | ((q2 & 0xf) << 4);
        dst[d + 16 + l] = dst[d + 16 + l]! | ((q1 >> 4) << (2 * c)) | ((q2 >> 4) << (2 * c + 1));
      }
    }
  },
};

const q6_k: Codec = {
  kind: 14, activation: ActivationKind.Q8_K, blockSize: QK_K, tileBytes: 1168, sourceBytes: 210,
  pack(src, s, t, at, r) {
    packF16(src, s + 208, t, at, r);
    for (let j = 0; j < 16; j++) putI16(t, at + 16 + 32 * r + 2 * j, (src[s + 192 + j]! << 24) >> 24);
    for (let n = 0; n < 2; n++) {
      for (let l = 0; l < 32; l++) {
        const ql = s + 64 * n + l;
        const h = src[s + 128 + 32 * n + l]!;
        levels[128 * n + l] = (src[ql]! & 0xf) | ((h & 3) << 4);
        levels[128 * n + l + 32] = (src[ql + 32]! & 0xf) | (((h >> 2) & 3) << 4);
        levels[128 * n + l + 64] = (src[ql]! >> 4) | (((h >> 4) & 3) << 4);
        levels[128 * n + l + 96] = (src[ql + 32]! >> 4) | (((h >> 6) & 3) << 4);
      }
    }
    for (let g = 0; g < 8; g++) {
      const o = at + 144 + (4 * g + r) * 32;
      for (let j = 0; j < 32; j++) t[o + j] = (levels[32 * g + j]! - 32) & 0xff;
    }
  },
  unpack(t, at, r, dst, d) {
    unpackF16(t, at, r, dst, d + 208);
    for (let j = 0; j < 16; j++) dst[d + 192 + j] = getI16(t, at + 16 + 32 * r + 2 * j) & 0xff;
    for (let g = 0; g < 8; g++) {
      const o = at + 144 + (4 * g + r) * 32;
      for (let j = 0; j < 32; j++) levels[32 * g + j] = (t[o + j]! + 32) & 63;
    }
    for (let n = 0; n < 2; n++) {
      for (let l = 0; l < 32; l++) {
        const e = 128 * n + l;
        const [q1, q2, q3, q4] = [levels[e]!, levels[e + 32]!, levels[e + 64]!, levels[e + 96]!];
        dst[d + 64 * n + l] = (q1 & 0xf) | ((q3 & 0xf) << 4);
        dst[d + 64 * n + 32 + l] = (q2 & 0xf) | ((q4 & 0xf) << 4);
        dst[d + 128 + 32 * n + l] = (q1 >> 4) | ((q2 >> 4) << 2) | ((q3 >> 4) << 4) | ((q4 >> 4) << 6);
      }
    }
  },
};

const iq4_xs: Codec = {
  kind: 15, activation: ActivationKind.Q8_K, blockSize: QK_K, tileBytes: 656, sourceBytes: 136,
  pack(src, s, t, at, r) {
    packF16(src, s, t, at, r);
    const high = src[s + 2]! | (src[s + 3]! << 8);
    for (let ib = 0; ib < 8; ib++) {
      const ls = ((src[s + 4 + (ib >> 1)]! >> (4 * (ib % 2))) & 0xf) | (((high >> (2 * ib)) & 3) << 4);
      putI32(t, at + 16 + 32 * r + 4 * ib, ls - 32);
      t.set(src.subarray(s + 8 + 16 * ib, s + 24 + 16 * ib), at + 144 + (4 * ib + r) * 16);
    }
  },
  unpack(t, at, r, dst, d) {
    unpackF16(t, at, r, dst, d);
    let high = 0;
    dst.fill(0, d + 4, d + 8);
    for (let ib = 0; ib < 8; ib++) {
      const ls = (getI32(t, at + 16 + 32 * r + 4 * ib) + 32) & 63;
      dst[d + 4 + (ib >> 1)] = dst[d + 4 + (ib >> 1)]! | ((ls & 0xf) << (4 * (ib % 2)));
      high |= (ls >> 4) << (2 * ib);
      dst.set(t.subarray(at + 144 + (4 * ib + r) * 16, at + 160 + (4 * ib + r) * 16), d + 8 + 16 * ib);
    }
    dst[d + 2] = high & 0xff;
    dst[d + 3] = high >> 8;
  },
};

const CODECS: Readonly<Record<PanelType, Codec>> = { q8_0, q4_0, q4_1, q5_0, q5_1, iq4_nl, q2_k, q3_k, q4_k, q5_k, q6_k, iq4_xs };

export function isPanelType(type: string): type is PanelType {
  return Object.hasOwn(CODECS, type);
}

/** The kernel id and activation blocks of a panel type. */
export function panelKernel(type: PanelType): { kind: number; activation: ActivationKind; blockSize: number } {
  const { kind, activation, blockSize } = CODECS[type];
  return { kind, activation, blockSize };
}

/** Bytes a [rows, cols] matrix takes as panels. */
export function panelBytes(type: PanelType, rows: number, cols: number): number {
  const c = CODECS[type];
  return Math.ceil(rows / PANEL_ROWS) * (cols / c.blockSize) * c.tileBytes;
}

/** The matrix's blocks as source blocks: ggml's bytes, or [f32 d][quants] per block for Q8_0/Q4_0. */
function sourceBlocks(m: PanelMatrix): Uint8Array {
  if (m.type !== "q8_0" && m.type !== "q4_0") {
    const blocks = m.blocks; // read once: a backend's matrix may rebuild it per access
    const expected = m.rows * (m.cols / BLOCK_FORMATS[m.type].blockSize) * BLOCK_FORMATS[m.type].blockBytes;
    if (m.cols % BLOCK_FORMATS[m.type].blockSize !== 0 || blocks.length !== expected) {
      throw new RangeError(`${m.type} matrix ${m.rows}×${m.cols} has ${blocks.length} bytes of blocks, needs ${expected}`);
    }
    return blocks;
  }
  const { quants, scales } = m;
  const q = m.type === "q8_0" ? QUANT_BLOCK : QUANT_BLOCK / 2;
  const count = (m.rows * m.cols) / QUANT_BLOCK;
  if (m.cols % QUANT_BLOCK !== 0 || scales.length !== count || quants.length !== count * q) {
    throw new RangeError(`${m.type} matrix ${m.rows}×${m.cols} has ${quants.length} quant bytes and ${scales.length} scales, needs ${count * q} and ${count}`);
  }
  const bytes = new Uint8Array(count * (4 + q));
  const scaleBytes = new Uint8Array(scales.buffer, scales.byteOffset, scales.byteLength);
  const quantBytes = new Uint8Array(quants.buffer, quants.byteOffset, quants.byteLength);
  for (let b = 0; b < count; b++) {
    bytes.set(scaleBytes.subarray(4 * b, 4 * b + 4), b * (4 + q));
    bytes.set(quantBytes.subarray(b * q, b * q + q), b * (4 + q) + 4);
  }
  return bytes;
}

/** Writes `m` as panels at byte `at` of `buffer` (panelBytes long; padding rows are zeroed). */
export function packPanels(buffer: ArrayBufferLike, at: number, m: PanelMatrix): void {
  const c = CODECS[m.type];
  const src = sourceBlocks(m);
  const perRow = m.cols / c.blockSize;
  const out = new Uint8Array(buffer, at, panelBytes(m.type, m.rows, m.cols));
  out.fill(0);
  for (let row = 0; row < m.rows; row++) {
    const panel = Math.floor(row / PANEL_ROWS);
    for (let b = 0; b < perRow; b++) {
      c.pack(src, (row * perRow + b) * c.sourceBytes, out, (panel * perRow + b) * c.tileBytes, row % PANEL_ROWS);
    }
  }
}

/** The matrix (new arrays) held as panels at byte `at` of `buffer`. */
export function unpackPanels(buffer: ArrayBufferLike, at: number, type: PanelType, rows: number, cols: number): PanelMatrix {
  const c = CODECS[type];
  const perRow = cols / c.blockSize;
  const tiles = new Uint8Array(buffer, at, panelBytes(type, rows, cols));
  const src = new Uint8Array(rows * perRow * c.sourceBytes);
  for (let row = 0; row < rows; row++) {
    const panel = Math.floor(row / PANEL_ROWS);
    for (let b = 0; b < perRow; b++) {
      c.unpack(tiles, (panel * perRow + b) * c.tileBytes, row % PANEL_ROWS, src, (row * perRow + b) * c.sourceBytes);
    }
  }
  if (type !== "q8_0" && type !== "q4_0") return blockQuantMatrix(type, src, rows, cols);
  const q = type === "q8_0" ? QUANT_BLOCK : QUANT_BLOCK / 2;
  const count = (rows * cols) / QUANT_BLOCK;
  const scales = new Float32Array(count);
  const quants = new Uint8Array(count * q);
  for (let b = 0; b < count; b++) {
    scales[b] = getF32(src, b * (4 + q));
    quants.set(src.subarray(b * (4 + q) + 4, (b + 1) * (4 + q)), b * q);
  }
  return type === "q8_0" ? { type, quants: new Int8Array(quants.buffer), scales, rows, cols } : { type, quants, scales, rows, cols };
}
