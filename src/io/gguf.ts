// GGUF reader and writer, following ggml's docs/gguf.md and gguf.cpp (versions 2 and 3;
// version 1 used 32-bit counts and is refused, as are big-endian files):
//   u32 magic "GGUF" · u32 version · u64 tensor_count · u64 metadata_kv_count
//   metadata_kv_count × { string key · u32 value_type · value }
//   tensor_count × { string name · u32 n_dims · u64 dims[n_dims] · u32 ggml_type · u64 offset }
//   padding to `general.alignment` (default 32) · data section
// A string is u64 length + UTF-8 bytes; an array value is u32 element type · u64 count ·
// elements. dims are in ggml order (dims[0] varies fastest = the row length), and offsets
// are relative to the data section and multiples of the alignment.
//
// Files are untrusted: every count, length, dimension, offset and byte size is checked
// against the bytes that remain before anything is allocated or read, so a lying file
// fails with a ModelFormatError instead of a crash, a hang or a huge allocation.
// Tensors may not overlap, and no more than the alignment padding may lie between or
// after them (unindexed bytes are refused, as in the safetensors reader).
//
// Tensor types: F32, F16 and BF16, Q8_0 and Q4_0, and ggml's other block formats Q4_1,
// Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL, IQ4_XS (tensor/block-formats.ts). A
// 2-D F16/BF16 or quantized tensor stays in its storage type as a WeightMatrix (Q8_0/Q4_0
// with their f16 block scales widened to f32; the other block formats as the file's
// bytes, without a copy); tensors of other ranks are widened or dequantized to f32.
// Every type is checked like the rest of the file: a row length that is not a multiple
// of the type's block is refused, and so is a block whose f16 scale (d, dmin or m) is
// infinite or NaN (ggml's ggml_validate_row_data refuses the same blocks; the block's
// weights, and then every logit, would be NaN). Other ggml types are refused by name.

import { ModelFormatError } from "../errors.js";
import { findNonFiniteScale } from "../tensor/block-dequantize.js";
import { BLOCK_FORMATS, BLOCK_QUANT_TYPES, type BlockQuantType } from "../tensor/block-formats.js";
import { decodeToF32, f16ToF32, f32ToF16 } from "../tensor/dtype.js";
import { dequantize } from "../tensor/quantize.js";
import { shapeString } from "../tensor/tensor.js";
import {
  QUANT_BLOCK, blockQuantMatrix, halfMatrix,
  type BlockQuantMatrix, type HalfMatrix, type Q4_0Matrix, type Q8_0Matrix, type WeightMatrix,
} from "../tensor/weights.js";
import { HOST_IS_LITTLE_ENDIAN, float32LittleEndianBytes, uint16LittleEndianBytes } from "./bytes.js";

// ─── types ────────────────────────────────────────────────────────────────────

/** GGUF metadata value types, by their names in the spec (the enum gguf_type order). */
export const GGUF_VALUE_TYPES = [
  "uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "bool", "string", "array", "uint64", "int64", "float64",
] as const;
export type GgufValueType = (typeof GGUF_VALUE_TYPES)[number];

type NumberType = "uint8" | "int8" | "uint16" | "int16" | "uint32" | "int32" | "float32" | "float64";

/**
 * One metadata value, tagged with its GGUF type so that it can be written back unchanged.
 * 64-bit integers are bigints. An array holds plain values of its element type: numbers,
 * bigints, booleans, strings, or (for arrays of arrays) nested array values.
 */
export type GgufValue =
  | { readonly type: NumberType; readonly value: number }
  | { readonly type: "uint64" | "int64"; readonly value: bigint }
  | { readonly type: "bool"; readonly value: boolean }
  | { readonly type: "string"; readonly value: string }
  | GgufArray;

export type GgufArray =
  | { readonly type: "array"; readonly elementType: NumberType; readonly value: readonly number[] }
  | { readonly type: "array"; readonly elementType: "uint64" | "int64"; readonly value: readonly bigint[] }
  | { readonly type: "array"; readonly elementType: "bool"; readonly value: readonly boolean[] }
  | { readonly type: "array"; readonly elementType: "string"; readonly value: readonly string[] }
  | { readonly type: "array"; readonly elementType: "array"; readonly value: readonly GgufArray[] };

/** ggml's names of the block formats kept as file bytes (tensor/block-formats.ts). */
export type GgufBlockType = "Q4_1" | "Q5_0" | "Q5_1" | "Q2_K" | "Q3_K" | "Q4_K" | "Q5_K" | "Q6_K" | "IQ4_NL" | "IQ4_XS";

/** The ggml tensor types this reader accepts, by ggml's names. */
export type GgufTensorType = "F32" | "F16" | "BF16" | "Q8_0" | "Q4_0" | GgufBlockType;

/** lmscope's storage type of a GGUF block type. */
export const BLOCK_TYPE_OF: Readonly<Record<GgufBlockType, BlockQuantType>> = Object.fromEntries(
  BLOCK_QUANT_TYPES.map((t) => [BLOCK_FORMATS[t].ggmlName, t]),
) as Record<GgufBlockType, BlockQuantType>;

/** A tensor held as f32 values: F32 tensors, and tensors of other types that are not 2-D (widened or dequantized). */
export interface GgufDenseTensor {
  readonly kind: "dense";
  readonly name: string;
  /** Storage type in the file. */
  readonly type: GgufTensorType;
  /** Row-major shape: ggml's dims reversed (a weight [rows, cols] has ggml dims [cols, rows]). */
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/**
 * A 2-D tensor kept in its storage type — F16/BF16 as 16-bit patterns, Q8_0/Q4_0
 * in blocks, the other block formats as the file's bytes — for the backend's kernels
 * of that type: `matrix` is [rows, cols] = shape.
 */
export interface GgufMatrixTensor {
  readonly kind: "matrix";
  readonly name: string;
  readonly type: Exclude<GgufTensorType, "F32">;
  readonly shape: readonly [number, number];
  readonly matrix: HalfMatrix | Q8_0Matrix | Q4_0Matrix | BlockQuantMatrix;
}

export type GgufTensor = GgufDenseTensor | GgufMatrixTensor;

export interface GgufFile {
  readonly path: string;
  readonly version: 2 | 3;
  /** Metadata in file order. */
  readonly metadata: Map<string, GgufValue>;
  /** Tensors in file order. */
  readonly tensors: Map<string, GgufTensor>;
}

/** A tensor to write: f32 values stored as F32/F16/BF16, or a weight matrix stored in its own type. */
export type GgufTensorInput =
  | { readonly name: string; readonly shape: readonly number[]; readonly data: Float32Array; readonly type?: "F32" | "F16" | "BF16" }
  | { readonly name: string; readonly matrix: WeightMatrix };

// ─── constants ────────────────────────────────────────────────────────────────

const MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
const DEFAULT_ALIGNMENT = 32;
const MAX_DIMS = 4; // GGML_MAX_DIMS
/** Arrays of arrays nest at most this deep (gguf.cpp allows none; this leaves room). */
const MAX_ARRAY_DEPTH = 4;
const MAX_COUNT = 2 ** 32; // counts above this are refused outright, before any size check

interface TypeInfo {
  readonly id: number;
  readonly blockSize: number; // elements per block
  readonly blockBytes: number; // bytes per block
}

const TENSOR_TYPES: Record<GgufTensorType, TypeInfo> = {
  F32: { id: 0, blockSize: 1, blockBytes: 4 },
  F16: { id: 1, blockSize: 1, blockBytes: 2 },
  Q4_0: { id: 2, blockSize: QUANT_BLOCK, blockBytes: 2 + QUANT_BLOCK / 2 },
  Q8_0: { id: 8, blockSize: QUANT_BLOCK, blockBytes: 2 + QUANT_BLOCK },
  BF16: { id: 30, blockSize: 1, blockBytes: 2 },
  ...(Object.fromEntries(
    BLOCK_QUANT_TYPES.map((t) => {
      const f = BLOCK_FORMATS[t];
      return [f.ggmlName, { id: f.ggmlId, blockSize: f.blockSize, blockBytes: f.blockBytes }];
    }),
  ) as Record<GgufBlockType, TypeInfo>),
};

/** Names of the other ggml types, so that an error can say what the file holds. */
const OTHER_GGML_TYPES: Record<number, string> = {
  9: "Q8_1", 15: "Q8_K", 16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 21: "IQ3_S", 22: "IQ2_S",
  24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64", 29: "IQ1_M", 34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4",
};

const VALUE_SIZES: Partial<Record<GgufValueType, number>> = {
  uint8: 1, int8: 1, uint16: 2, int16: 2, uint32: 4, int32: 4, float32: 4, bool: 1, uint64: 8, int64: 8, float64: 8,
};

// ─── reading ──────────────────────────────────────────────────────────────────

/** Bounds-checked little-endian reads over the file bytes; every failure names the file. */
class Cursor {
  private readonly view: DataView;
  offset = 0;
  private readonly decoder = new TextDecoder("utf-8");

  constructor(
    readonly bytes: Uint8Array,
    readonly label: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  fail(detail: string, tensor?: string): never {
    throw new ModelFormatError(this.label, detail, tensor);
  }

  need(n: number, what: string, tensor?: string): void {
    if (n > this.remaining) {
      this.fail(`${what} needs ${n} bytes at offset ${this.offset}, but the file ends ${this.remaining} bytes later`, tensor);
    }
  }

  u8(what: string): number {
    this.need(1, what);
    return this.view.getUint8(this.offset++);
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return v;
  }
  u64(what: string): bigint {
    this.need(8, what);
    const v = this.view.getBigUint64(this.offset, true);
    this.offset += 8;
    return v;
  }

  /** A u64 count or length that must be ≤ `limit` (itself derived from the bytes left). */
  count(what: string, limit: number, tensor?: string): number {
    const v = this.u64(what);
    const bound = Math.max(0, Math.min(limit, MAX_COUNT));
    if (v > BigInt(bound)) {
      this.fail(`${what} is ${v}, more than the ${bound} the rest of the file can hold`, tensor);
    }
    return Number(v);
  }

  string(what: string): string {
    const length = this.count(`${what} string length`, this.remaining - 8);
    const start = this.offset;
    this.offset += length;
    return decodeString(this.bytes, start, length, this.decoder);
  }

  value(type: GgufValueType, what: string, depth: number): GgufValue {
    switch (type) {
      case "array":
        return this.array(what, depth);
      case "string":
        return { type, value: this.string(what) };
      case "bool":
        return { type, value: this.bool(what) };
      case "uint64":
      case "int64":
        return { type, value: this.bigint(type, what) };
      default:
        return { type, value: this.number(type, what) };
    }
  }

  private bool(what: string): boolean {
    const b = this.u8(what);
    if (b > 1) this.fail(`${what}: bool value is ${b}, expected 0 or 1`);
    return b === 1;
  }

  private bigint(type: "uint64" | "int64", what: string): bigint {
    this.need(8, what);
    const v = type === "uint64" ? this.view.getBigUint64(this.offset, true) : this.view.getBigInt64(this.offset, true);
    this.offset += 8;
    return v;
  }

  private number(type: NumberType, what: string): number {
    const size = VALUE_SIZES[type]!;
    this.need(size, what);
    const at = this.offset;
    this.offset += size;
    const v = this.view;
    switch (type) {
      case "uint8": return v.getUint8(at);
      case "int8": return v.getInt8(at);
      case "uint16": return v.getUint16(at, true);
      case "int16": return v.getInt16(at, true);
      case "uint32": return v.getUint32(at, true);
      case "int32": return v.getInt32(at, true);
      case "float32": return v.getFloat32(at, true);
      case "float64": return v.getFloat64(at, true);
    }
  }

  valueType(what: string): GgufValueType {
    const id = this.u32(`${what} type`);
    const type = GGUF_VALUE_TYPES[id];
    if (type === undefined) this.fail(`${what} has value type ${id}, not a GGUF type (0..${GGUF_VALUE_TYPES.length - 1})`);
    return type;
  }

  private array(what: string, depth: number): GgufArray {
    if (depth >= MAX_ARRAY_DEPTH) this.fail(`${what}: arrays nest more than ${MAX_ARRAY_DEPTH} deep`);
    const elementType = this.valueType(`${what} element`);
    // Smallest encoding of one element bounds the count by the bytes left.
    const minBytes = elementType === "string" ? 8 : elementType === "array" ? 12 : VALUE_SIZES[elementType]!;
    const n = this.count(`${what} array length`, Math.floor((this.remaining - 8) / minBytes));
    const items: unknown[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const element = this.value(elementType, `${what}[${i}]`, depth + 1);
      items[i] = element.type === "array" ? element : element.value;
    }
    return { type: "array", elementType, value: items } as GgufArray;
  }
}

/** UTF-8 decode (invalid sequences become U+FFFD, as llama.cpp does not validate), ASCII fast path. */
function decodeString(bytes: Uint8Array, start: number, length: number, decoder: TextDecoder): string {
  if (length <= 64) {
    let ascii = true;
    for (let i = start; i < start + length; i++) if (bytes[i]! >= 0x80) { ascii = false; break; }
    if (ascii) return String.fromCharCode(...bytes.subarray(start, start + length));
  }
  return decoder.decode(bytes.subarray(start, start + length));
}

interface TensorInfo {
  name: string;
  type: GgufTensorType;
  shape: number[]; // row-major
  count: number;
  byteSize: number;
  offset: number; // relative to the data section
}

/** Parse a whole GGUF file held in memory. `label` names the file in errors. */
export function parseGguf(bytes: Uint8Array, label: string): GgufFile {
  const c = new Cursor(bytes, label);
  if (bytes.length < 24) c.fail(`file is ${bytes.length} bytes, shorter than the 24-byte GGUF header`);
  const magic = c.u32("magic");
  if (magic !== MAGIC) {
    const shown = [...bytes.subarray(0, 4)].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, "0")}`)).join("");
    c.fail(`bad magic "${shown}": not a GGUF file (expected "GGUF")`);
  }
  const version = c.u32("version");
  if (version !== 2 && version !== 3) {
    if (version > 0xffff && (version & 0xffff) === 0) c.fail(`version field reads ${version}: big-endian GGUF files are not supported`);
    c.fail(`unsupported GGUF version ${version} (supported: 2, 3)`);
  }
  // A tensor info takes at least 8 (name) + 4 + 8 (one dim) + 4 + 8 bytes; a kv at least 8 + 4 + 1.
  const tensorCount = c.count("tensor count", Math.floor(c.remaining / 32));
  const kvCount = c.count("metadata kv count", Math.floor((c.remaining - 32 * tensorCount) / 13));

  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < kvCount; i++) {
    const key = c.string(`metadata key #${i}`);
    if (metadata.has(key)) c.fail(`metadata key "${key}" appears twice`);
    const type = c.valueType(`metadata "${key}"`);
    metadata.set(key, c.value(type, `metadata "${key}"`, 0));
  }
  const alignment = readAlignment(metadata, c);

  const infos: TensorInfo[] = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const name = c.string(`tensor #${i} name`);
    if (names.has(name)) c.fail("tensor name appears twice", name);
    names.add(name);
    infos.push(readTensorInfo(c, name, alignment));
  }
  // The data section starts at the next multiple of the alignment; a file without tensor
  // data may end before that (gguf.cpp seeks there and reads nothing).
  const dataStart = Math.ceil(c.offset / alignment) * alignment;
  checkLayout(infos, Math.max(0, bytes.length - dataStart), alignment, c);

  const tensors = new Map<string, GgufTensor>();
  for (const info of infos) tensors.set(info.name, decodeTensor(bytes, dataStart + info.offset, info, label));
  return { path: label, version: version as 2 | 3, metadata, tensors };
}

/**
 * Read and parse a GGUF file; the file size is checked before it is read. (File
 * access is imported on first use, so parseGguf's module also loads in browsers.)
 */
export async function readGguf(path: string): Promise<GgufFile> {
  const { readWholeFile } = await import("./file-bytes.js");
  return parseGguf(await readWholeFile(path), path);
}

function readAlignment(metadata: Map<string, GgufValue>, c: Cursor): number {
  const value = metadata.get("general.alignment");
  if (value === undefined) return DEFAULT_ALIGNMENT;
  if (value.type !== "uint32") c.fail(`"general.alignment" has type ${value.type}, expected uint32`);
  const a = value.value;
  if (a === 0 || (a & (a - 1)) !== 0) c.fail(`"general.alignment" is ${a}, not a power of two`);
  return a;
}

function readTensorInfo(c: Cursor, name: string, alignment: number): TensorInfo {
  const nDims = c.u32("n_dims");
  if (nDims < 1 || nDims > MAX_DIMS) c.fail(`has ${nDims} dimensions (expected 1..${MAX_DIMS})`, name);
  const dims: number[] = [];
  let count = 1n;
  for (let d = 0; d < nDims; d++) {
    const dim = c.u64(`dim ${d}`);
    count *= dim;
    if (count > BigInt(Number.MAX_SAFE_INTEGER)) c.fail(`dims [${[...dims, dim].join(", ")}…] hold more elements than can be addressed`, name);
    dims.push(Number(dim));
  }
  const typeId = c.u32("type");
  const type = (Object.keys(TENSOR_TYPES) as GgufTensorType[]).find((t) => TENSOR_TYPES[t].id === typeId);
  if (type === undefined) {
    const known = OTHER_GGML_TYPES[typeId];
    c.fail(`ggml type ${known ?? typeId}${known === undefined ? " (unknown)" : ` (${typeId})`} is not supported (supported: ${Object.keys(TENSOR_TYPES).join(", ")})`, name);
  }
  const offset = c.u64("offset");
  const info = TENSOR_TYPES[type];
  if (dims[0]! % info.blockSize !== 0) c.fail(`${type} row length ${dims[0]} is not a multiple of the block size ${info.blockSize}`, name);
  const byteSize = (count / BigInt(info.blockSize)) * BigInt(info.blockBytes);
  if (offset > BigInt(c.bytes.length) || byteSize > BigInt(c.bytes.length)) {
    c.fail(`${type} ${shapeString([...dims].reverse())} at data offset ${offset} (${byteSize} bytes) runs past the end of the ${c.bytes.length}-byte file`, name);
  }
  if (Number(offset) % alignment !== 0) c.fail(`data offset ${offset} is not a multiple of the alignment ${alignment}`, name);
  return { name, type, shape: [...dims].reverse(), count: Number(count), byteSize: Number(byteSize), offset: Number(offset) };
}

/** Tensors lie inside the data section, do not overlap, and leave no more than padding unindexed. */
function checkLayout(infos: TensorInfo[], dataLength: number, alignment: number, c: Cursor): void {
  const byPosition = [...infos].sort((a, b) => a.offset - b.offset || a.byteSize - b.byteSize);
  let covered = 0;
  let previous: string | null = null;
  for (const t of byPosition) {
    if (t.offset + t.byteSize > dataLength) {
      c.fail(`data [${t.offset}, ${t.offset + t.byteSize}) runs past the end of the ${dataLength}-byte data section`, t.name);
    }
    if (t.offset < covered) c.fail(`data [${t.offset}, ${t.offset + t.byteSize}) overlaps tensor "${previous}", which ends at ${covered}`, t.name);
    if (t.offset - covered >= alignment) c.fail(`bytes ${covered}..${t.offset} of the data section before this tensor belong to no tensor`, t.name);
    covered = t.offset + t.byteSize;
    previous = t.name;
  }
  if (dataLength - covered >= alignment) c.fail(`${dataLength - covered} bytes after the last tensor belong to no tensor`);
}

function decodeTensor(bytes: Uint8Array, start: number, info: TensorInfo, label: string): GgufTensor {
  const { name, type, shape, count } = info;
  switch (type) {
    case "F32":
    case "F16":
    case "BF16": {
      const absolute = bytes.byteOffset + start;
      if (type !== "F32" && shape.length === 2) {
        const [rows, cols] = shape as [number, number];
        const bits =
          HOST_IS_LITTLE_ENDIAN && absolute % 2 === 0
            ? new Uint16Array(bytes.buffer, absolute, count) // zero-copy view
            : readUint16LittleEndian(bytes.subarray(start, start + info.byteSize), count);
        return { kind: "matrix", name, type, shape: [rows, cols], matrix: halfMatrix(type === "F16" ? "f16" : "bf16", bits, rows, cols) };
      }
      const data =
        type === "F32" && HOST_IS_LITTLE_ENDIAN && absolute % 4 === 0
          ? new Float32Array(bytes.buffer, absolute, count) // zero-copy view
          : decodeToF32(bytes.subarray(start, start + info.byteSize), type, count);
      return { kind: "dense", name, type, shape, data };
    }
    case "Q8_0":
    case "Q4_0": {
      const cols = shape[shape.length - 1]!;
      const rows = count / Math.max(cols, 1);
      const matrix = readBlocks(bytes.subarray(start, start + info.byteSize), type, rows, cols, label, name);
      if (shape.length === 2) return { kind: "matrix", name, type, shape: [rows, cols], matrix };
      return { kind: "dense", name, type, shape, data: dequantize(matrix) };
    }
    default: {
      const cols = shape[shape.length - 1]!;
      const rows = count / Math.max(cols, 1);
      const blockType = BLOCK_TYPE_OF[type];
      const blocks = bytes.subarray(start, start + info.byteSize);
      const bad = findNonFiniteScale(blockType, blocks, rows, cols);
      if (bad !== null) {
        const [row, block, offset] = bad;
        const field = offset === BLOCK_FORMATS[blockType].f16Scales[0] ? "scale d" : "second scale (dmin / m)";
        throw new ModelFormatError(label, `${type} block ${block} of row ${row}: its f16 ${field} is infinite or NaN`, name);
      }
      const matrix = blockQuantMatrix(blockType, blocks, rows, cols);
      if (shape.length === 2) return { kind: "matrix", name, type, shape: [rows, cols], matrix };
      return { kind: "dense", name, type, shape, data: dequantize(matrix) };
    }
  }
}

function readUint16LittleEndian(bytes: Uint8Array, count: number): Uint16Array {
  const out = new Uint16Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count; i++) out[i] = view.getUint16(i * 2, true);
  return out;
}

/** ggml block_q8_0 {f16 d; int8 qs[32]} / block_q4_0 {f16 d; u8 qs[16]} → our matrix types (an infinite or NaN d is refused). */
function readBlocks(bytes: Uint8Array, type: "Q8_0" | "Q4_0", rows: number, cols: number, label: string, name: string): Q8_0Matrix | Q4_0Matrix {
  const blocks = (rows * cols) / QUANT_BLOCK;
  const payload = type === "Q8_0" ? QUANT_BLOCK : QUANT_BLOCK / 2;
  const scales = new Float32Array(blocks);
  const quants = new Uint8Array(blocks * payload);
  for (let b = 0, at = 0, q = 0; b < blocks; b++) {
    scales[b] = f16ToF32(bytes[at]! | (bytes[at + 1]! << 8));
    if (!Number.isFinite(scales[b])) {
      const perRow = cols / QUANT_BLOCK;
      throw new ModelFormatError(label, `${type} block ${b % perRow} of row ${Math.floor(b / perRow)}: its f16 scale d is infinite or NaN`, name);
    }
    at += 2;
    for (let j = 0; j < payload; j++) quants[q++] = bytes[at++]!;
  }
  return type === "Q8_0"
    ? { type: "q8_0", quants: new Int8Array(quants.buffer), scales, rows, cols }
    : { type: "q4_0", quants, scales, rows, cols };
}

// ─── metadata access ──────────────────────────────────────────────────────────

/** A metadata number (any integer or float type; 64-bit integers must be safe integers), or undefined. */
export function ggufNumber(metadata: ReadonlyMap<string, GgufValue>, key: string, file: string): number | undefined {
  const v = metadata.get(key);
  if (v === undefined) return undefined;
  if (v.type === "uint64" || v.type === "int64") {
    if (v.value > BigInt(Number.MAX_SAFE_INTEGER) || v.value < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new ModelFormatError(file, `metadata "${key}" = ${v.value} is out of range`);
    }
    return Number(v.value);
  }
  if (typeof v.value !== "number") throw new ModelFormatError(file, `metadata "${key}" has type ${v.type}, expected a number`);
  return v.value;
}

/** A metadata string, or undefined. */
export function ggufString(metadata: ReadonlyMap<string, GgufValue>, key: string, file: string): string | undefined {
  const v = metadata.get(key);
  if (v === undefined) return undefined;
  if (v.type !== "string") throw new ModelFormatError(file, `metadata "${key}" has type ${v.type}, expected string`);
  return v.value;
}

/** A metadata bool, or undefined. */
export function ggufBool(metadata: ReadonlyMap<string, GgufValue>, key: string, file: string): boolean | undefined {
  const v = metadata.get(key);
  if (v === undefined) return undefined;
  if (v.type !== "bool") throw new ModelFormatError(file, `metadata "${key}" has type ${v.type}, expected bool`);
  return v.value;
}

/** A metadata array of strings, or undefined. */
export function ggufStringArray(metadata: ReadonlyMap<string, GgufValue>, key: string, file: string): readonly string[] | undefined {
  const v = metadata.get(key);
  if (v === undefined) return undefined;
  if (v.type === "array" && v.elementType === "string") return v.value;
  throw new ModelFormatError(file, `metadata "${key}" is ${describeType(v)}, expected an array of strings`);
}

/** A metadata array of numbers (any 8..32-bit integer or float element type), or undefined. */
export function ggufNumberArray(metadata: ReadonlyMap<string, GgufValue>, key: string, file: string): readonly number[] | undefined {
  const v = metadata.get(key);
  if (v === undefined) return undefined;
  if (v.type === "array" && v.value.every((x: unknown) => typeof x === "number")) return v.value as readonly number[];
  throw new ModelFormatError(file, `metadata "${key}" is ${describeType(v)}, expected an array of numbers`);
}

function describeType(v: GgufValue): string {
  return v.type === "array" ? `an array of ${v.elementType}` : v.type;
}

// ─── writing ──────────────────────────────────────────────────────────────────

/** Growable little-endian byte buffer for the header. */
class ByteWriter {
  private bytes = new Uint8Array(1 << 16);
  private view = new DataView(this.bytes.buffer);
  length = 0;
  private readonly encoder = new TextEncoder();

  private reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }
  u8(v: number): void { this.reserve(1); this.view.setUint8(this.length, v); this.length += 1; }
  u32(v: number): void { this.reserve(4); this.view.setUint32(this.length, v, true); this.length += 4; }
  u64(v: number | bigint): void { this.reserve(8); this.view.setBigUint64(this.length, BigInt(v), true); this.length += 8; }
  string(s: string): void {
    const b = this.encoder.encode(s);
    this.u64(b.length);
    this.reserve(b.length);
    this.bytes.set(b, this.length);
    this.length += b.length;
  }
  padTo(alignment: number): void {
    const padded = Math.ceil(this.length / alignment) * alignment;
    this.reserve(padded - this.length);
    this.bytes.fill(0, this.length, padded);
    this.length = padded;
  }
  value(v: GgufValue): void;
  value(v: { type: GgufValueType; value: unknown; elementType?: GgufValueType }): void {
    const size = VALUE_SIZES[v.type];
    if (size !== undefined) this.reserve(size);
    const w = this.view; // after reserve(), which may replace the buffer
    const at = this.length;
    switch (v.type) {
      case "uint8": w.setUint8(at, v.value as number); break;
      case "int8": w.setInt8(at, v.value as number); break;
      case "uint16": w.setUint16(at, v.value as number, true); break;
      case "int16": w.setInt16(at, v.value as number, true); break;
      case "uint32": w.setUint32(at, v.value as number, true); break;
      case "int32": w.setInt32(at, v.value as number, true); break;
      case "float32": w.setFloat32(at, v.value as number, true); break;
      case "float64": w.setFloat64(at, v.value as number, true); break;
      case "bool": w.setUint8(at, v.value ? 1 : 0); break;
      case "uint64": w.setBigUint64(at, v.value as bigint, true); break;
      case "int64": w.setBigInt64(at, v.value as bigint, true); break;
      case "string": this.string(v.value as string); return;
      case "array": {
        const items = v.value as readonly unknown[];
        const elementType = v.elementType!;
        this.u32(GGUF_VALUE_TYPES.indexOf(elementType));
        this.u64(items.length);
        for (const item of items) {
          this.value((elementType === "array" ? item : { type: elementType, value: item }) as GgufValue);
        }
        return;
      }
    }
    this.length += size!;
  }
  result(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

interface EncodedTensor {
  name: string;
  type: GgufTensorType;
  shape: readonly number[];
  bytes: Uint8Array;
}

function encodeTensor(t: GgufTensorInput, path: string): EncodedTensor {
  if ("matrix" in t) {
    const m = t.matrix;
    const shape = [m.rows, m.cols];
    switch (m.type) {
      case "f32":
        return { name: t.name, type: "F32", shape, bytes: float32LittleEndianBytes(m.data) };
      case "f32_columns":
        return { name: t.name, type: "F32", shape, bytes: float32LittleEndianBytes(dequantize(m)) };
      case "f16":
      case "bf16":
        return { name: t.name, type: m.type === "f16" ? "F16" : "BF16", shape, bytes: uint16LittleEndianBytes(m.data) };
      case "q8_0":
      case "q4_0":
        return { name: t.name, type: m.type === "q8_0" ? "Q8_0" : "Q4_0", shape, bytes: writeBlocks(m) };
      default: {
        const blocks = m.blocks; // read once (a backend's matrix may rebuild it per access)
        const { ggmlName, blockSize, blockBytes } = BLOCK_FORMATS[m.type];
        if (m.cols % blockSize !== 0 || blocks.length !== (m.rows * m.cols * blockBytes) / blockSize) {
          throw new ModelFormatError(path, `${ggmlName} matrix ${m.rows}×${m.cols} has ${blocks.length} bytes of blocks, not whole blocks of ${blockSize}`, t.name);
        }
        return { name: t.name, type: ggmlName as GgufBlockType, shape, bytes: blocks };
      }
    }
  }
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0) || count !== t.data.length || t.shape.length < 1 || t.shape.length > MAX_DIMS) {
    throw new ModelFormatError(path, `shape ${shapeString(t.shape)} does not hold the ${t.data.length} values given (1..${MAX_DIMS} dims)`, t.name);
  }
  const type = t.type ?? "F32";
  if (type === "F32") return { name: t.name, type, shape: t.shape, bytes: float32LittleEndianBytes(t.data) };
  const bytes = new Uint8Array(count * 2);
  const view = new DataView(bytes.buffer);
  if (type === "F16") {
    for (let i = 0; i < count; i++) view.setUint16(i * 2, f32ToF16(t.data[i]!), true);
  } else {
    // BF16: round to nearest even from the f32 bits (NaN kept quiet).
    const bits = new Uint32Array(Float32Array.from(t.data).buffer);
    for (let i = 0; i < count; i++) {
      const x = bits[i]!;
      const rounded = (x & 0x7fffffff) > 0x7f800000 ? (x >>> 16) | 0x40 : (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
      view.setUint16(i * 2, rounded & 0xffff, true);
    }
  }
  return { name: t.name, type, shape: t.shape, bytes };
}

/** Our Q8_0/Q4_0 matrices → ggml blocks (scale as f16, then the quants). */
function writeBlocks(m: Q8_0Matrix | Q4_0Matrix): Uint8Array {
  const payload = m.type === "q8_0" ? QUANT_BLOCK : QUANT_BLOCK / 2;
  const stride = 2 + payload;
  const { quants: q8, scales } = m; // read once (a backend's matrix may rebuild them per access)
  const blocks = scales.length;
  const out = new Uint8Array(blocks * stride);
  const quants = new Uint8Array(q8.buffer, q8.byteOffset, q8.byteLength);
  for (let b = 0, at = 0, q = 0; b < blocks; b++) {
    const d = f32ToF16(scales[b]!);
    out[at++] = d & 0xff;
    out[at++] = d >> 8;
    for (let j = 0; j < payload; j++) out[at++] = quants[q++]!;
  }
  return out;
}

/**
 * Write a GGUF version 3 file atomically: metadata in the order given, then the tensor
 * infos and the data, each tensor aligned to `general.alignment` (32 unless the metadata
 * sets it). Quantized matrices keep their type; f32 data is written as F32 unless the
 * tensor asks for F16/BF16. Shapes are row-major (written to the file reversed, ggml order).
 */
export async function writeGguf(
  path: string,
  content: { metadata: Iterable<[string, GgufValue]>; tensors: Iterable<GgufTensorInput> },
): Promise<void> {
  const metadata = new Map(content.metadata);
  const alignmentValue = metadata.get("general.alignment");
  let alignment = DEFAULT_ALIGNMENT;
  if (alignmentValue !== undefined) {
    if (alignmentValue.type !== "uint32" || alignmentValue.value === 0 || (alignmentValue.value & (alignmentValue.value - 1)) !== 0) {
      throw new ModelFormatError(path, `"general.alignment" must be a uint32 power of two`);
    }
    alignment = alignmentValue.value;
  }
  const tensors: EncodedTensor[] = [];
  const names = new Set<string>();
  for (const t of content.tensors) {
    if (names.has(t.name)) throw new ModelFormatError(path, "name is used twice", t.name);
    names.add(t.name);
    tensors.push(encodeTensor(t, path));
  }

  const header = new ByteWriter();
  header.u32(MAGIC);
  header.u32(3);
  header.u64(tensors.length);
  header.u64(metadata.size);
  for (const [key, value] of metadata) {
    header.string(key);
    header.u32(GGUF_VALUE_TYPES.indexOf(value.type));
    header.value(value);
  }
  let offset = 0;
  const chunks: Uint8Array[] = [];
  for (const t of tensors) {
    header.string(t.name);
    header.u32(t.shape.length);
    for (let d = t.shape.length - 1; d >= 0; d--) header.u64(t.shape[d]!);
    header.u32(TENSOR_TYPES[t.type].id);
    header.u64(offset);
    const padded = Math.ceil(t.bytes.length / alignment) * alignment;
    chunks.push(t.bytes);
    if (padded > t.bytes.length) chunks.push(new Uint8Array(padded - t.bytes.length));
    offset += padded;
  }
  header.padTo(alignment);
  const { writeFileAtomic } = await import("./file-bytes.js");
  await writeFileAtomic(path, [header.result(), ...chunks]);
}
