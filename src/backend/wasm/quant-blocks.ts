// How the WASM backend lays out Q8_0 and Q4_0 weights in its memory: every block
// of 32 weights as its f32 scale followed by its quants (Q8_0: 32 int8, 36 bytes a
// block; Q4_0: 16 bytes of nibbles, 20 bytes a block), a row's blocks one after
// the other. The kernels (kernels/quantized.ts) then read one stream per row. The
// tensor layer's Q8_0Matrix / Q4_0Matrix keep quants and scales as two arrays;
// these functions convert between the two.

import type { Q4_0Matrix, Q8_0Matrix } from "../../tensor/weights.js";
import { QUANT_BLOCK } from "../../tensor/weights.js";

type QuantMatrix = Q8_0Matrix | Q4_0Matrix;

/** Bytes of quants in one block of 32 weights. */
function quantBytes(type: QuantMatrix["type"]): number {
  return type === "q8_0" ? QUANT_BLOCK : QUANT_BLOCK / 2;
}

/** Bytes of one block in the backend's layout (scale + quants). */
export function quantBlockBytes(type: QuantMatrix["type"]): number {
  return 4 + quantBytes(type);
}

/** Bytes the whole matrix takes in the backend's layout. */
export function quantMatrixBytes(m: QuantMatrix): number {
  return ((m.rows * m.cols) / QUANT_BLOCK) * quantBlockBytes(m.type);
}

/** Writes `m` as scale + quants blocks at byte `at` of `buffer`. */
export function writeQuantBlocks(buffer: ArrayBufferLike, at: number, m: QuantMatrix): void {
  const blocks = (m.rows * m.cols) / QUANT_BLOCK;
  const q = quantBytes(m.type);
  if (m.scales.length !== blocks || m.quants.length !== blocks * q) {
    throw new RangeError(
      `${m.type} matrix ${m.rows}×${m.cols} has ${m.quants.length} quant bytes and ${m.scales.length} scales, needs ${blocks * q} and ${blocks}`,
    );
  }
  const step = 4 + q;
  const bytes = new Uint8Array(buffer, at, blocks * step);
  const scales = new Float32Array(buffer, at, (blocks * step) / 4); // at is 4-aligned; block starts are multiples of 4
  const quants = new Uint8Array(m.quants.buffer, m.quants.byteOffset, m.quants.byteLength);
  const scaleStride = step / 4;
  for (let b = 0; b < blocks; b++) {
    scales[b * scaleStride] = m.scales[b]!;
    const from = b * q;
    const to = b * step + 4;
    for (let t = 0; t < q; t++) bytes[to + t] = quants[from + t]!;
  }
}

/** The quants and scales (new arrays) of a matrix written by writeQuantBlocks. */
export function readQuantBlocks(
  buffer: ArrayBufferLike,
  at: number,
  type: QuantMatrix["type"],
  rows: number,
  cols: number,
): { quants: Uint8Array; scales: Float32Array } {
  const blocks = (rows * cols) / QUANT_BLOCK;
  const q = quantBytes(type);
  const step = 4 + q;
  const bytes = new Uint8Array(buffer, at, blocks * step);
  const placedScales = new Float32Array(buffer, at, (blocks * step) / 4);
  const quants = new Uint8Array(blocks * q);
  const scales = new Float32Array(blocks);
  for (let b = 0; b < blocks; b++) {
    scales[b] = placedScales[(b * step) / 4]!;
    quants.set(bytes.subarray(b * step + 4, b * step + step), b * q);
  }
  return { quants, scales };
}
