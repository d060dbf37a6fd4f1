// Weight matrices as storage types. A Linear layer's weight is a matrix in
// nn.Linear layout [out, in]; each storage type has its own kernels in the
// backend, so model code never branches on how weights are stored.
// Float32; half precision (IEEE f16 or bfloat16, as GGUF files store them: widened
// to f32 as the kernels read them, so products equal those of the widened weights);
// llama.cpp's block-quantized types Q8_0 and Q4_0: each row is cut into blocks
// of 32 weights sharing one scale (an f16 in the file, kept here as f32), so `cols`
// must be a multiple of 32; and ggml's other block formats (Q4_1 … Q6_K, IQ4_NL,
// IQ4_XS: block-formats.ts) kept as the file's own block bytes. Safetensors F16/BF16
// weights are widened to f32 on load (they are trainable parameters); GGUF ones keep
// their half storage.
//
// Why the file's bytes for the other block formats: they are read from a GGUF file
// without a copy and written back unchanged, and the reference kernels
// (block-dequantize.ts, backend/js/matmul-blocks.ts) then read exactly the layout
// ggml defines. A backend that wants another layout for speed repacks a matrix when
// it is uploaded (the WASM backend interleaves rows into panels with widened scales:
// backend/wasm/block-panels.ts), so no layout choice of one kernel leaks into files.

import { BLOCK_FORMATS, blockRowBytes, isBlockQuantType, type BlockQuantType } from "./block-formats.js";

/** Dense float32 weight, row-major [rows = out features, cols = in features]. */
export interface F32Matrix {
  readonly type: "f32";
  readonly data: Float32Array;
  readonly rows: number;
  readonly cols: number;
}

/**
 * Output columns [firstColumn, firstColumn + rows) of a Conv1D weight stored
 * [cols = in features, stride = all out features] — GPT-2's layout, the transpose
 * of nn.Linear. The matrix shares the checkpoint's storage: GPT-2's fused c_attn
 * serves as the q, k and v projections without a copy, so training updates to
 * c_attn are what inference computes with.
 */
export interface F32ColumnsMatrix {
  readonly type: "f32_columns";
  /** [cols, stride] */
  readonly data: Float32Array;
  /** Out features: the number of columns taken. */
  readonly rows: number;
  /** In features. */
  readonly cols: number;
  /** Out features of the whole stored weight (its row length). */
  readonly stride: number;
  readonly firstColumn: number;
}

/** Weights in quantization blocks along each row (ggml block_q8_0 / block_q4_0). */
export const QUANT_BLOCK = 32;

/** Q8_0: weight = scale[block] · int8 quant. */
export interface Q8_0Matrix {
  readonly type: "q8_0";
  /** [rows · cols] one signed byte per weight */
  readonly quants: Int8Array;
  /** [rows · cols / 32] one scale per block */
  readonly scales: Float32Array;
  readonly rows: number;
  readonly cols: number;
}

/**
 * Q4_0: weight = scale[block] · (nibble − 8). Each block is 16 bytes; byte j of a
 * block holds weight j in its low nibble and weight j + 16 in its high nibble (ggml's order).
 */
export interface Q4_0Matrix {
  readonly type: "q4_0";
  /** [rows · cols / 2] */
  readonly quants: Uint8Array;
  /** [rows · cols / 32] */
  readonly scales: Float32Array;
  readonly rows: number;
  readonly cols: number;
}

/**
 * A matrix in one of ggml's block formats (block-formats.ts): each row is
 * cols / blockSize blocks of ggml's bytes, rows one after the other, exactly as a
 * GGUF file stores the tensor.
 */
export interface BlockQuantMatrix {
  readonly type: BlockQuantType;
  /** [rows · cols / blockSize · blockBytes] */
  readonly blocks: Uint8Array;
  readonly rows: number;
  readonly cols: number;
}

/** Half-precision weight [rows, cols], row-major: IEEE binary16 ("f16") or bfloat16 ("bf16") bit patterns. */
export interface HalfMatrix {
  readonly type: "f16" | "bf16";
  readonly data: Uint16Array;
  readonly rows: number;
  readonly cols: number;
}

export type WeightMatrix = F32Matrix | F32ColumnsMatrix | HalfMatrix | Q8_0Matrix | Q4_0Matrix | BlockQuantMatrix;
export type WeightType = WeightMatrix["type"];

/** Columns [firstColumn, firstColumn + count) of a Conv1D weight [inFeatures, stride]. */
export function f32ColumnsMatrix(
  data: Float32Array,
  inFeatures: number,
  stride: number,
  firstColumn: number,
  count: number,
): F32ColumnsMatrix {
  if (data.length !== inFeatures * stride || firstColumn < 0 || firstColumn + count > stride) {
    throw new RangeError(`columns ${firstColumn}..${firstColumn + count} of a ${inFeatures}×${stride} weight do not fit its ${data.length} elements`);
  }
  return { type: "f32_columns", data, rows: count, cols: inFeatures, stride, firstColumn };
}

export function f32Matrix(data: Float32Array, rows: number, cols: number): F32Matrix {
  if (data.length !== rows * cols) {
    throw new RangeError(`weight has ${data.length} elements, expected ${rows}×${cols}`);
  }
  return { type: "f32", data, rows, cols };
}

export function halfMatrix(type: HalfMatrix["type"], data: Uint16Array, rows: number, cols: number): HalfMatrix {
  if (data.length !== rows * cols) {
    throw new RangeError(`${type} weight has ${data.length} elements, expected ${rows}×${cols}`);
  }
  return { type, data, rows, cols };
}

/** A block-format matrix over `blocks`; the row length must split into blocks and the bytes must match. */
export function blockQuantMatrix(type: BlockQuantType, blocks: Uint8Array, rows: number, cols: number): BlockQuantMatrix {
  const { blockSize, ggmlName } = BLOCK_FORMATS[type];
  if (!Number.isSafeInteger(rows) || !Number.isSafeInteger(cols) || rows < 0 || cols < 0) {
    throw new RangeError(`${ggmlName} weight of ${rows}×${cols} is not a matrix shape`);
  }
  if (cols % blockSize !== 0) {
    throw new RangeError(`${ggmlName} weight rows of ${cols} values do not split into blocks of ${blockSize}`);
  }
  const bytes = rows * blockRowBytes(type, cols);
  if (blocks.length !== bytes) throw new RangeError(`${ggmlName} weight ${rows}×${cols} needs ${bytes} bytes of blocks, got ${blocks.length}`);
  return { type, blocks, rows, cols };
}

export function isBlockQuantMatrix(m: WeightMatrix): m is BlockQuantMatrix {
  return isBlockQuantType(m.type);
}

/**
 * Rows [first, first + count) of a matrix in nn.Linear layout — e.g. the q, k and v
 * parts of a fused projection stored [q | k | v] (Phi-3's qkv_proj, gate_up_proj).
 * Rows are contiguous in every row-major storage type, so the window shares the
 * matrix's storage: no copy, and training updates of the whole are what it computes with.
 */
export function rowWindow(matrix: WeightMatrix, first: number, count: number): WeightMatrix {
  const { rows, cols } = matrix;
  if (!Number.isInteger(first) || !Number.isInteger(count) || first < 0 || count < 1 || first + count > rows) {
    throw new RangeError(`rows ${first}..${first + count} are not inside the ${rows} rows of the matrix`);
  }
  const span = <A extends { subarray(begin: number, end: number): A }>(data: A, perRow: number): A =>
    data.subarray(first * perRow, (first + count) * perRow);
  switch (matrix.type) {
    case "f32":
      return { type: "f32", data: span(matrix.data, cols), rows: count, cols };
    case "f16":
    case "bf16":
      return { type: matrix.type, data: span(matrix.data, cols), rows: count, cols };
    case "q8_0":
      return { type: "q8_0", quants: span(matrix.quants, cols), scales: span(matrix.scales, cols / QUANT_BLOCK), rows: count, cols };
    case "q4_0":
      return { type: "q4_0", quants: span(matrix.quants, cols / 2), scales: span(matrix.scales, cols / QUANT_BLOCK), rows: count, cols };
    case "f32_columns":
      throw new RangeError("a Conv1D column window has no row windows");
    default:
      return blockQuantMatrix(matrix.type, span(matrix.blocks, blockRowBytes(matrix.type, cols)), count, cols);
  }
}

export function isHalfMatrix(m: WeightMatrix): m is HalfMatrix {
  return m.type === "f16" || m.type === "bf16";
}
