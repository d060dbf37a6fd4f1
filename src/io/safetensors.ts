// safetensors reader and writer, following the format of huggingface/safetensors
// (README "Format"): u64 little-endian header length N, N bytes of UTF-8 JSON
// `{"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets": [begin, end]}}`,
// then the byte buffer; offsets are relative to the start of that buffer.
//
// Files are untrusted: every length, offset, dtype and shape is checked against the
// file before any tensor is read. Like the reference implementation, the byte buffer
// must be fully indexed: gaps, overlaps and trailing bytes are rejected (a hole could
// hide a second file format inside the weights, and would otherwise go unread). A
// header that names a tensor twice is rejected too (JSON.parse would keep one silently).
// Only float dtypes are accepted; F16 and BF16 are widened to f32 on load.
import { ModelFormatError } from "../errors.js";
import { BYTES_PER_ELEMENT, decodeToF32, type DType } from "../tensor/dtype.js";
import { numel, shapeString } from "../tensor/tensor.js";
import { HOST_IS_LITTLE_ENDIAN, float32LittleEndianBytes } from "./bytes.js";
import { readWholeFile, writeFileAtomic } from "./file-bytes.js";
import { findDuplicateKey } from "./json-duplicate-keys.js";

/** One tensor of a weight file, widened to f32. `dtype` is the storage type in the file. */
export interface TensorRecord {
  name: string;
  dtype: DType;
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsFile {
  path: string;
  metadata: Record<string, string>;
  tensors: Map<string, TensorRecord>;
}

/** Headers above this size are refused before decoding (the reference reader uses 100 MB too). */
const MAX_HEADER_BYTES = 100_000_000;

const SUPPORTED_DTYPES: readonly DType[] = ["F32", "F16", "BF16"];
const METADATA_KEY = "__metadata__";

interface TensorEntry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

/** Parse a whole safetensors file held in memory. `label` names the file in errors. */
export function parseSafetensors(bytes: Uint8Array, label: string): SafetensorsFile {
  if (bytes.length < 8) {
    throw new ModelFormatError(label, `file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw new ModelFormatError(label, `header length ${headerLength} is over the ${MAX_HEADER_BYTES}-byte limit`);
  }
  if (headerLength > BigInt(bytes.length - 8)) {
    throw new ModelFormatError(label, `header length ${headerLength} runs past the end of the ${bytes.length}-byte file`);
  }
  const dataStart = 8 + Number(headerLength);
  const header = parseHeaderJson(bytes.subarray(8, dataStart), label);

  let metadata: Record<string, string> = {};
  const entries: TensorEntry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      metadata = parseMetadata(value, label);
    } else {
      entries.push(parseEntry(name, value, label));
    }
  }
  checkCoverage(entries, bytes.length - dataStart, label);

  const tensors = new Map<string, TensorRecord>();
  for (const entry of entries) {
    const count = numel(entry.shape);
    const start = bytes.byteOffset + dataStart + entry.begin;
    let data: Float32Array;
    if (entry.dtype === "F32" && HOST_IS_LITTLE_ENDIAN && start % 4 === 0) {
      data = new Float32Array(bytes.buffer, start, count); // zero-copy view
    } else {
      data = decodeToF32(bytes.subarray(dataStart + entry.begin, dataStart + entry.end), entry.dtype, count);
    }
    tensors.set(entry.name, { name: entry.name, dtype: entry.dtype, shape: entry.shape, data });
  }
  return { path: label, metadata, tensors };
}

/**
 * The tensors a safetensors file declares (names, dtypes, shapes), from its header
 * alone: the weights are not read. The header is checked as parseSafetensors checks
 * it, against the file's length.
 */
export async function readSafetensorsHeader(path: string): Promise<{ name: string; dtype: DType; shape: number[] }[]> {
  const { open } = await import("node:fs/promises");
  let handle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    throw new ModelFormatError(path, `cannot open: ${(error as Error).message}`);
  }
  try {
    const size = (await handle.stat()).size;
    const prefix = new Uint8Array(8);
    if (size < 8 || (await handle.read(prefix, 0, 8, 0)).bytesRead !== 8) {
      throw new ModelFormatError(path, `file is ${size} bytes, shorter than the 8-byte header length`);
    }
    const headerLength = new DataView(prefix.buffer).getBigUint64(0, true);
    if (headerLength > BigInt(MAX_HEADER_BYTES)) throw new ModelFormatError(path, `header length ${headerLength} is over the ${MAX_HEADER_BYTES}-byte limit`);
    if (headerLength > BigInt(size - 8)) throw new ModelFormatError(path, `header length ${headerLength} runs past the end of the ${size}-byte file`);
    const headerBytes = new Uint8Array(Number(headerLength));
    await handle.read(headerBytes, 0, headerBytes.length, 8);
    const entries = Object.entries(parseHeaderJson(headerBytes, path))
      .filter(([name]) => name !== METADATA_KEY)
      .map(([name, value]) => parseEntry(name, value, path));
    checkCoverage(entries, size - 8 - headerBytes.length, path);
    return entries.map(({ name, dtype, shape }) => ({ name, dtype, shape }));
  } finally {
    await handle.close();
  }
}

/** Read and parse a safetensors file; the file size is checked before it is read. */
export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  return parseSafetensors(await readWholeFile(path), path);
}

/**
 * Write F32 tensors as a safetensors file: sorted by name, the JSON header padded with
 * spaces so the data starts 8-byte aligned, written atomically (temp file + rename).
 */
export async function writeSafetensors(
  path: string,
  tensors: Iterable<{ name: string; shape: readonly number[]; data: Float32Array }>,
  metadata?: Record<string, string>,
): Promise<void> {
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // A prototype-less object, so that a tensor named "__proto__" is an ordinary key.
  const header: Record<string, unknown> = Object.create(null);
  if (metadata !== undefined) header[METADATA_KEY] = metadata;
  let offset = 0;
  for (const { name, shape, data } of sorted) {
    if (name === METADATA_KEY || Object.hasOwn(header, name)) {
      throw new ModelFormatError(path, "name is reserved or used twice", name);
    }
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0) || numel(shape) !== data.length) {
      throw new ModelFormatError(path, `shape ${shapeString(shape)} does not hold the ${data.length} values given`, name);
    }
    header[name] = { dtype: "F32", shape: [...shape], data_offsets: [offset, offset + data.byteLength] };
    offset += data.byteLength;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const paddedLength = Math.ceil(json.length / 8) * 8;
  const prefix = new Uint8Array(8 + paddedLength).fill(0x20, 8 + json.length);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(paddedLength), true);
  prefix.set(json, 8);
  await writeFileAtomic(path, [prefix, ...sorted.map((t) => float32LittleEndianBytes(t.data))]);
}

function parseHeaderJson(headerBytes: Uint8Array, label: string): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(headerBytes);
  } catch {
    throw new ModelFormatError(label, "header is not valid UTF-8");
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    throw new ModelFormatError(label, `header is not valid JSON (${(error as Error).message})`);
  }
  if (!isPlainObject(header)) throw new ModelFormatError(label, "header JSON is not an object");
  const duplicate = findDuplicateKey(text);
  if (duplicate !== undefined) {
    if (duplicate.path === "(root)") throw new ModelFormatError(label, "header lists this tensor twice", duplicate.key);
    throw new ModelFormatError(label, `header object ${duplicate.path} has the key "${duplicate.key}" twice`);
  }
  return header;
}

function parseMetadata(value: unknown, label: string): Record<string, string> {
  if (!isPlainObject(value)) throw new ModelFormatError(label, `"${METADATA_KEY}" is not an object`);
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== "string") {
      throw new ModelFormatError(label, `"${METADATA_KEY}" entry "${key}" is not a string`);
    }
  }
  return value as Record<string, string>;
}

function parseEntry(name: string, value: unknown, label: string): TensorEntry {
  if (!isPlainObject(value)) throw new ModelFormatError(label, "header entry is not an object", name);
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== "string") throw new ModelFormatError(label, "missing or non-string \"dtype\"", name);
  if (!(SUPPORTED_DTYPES as readonly string[]).includes(dtype)) {
    throw new ModelFormatError(label, `unsupported dtype "${dtype}" (supported: ${SUPPORTED_DTYPES.join(", ")})`, name);
  }
  if (!Array.isArray(shape)) throw new ModelFormatError(label, "missing or non-array \"shape\"", name);
  let count = 1;
  for (const dim of shape) {
    if (typeof dim !== "number" || !Number.isSafeInteger(dim) || dim < 0) {
      throw new ModelFormatError(label, `shape ${JSON.stringify(shape)} has a dimension that is not a non-negative integer`, name);
    }
    count *= dim;
    if (count > Number.MAX_SAFE_INTEGER) throw new ModelFormatError(label, `shape ${JSON.stringify(shape)} is too large`, name);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2) {
    throw new ModelFormatError(label, "missing \"data_offsets\" or it is not a [begin, end] pair", name);
  }
  const [begin, end] = offsets as unknown[];
  if (!isOffset(begin) || !isOffset(end)) {
    throw new ModelFormatError(label, `data_offsets ${JSON.stringify(offsets)} are not non-negative integers`, name);
  }
  if (begin > end) throw new ModelFormatError(label, `data_offsets begin ${begin} is after end ${end}`, name);
  const expectedBytes = count * BYTES_PER_ELEMENT[dtype as DType];
  if (end - begin !== expectedBytes) {
    throw new ModelFormatError(
      label,
      `data_offsets [${begin}, ${end}] span ${end - begin} bytes but ${dtype} shape ${shapeString(shape as number[])} needs ${expectedBytes}`,
      name,
    );
  }
  return { name, dtype: dtype as DType, shape: [...(shape as number[])], begin, end };
}

/** Tensors must tile the byte buffer exactly: no gaps, no overlaps, nothing past or after the end. */
function checkCoverage(entries: TensorEntry[], dataLength: number, label: string): void {
  const byPosition = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const entry of byPosition) {
    if (entry.end > dataLength) {
      throw new ModelFormatError(label, `data_offsets end ${entry.end} is past the ${dataLength}-byte data section`, entry.name);
    }
    if (entry.begin < covered) {
      throw new ModelFormatError(label, `data_offsets [${entry.begin}, ${entry.end}] overlap the previous tensor, which ends at ${covered}`, entry.name);
    }
    if (entry.begin > covered) {
      throw new ModelFormatError(label, `bytes ${covered}..${entry.begin} of the data section before this tensor belong to no tensor`, entry.name);
    }
    covered = entry.end;
  }
  if (covered !== dataLength) {
    throw new ModelFormatError(label, `data section is ${dataLength} bytes but the tensors cover only ${covered}`);
  }
}

function isOffset(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
