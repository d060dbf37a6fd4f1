// Block quantization of weight matrices into llama.cpp's Q8_0 and Q4_0 storage types
// (ggml's other block formats: block-quantizers/), following ggml's reference quantizers (ggml-quants.c `quantize_row_q8_0_ref`,
// `quantize_row_q4_0_ref`), computed in float32 step by step as the C code does:
//   Q8_0: d = amax / 127, id = 1/d, q = roundf(x · id)            (roundf: half away from zero)
//   Q4_0: max = the value of largest magnitude (signed), d = max / −8, id = 1/d,
//         q = min(15, (int8)(x · id + 8.5))                        (truncation toward zero)
// The scale d is stored as f16 in GGUF files, so it is rounded to f16 here (as
// GGML_FP32_TO_FP16 does) and a file round trip is exact; like ggml, the quants are
// computed with the unrounded d.

import { dequantizeBlocks } from "./block-dequantize.js";
import type { BlockQuantType } from "./block-formats.js";
import { quantizeBlocks } from "./block-quantizers/index.js";
import { f16Table, roundToF16 } from "./dtype.js";
import { QUANT_BLOCK, f32Matrix, type Q4_0Matrix, type Q8_0Matrix, type WeightMatrix } from "./weights.js";

const HALF_BLOCK = QUANT_BLOCK / 2;
const f32 = Math.fround;

function checkShape(data: Float32Array, rows: number, cols: number, type: string): void {
  if (!Number.isSafeInteger(rows) || !Number.isSafeInteger(cols) || rows < 0 || cols < 0 || data.length !== rows * cols) {
    throw new RangeError(`cannot quantize ${data.length} values as a ${rows}×${cols} matrix`);
  }
  if (cols % QUANT_BLOCK !== 0) {
    throw new RangeError(`cannot quantize a ${rows}×${cols} matrix to ${type}: the row length ${cols} is not a multiple of the block size ${QUANT_BLOCK}`);
  }
}

/** round-half-away-from-zero, as C `roundf`. */
function roundHalfAway(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

/** Quantize a row-major [rows, cols] f32 matrix to Q8_0 (cols must be a multiple of 32). */
export function quantizeQ8_0(data: Float32Array, rows: number, cols: number): Q8_0Matrix {
  checkShape(data, rows, cols, "q8_0");
  const blocks = data.length / QUANT_BLOCK;
  const quants = new Int8Array(data.length);
  const scales = new Float32Array(blocks);
  for (let b = 0; b < blocks; b++) {
    const start = b * QUANT_BLOCK;
    let amax = 0;
    for (let j = 0; j < QUANT_BLOCK; j++) amax = Math.max(amax, Math.abs(data[start + j]!));
    const d = f32(amax / 127);
    const id = d !== 0 ? f32(1 / d) : 0;
    scales[b] = roundToF16(d);
    for (let j = 0; j < QUANT_BLOCK; j++) quants[start + j] = roundHalfAway(f32(data[start + j]! * id));
  }
  return { type: "q8_0", quants, scales, rows, cols };
}

/** Quantize a row-major [rows, cols] f32 matrix to Q4_0 (cols must be a multiple of 32). */
export function quantizeQ4_0(data: Float32Array, rows: number, cols: number): Q4_0Matrix {
  checkShape(data, rows, cols, "q4_0");
  const blocks = data.length / QUANT_BLOCK;
  const quants = new Uint8Array(data.length / 2);
  const scales = new Float32Array(blocks);
  const nibble = (x: number, id: number) => Math.min(15, Math.trunc(f32(f32(x * id) + 8.5)));
  for (let b = 0; b < blocks; b++) {
    const start = b * QUANT_BLOCK;
    let amax = 0;
    let max = 0;
    for (let j = 0; j < QUANT_BLOCK; j++) {
      const v = data[start + j]!;
      if (amax < Math.abs(v)) {
        amax = Math.abs(v);
        max = v;
      }
    }
    const d = f32(max / -8);
    const id = d !== 0 ? f32(1 / d) : 0;
    scales[b] = roundToF16(d);
    const out = b * HALF_BLOCK;
    for (let j = 0; j < HALF_BLOCK; j++) {
      quants[out + j] = nibble(data[start + j]!, id) | (nibble(data[start + HALF_BLOCK + j]!, id) << 4);
    }
  }
  return { type: "q4_0", quants, scales, rows, cols };
}

/** The f32 values a weight matrix stands for (a copy for f32 matrices), row-major [rows, cols]. */
export function dequantize(m: WeightMatrix): Float32Array {
  switch (m.type) {
    case "f32":
      return m.data.slice();
    case "f32_columns": {
      // Columns of a Conv1D weight [cols, stride]: row r of the matrix is stored column firstColumn + r.
      const out = new Float32Array(m.rows * m.cols);
      for (let r = 0; r < m.rows; r++) {
        for (let c = 0; c < m.cols; c++) out[r * m.cols + c] = m.data[c * m.stride + m.firstColumn + r]!;
      }
      return out;
    }
    case "f16": {
      const table = f16Table();
      const data = m.data;
      const out = new Float32Array(data.length);
      for (let i = 0; i < data.length; i++) out[i] = table[data[i]!]!;
      return out;
    }
    case "bf16": {
      const out = new Float32Array(m.data.length);
      const bits = new Uint32Array(out.buffer);
      const data = m.data;
      for (let i = 0; i < data.length; i++) bits[i] = data[i]! << 16;
      return out;
    }
    case "q8_0": {
      // quants and scales are read once: a backend may hand out matrices whose
      // arrays are rebuilt on each access (src/backend/wasm/quant-matrices.ts).
      const { quants, scales } = m;
      const out = new Float32Array(m.rows * m.cols);
      for (let i = 0; i < out.length; i++) out[i] = quants[i]! * scales[(i / QUANT_BLOCK) | 0]!;
      return out;
    }
    case "q4_0": {
      const { quants, scales } = m;
      const out = new Float32Array(m.rows * m.cols);
      for (let b = 0; b < scales.length; b++) {
        const d = scales[b]!;
        for (let j = 0; j < HALF_BLOCK; j++) {
          const byte = quants[b * HALF_BLOCK + j]!;
          out[b * QUANT_BLOCK + j] = ((byte & 0x0f) - 8) * d;
          out[b * QUANT_BLOCK + HALF_BLOCK + j] = ((byte >> 4) - 8) * d;
        }
      }
      return out;
    }
    default:
      return dequantizeBlocks(m);
  }
}

/** The storage types quantizeMatrix makes. */
export type QuantizeType = "f32" | "q8_0" | "q4_0" | BlockQuantType;

/**
 * Quantize to the named storage type ("f32" keeps the data as is). The values must be
 * finite: a NaN or infinity has no quantized form (ggml would write a block that its own
 * validation refuses), so the first one is named in a RangeError.
 */
export function quantizeMatrix(data: Float32Array, rows: number, cols: number, type: QuantizeType): WeightMatrix {
  if (type === "f32") return f32Matrix(data, rows, cols);
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new RangeError(`cannot quantize to ${type}: the value at row ${Math.floor(i / cols)}, column ${i % cols} is ${data[i]}`);
    }
  }
  if (type === "q8_0") return quantizeQ8_0(data, rows, cols);
  if (type === "q4_0") return quantizeQ4_0(data, rows, cols);
  return quantizeBlocks(type, data, rows, cols);
}
