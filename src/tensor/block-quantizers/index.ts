// Quantization of an f32 matrix into one of ggml's block formats (block-formats.ts),
// block by block with the reference quantizer of the format (no importance matrix),
// as llama-quantize's ggml_quantize_chunk does: the bytes are ggml's.

import { BLOCK_FORMATS, type BlockQuantType } from "../block-formats.js";
import { blockQuantMatrix, type BlockQuantMatrix } from "../weights.js";
import { quantizeBlockIQ4_NL, quantizeBlockIQ4_XS } from "./iq4.js";
import { quantizeBlockQ2_K, quantizeBlockQ3_K, quantizeBlockQ4_K, quantizeBlockQ5_K, quantizeBlockQ6_K } from "./k-quants.js";
import { quantizeBlockQ4_1, quantizeBlockQ5_0, quantizeBlockQ5_1 } from "./q32.js";

/** Writes the block of x[at .. at + blockSize) at out[o ..]. */
type BlockQuantizer = (x: Float32Array, at: number, out: Uint8Array, o: number) => void;

const quantizers: Record<BlockQuantType, BlockQuantizer> = {
  q4_1: quantizeBlockQ4_1,
  q5_0: quantizeBlockQ5_0,
  q5_1: quantizeBlockQ5_1,
  q2_k: quantizeBlockQ2_K,
  q3_k: quantizeBlockQ3_K,
  q4_k: quantizeBlockQ4_K,
  q5_k: quantizeBlockQ5_K,
  q6_k: quantizeBlockQ6_K,
  iq4_nl: quantizeBlockIQ4_NL,
  iq4_xs: quantizeBlockIQ4_XS,
};

/** Quantizes row-major [rows, cols] f32 values (finite; cols a multiple of the block size) to `type`. */
export function quantizeBlocks(type: BlockQuantType, data: Float32Array, rows: number, cols: number): BlockQuantMatrix {
  const { blockSize, blockBytes, ggmlName } = BLOCK_FORMATS[type];
  if (data.length !== rows * cols) throw new RangeError(`cannot quantize ${data.length} values as a ${rows}×${cols} matrix`);
  if (cols % blockSize !== 0) {
    throw new RangeError(`cannot quantize a ${rows}×${cols} matrix to ${ggmlName}: the row length ${cols} is not a multiple of the block size ${blockSize}`);
  }
  const blocks = new Uint8Array((data.length / blockSize) * blockBytes);
  const quantize = quantizers[type];
  for (let at = 0, o = 0; at < data.length; at += blockSize, o += blockBytes) quantize(data, at, blocks, o);
  return blockQuantMatrix(type, blocks, rows, cols);
}
