// ggml's block-quantized formats beyond Q8_0/Q4_0 (ggml-common.h, `block_q4_1` …
// `block_iq4_xs`): how many weights a block holds, its size in bytes, where its f16
// scales lie, and which 8-bit form ggml's CPU matmul quantizes the activations to
// before it takes integer dot products with it (`vec_dot_type` in ggml-cpu.c):
//   32-weight blocks:  Q4_1, Q5_1 → Q8_1;  Q5_0, IQ4_NL → Q8_0
//   256-weight blocks: Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_XS → Q8_K
// The byte layout of each block is spelled out where it is decoded
// (block-dequantize.ts) and encoded (block-quantizers/*.ts).

/** The block formats stored as ggml's bytes (BlockQuantMatrix), by lmscope's lower-case names. */
export type BlockQuantType = "q4_1" | "q5_0" | "q5_1" | "q2_k" | "q3_k" | "q4_k" | "q5_k" | "q6_k" | "iq4_nl" | "iq4_xs";

/** The 8-bit activation blocks ggml pairs with a weight format. */
export type ActivationFormat = "q8_0" | "q8_1" | "q8_k";

export interface BlockFormat {
  /** ggml's name (GGUF files, llama.cpp logs). */
  readonly ggmlName: string;
  /** ggml_type id in GGUF tensor infos. */
  readonly ggmlId: number;
  /** Weights per block: every row length must be a multiple of it. */
  readonly blockSize: number;
  /** Bytes per block. */
  readonly blockBytes: number;
  /** Byte offsets of the block's f16 scales (d, and dmin or m where the format has one). */
  readonly f16Scales: readonly number[];
  readonly activation: ActivationFormat;
}

/** Elements of a K-quant super-block (ggml QK_K). */
export const QK_K = 256;

export const BLOCK_FORMATS: Readonly<Record<BlockQuantType, BlockFormat>> = {
  q4_1: { ggmlName: "Q4_1", ggmlId: 3, blockSize: 32, blockBytes: 20, f16Scales: [0, 2], activation: "q8_1" },
  q5_0: { ggmlName: "Q5_0", ggmlId: 6, blockSize: 32, blockBytes: 22, f16Scales: [0], activation: "q8_0" },
  q5_1: { ggmlName: "Q5_1", ggmlId: 7, blockSize: 32, blockBytes: 24, f16Scales: [0, 2], activation: "q8_1" },
  q2_k: { ggmlName: "Q2_K", ggmlId: 10, blockSize: QK_K, blockBytes: 84, f16Scales: [80, 82], activation: "q8_k" },
  q3_k: { ggmlName: "Q3_K", ggmlId: 11, blockSize: QK_K, blockBytes: 110, f16Scales: [108], activation: "q8_k" },
  q4_k: { ggmlName: "Q4_K", ggmlId: 12, blockSize: QK_K, blockBytes: 144, f16Scales: [0, 2], activation: "q8_k" },
  q5_k: { ggmlName: "Q5_K", ggmlId: 13, blockSize: QK_K, blockBytes: 176, f16Scales: [0, 2], activation: "q8_k" },
  q6_k: { ggmlName: "Q6_K", ggmlId: 14, blockSize: QK_K, blockBytes: 210, f16Scales: [208], activation: "q8_k" },
  iq4_nl: { ggmlName: "IQ4_NL", ggmlId: 20, blockSize: 32, blockBytes: 18, f16Scales: [0], activation: "q8_0" },
  iq4_xs: { ggmlName: "IQ4_XS", ggmlId: 23, blockSize: QK_K, blockBytes: 136, f16Scales: [0], activation: "q8_k" },
};

export const BLOCK_QUANT_TYPES = Object.keys(BLOCK_FORMATS) as readonly BlockQuantType[];

export function isBlockQuantType(type: string): type is BlockQuantType {
  return Object.hasOwn(BLOCK_FORMATS, type);
}

/**
 * The 16 values a 4-bit index selects in IQ4_NL and IQ4_XS (ggml `kvalues_iq4nl`): a
 * non-uniform grid, denser near zero, that fits normally distributed weights better
 * than Q4_0's evenly spaced levels.
 */
export const IQ4_VALUES: Readonly<Int8Array> = Int8Array.of(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113);

/** Bytes of a row of `cols` weights in `type` (cols must be a multiple of the block size). */
export function blockRowBytes(type: BlockQuantType, cols: number): number {
  const f = BLOCK_FORMATS[type];
  return (cols / f.blockSize) * f.blockBytes;
}
