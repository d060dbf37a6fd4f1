// llama2.c checkpoint reader and writer, following karpathy/llama2.c:
// - version 0 (legacy, run.c): 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads,
//   vocab_size, seq_len; vocab_size < 0 means a separate classifier), then f32 in the order
//   of export.py `legacy_export`: token_embedding, rms_att[L], wq[L], wk[L], wv[L], wo[L],
//   rms_ffn[L], w1[L], w2[L], w3[L], rms_final, freq_cis_real, freq_cis_imag
//   ([seq_len, head_size/2] each; skipped on load, as run.c does), then wcls if not shared.
// - version 1 (export.py `version1_export`): 256-byte header (u32 magic "ak42" 0x616b3432,
//   int32 version, the 7 int32, u8 shared_classifier, zero padding), then f32 rms_att[L],
//   rms_ffn[L], rms_final, token_embedding, wq[L], wk[L], wv[L], wo[L], w1[L], w2[L], w3[L],
//   then wcls if not shared. No RoPE tables.
// - version 2 (export.py `version2_export`, read by runq.c): the same header plus an int32
//   group size right after the flag byte (offset 37); f32 rms_att[L], rms_ffn[L], rms_final;
//   then for token_embedding, wq[L], wk[L], wv[L], wo[L], w1[L], w2[L], w3[L] (and wcls if not
//   shared) each as int8 values followed by that tensor's f32 per-group scales (Q8_0,
//   value = q * scale). Quantized tensors are dequantized to f32 on load. (An early export.py
//   revision wrote all int8 tensors first and all scales after them; those files have the same
//   size and header, cannot be told apart, and are not supported.)
//
// Tensors get Hugging Face Llama names in nn.Linear [out, in] layout (gate = w1, up = w3,
// down = w2). q_proj/k_proj rows stay in the Meta/llama2.c interleaved RoPE layout: they are
// NOT permuted to HF's rotate_half layout, so a model built from these tensors must apply
// interleaved-pair RoPE (see llama-rotary-permute.ts to convert).
//
// Header values are untrusted: they are checked, and the byte size they imply is computed
// exactly (BigInt) and compared with the file size before any tensor is sliced or allocated.
import { ModelFormatError } from "../errors.js";
import { numel } from "../tensor/tensor.js";
import { HOST_IS_LITTLE_ENDIAN, float32LittleEndianBytes } from "./bytes.js";
import { readWholeFile, writeFileAtomic } from "./file-bytes.js";
import type { TensorRecord } from "./safetensors.js";

export interface Llama2cConfig {
  dim: number;
  hiddenDim: number;
  nLayers: number;
  nHeads: number;
  nKvHeads: number;
  vocabSize: number;
  seqLen: number;
  sharedClassifier: boolean;
  version: 0 | 1 | 2;
}

export interface Llama2cCheckpoint {
  path: string;
  config: Llama2cConfig;
  tensors: Map<string, TensorRecord>;
}

const MAGIC = 0x616b3432; // "ak42" read as a little-endian u32
const LEGACY_HEADER_BYTES = 28;
const VERSIONED_HEADER_BYTES = 256;
const ROPE_THETA = 10000;

/** One stretch of the file: an f32 tensor, a Q8_0 tensor (int8 values, then f32 scales), or skipped f32s. */
interface Segment {
  name: string | null; // null: present in the file but not loaded (v0 RoPE tables)
  shape: number[];
  encoding: "f32" | "q8_0";
}

/** Read a llama2.c checkpoint (version 0, 1 or 2); tensors come back as f32 with HF names. */
export async function readLlama2c(path: string): Promise<Llama2cCheckpoint> {
  const bytes = await readWholeFile(path);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < LEGACY_HEADER_BYTES) {
    throw new ModelFormatError(path, `file is ${bytes.length} bytes, shorter than the smallest llama2.c header (${LEGACY_HEADER_BYTES})`);
  }
  const versioned = view.getUint32(0, true) === MAGIC;
  let config: Llama2cConfig;
  let groupSize = 0;
  let headerBytes: number;
  if (versioned) {
    if (bytes.length < VERSIONED_HEADER_BYTES) {
      throw new ModelFormatError(path, `file is ${bytes.length} bytes, shorter than the ${VERSIONED_HEADER_BYTES}-byte "ak42" header`);
    }
    const version = view.getInt32(4, true);
    if (version !== 1 && version !== 2) {
      throw new ModelFormatError(path, `unsupported llama2.c version ${version} (supported: 0, 1, 2)`);
    }
    const flag = view.getUint8(36);
    if (flag > 1) throw new ModelFormatError(path, `shared_classifier flag is ${flag}, expected 0 or 1`);
    const vocab = view.getInt32(28, true);
    if (vocab <= 0) throw new ModelFormatError(path, `vocab_size ${vocab} must be positive in a version ${version} header`);
    config = { ...readParams(view, 8), vocabSize: vocab, sharedClassifier: flag === 1, version };
    if (version === 2) groupSize = view.getInt32(37, true);
    headerBytes = VERSIONED_HEADER_BYTES;
  } else {
    const signedVocab = view.getInt32(20, true);
    config = { ...readParams(view, 0), vocabSize: Math.abs(signedVocab), sharedClassifier: signedVocab > 0, version: 0 };
    headerBytes = LEGACY_HEADER_BYTES;
  }
  checkConfig(config, path);
  if (config.version === 2 && (groupSize <= 0 || config.dim % groupSize !== 0)) {
    throw new ModelFormatError(path, `Q8_0 group size ${groupSize} must be positive and divide dim ${config.dim}`);
  }
  // Every version stores 2 f32 norms of `dim` per layer: a cheap bound on n_layers before
  // building the per-layer list of segments.
  if (BigInt(config.nLayers) * BigInt(config.dim) * 8n > BigInt(bytes.length)) {
    throw new ModelFormatError(path, `header n_layers=${config.nLayers}, dim=${config.dim} needs more bytes for the norms alone than the file's ${bytes.length}`);
  }
  const segments = fileLayout(config);
  const expected = segments.reduce((sum, s) => sum + segmentBytes(s, groupSize), BigInt(headerBytes));
  if (expected !== BigInt(bytes.length)) {
    throw new ModelFormatError(
      path,
      `header (${describe(config)}${config.version === 2 ? `, group_size=${groupSize}` : ""}) implies ${expected} bytes, but the file has ${bytes.length}` +
        (expected > BigInt(bytes.length) ? " (truncated or wrong header)" : " (trailing data or wrong header)"),
    );
  }

  const tensors = new Map<string, TensorRecord>();
  let offset = headerBytes;
  for (const segment of segments) {
    const count = numel(segment.shape);
    if (segment.name !== null) {
      const data = segment.encoding === "f32" ? readF32(bytes, offset, count) : dequantizeQ8(bytes, offset, count, groupSize);
      tensors.set(segment.name, { name: segment.name, dtype: "F32", shape: segment.shape, data });
    }
    offset += Number(segmentBytes(segment, groupSize));
  }
  return { path, config, tensors };
}

/**
 * Write a legacy (version 0) llama2.c checkpoint from HF-named tensors (q/k rows in the
 * Meta interleaved layout), atomically. `lm_head.weight` must be present exactly when the
 * classifier is not shared. RoPE tables are computed (theta 10000) as export.py writes them.
 */
export async function writeLlama2c(
  path: string,
  config: Omit<Llama2cConfig, "version">,
  tensors: Map<string, Float32Array>,
): Promise<void> {
  const full: Llama2cConfig = { ...config, version: 0 };
  checkConfig(full, path);
  const segments = fileLayout(full);
  const named = new Set(segments.flatMap((s) => (s.name === null ? [] : [s.name])));
  for (const name of tensors.keys()) {
    if (!named.has(name)) throw new ModelFormatError(path, "is not part of a llama2.c checkpoint with this config", name);
  }
  const header = new Uint8Array(LEGACY_HEADER_BYTES);
  const fields = [
    config.dim, config.hiddenDim, config.nLayers, config.nHeads, config.nKvHeads,
    config.sharedClassifier ? config.vocabSize : -config.vocabSize, config.seqLen,
  ];
  fields.forEach((value, i) => new DataView(header.buffer).setInt32(i * 4, value, true));
  const [ropeCos, ropeSin] = ropeTables(config);
  let ropeTablesWritten = 0;
  const chunks: Uint8Array[] = [header];
  for (const segment of segments) {
    if (segment.name === null) {
      chunks.push(float32LittleEndianBytes(ropeTablesWritten++ === 0 ? ropeCos : ropeSin));
      continue;
    }
    const data = tensors.get(segment.name);
    if (data === undefined) throw new ModelFormatError(path, "is missing", segment.name);
    if (data.length !== numel(segment.shape)) {
      throw new ModelFormatError(path, `has ${data.length} values, expected [${segment.shape.join(", ")}] = ${numel(segment.shape)}`, segment.name);
    }
    chunks.push(float32LittleEndianBytes(data));
  }
  await writeFileAtomic(path, chunks);
}

function readParams(view: DataView, at: number): Omit<Llama2cConfig, "vocabSize" | "sharedClassifier" | "version"> {
  return {
    dim: view.getInt32(at, true),
    hiddenDim: view.getInt32(at + 4, true),
    nLayers: view.getInt32(at + 8, true),
    nHeads: view.getInt32(at + 12, true),
    nKvHeads: view.getInt32(at + 16, true),
    seqLen: view.getInt32(at + 24, true),
  };
}

function describe(c: Llama2cConfig): string {
  return `dim=${c.dim}, hidden_dim=${c.hiddenDim}, n_layers=${c.nLayers}, n_heads=${c.nHeads}, ` +
    `n_kv_heads=${c.nKvHeads}, vocab_size=${c.vocabSize}, seq_len=${c.seqLen}, shared_classifier=${c.sharedClassifier}`;
}

/** Header fields must be positive int32 values that describe a consistent attention layout. */
function checkConfig(c: Llama2cConfig, path: string): void {
  const fields: [string, number][] = [
    ["dim", c.dim], ["hidden_dim", c.hiddenDim], ["n_layers", c.nLayers], ["n_heads", c.nHeads],
    ["n_kv_heads", c.nKvHeads], ["vocab_size", c.vocabSize], ["seq_len", c.seqLen],
  ];
  for (const [field, value] of fields) {
    if (!Number.isInteger(value) || value <= 0 || value > 0x7fffffff) {
      throw new ModelFormatError(path, `header ${field}=${value} must be a positive 32-bit integer`);
    }
  }
  if (c.dim % c.nHeads !== 0) throw new ModelFormatError(path, `header n_heads=${c.nHeads} does not divide dim=${c.dim}`);
  if (c.nHeads % c.nKvHeads !== 0) {
    throw new ModelFormatError(path, `header n_kv_heads=${c.nKvHeads} does not divide n_heads=${c.nHeads}`);
  }
  if ((c.dim / c.nHeads) % 2 !== 0) throw new ModelFormatError(path, `head size dim/n_heads=${c.dim / c.nHeads} is odd; RoPE needs it even`);
}

/** The segments of the file after the header, in file order, for the config's version. */
function fileLayout(c: Llama2cConfig): Segment[] {
  const kvDim = (c.dim / c.nHeads) * c.nKvHeads;
  const matrix = c.version === 2 ? "q8_0" : "f32";
  const perLayer = (suffix: string, shape: number[], encoding: Segment["encoding"]): Segment[] =>
    Array.from({ length: c.nLayers }, (_, l) => ({ name: `model.layers.${l}.${suffix}`, shape, encoding }));
  const embedding: Segment = { name: "model.embed_tokens.weight", shape: [c.vocabSize, c.dim], encoding: matrix };
  const rmsAtt = perLayer("input_layernorm.weight", [c.dim], "f32");
  const rmsFfn = perLayer("post_attention_layernorm.weight", [c.dim], "f32");
  const rmsFinal: Segment = { name: "model.norm.weight", shape: [c.dim], encoding: "f32" };
  const attention = [
    ...perLayer("self_attn.q_proj.weight", [c.dim, c.dim], matrix),
    ...perLayer("self_attn.k_proj.weight", [kvDim, c.dim], matrix),
    ...perLayer("self_attn.v_proj.weight", [kvDim, c.dim], matrix),
    ...perLayer("self_attn.o_proj.weight", [c.dim, c.dim], matrix),
  ];
  const feedForward = [
    ...perLayer("mlp.gate_proj.weight", [c.hiddenDim, c.dim], matrix), // w1
    ...perLayer("mlp.down_proj.weight", [c.dim, c.hiddenDim], matrix), // w2
    ...perLayer("mlp.up_proj.weight", [c.hiddenDim, c.dim], matrix), // w3
  ];
  const classifier: Segment[] = c.sharedClassifier ? [] : [{ name: "lm_head.weight", shape: [c.vocabSize, c.dim], encoding: matrix }];
  if (c.version === 0) {
    const ropeTable: Segment = { name: null, shape: [c.seqLen, c.dim / c.nHeads / 2], encoding: "f32" };
    return [embedding, ...rmsAtt, ...attention, ...rmsFfn, ...feedForward, rmsFinal, ropeTable, ropeTable, ...classifier];
  }
  return [...rmsAtt, ...rmsFfn, rmsFinal, embedding, ...attention, ...feedForward, ...classifier];
}

/** Exact byte size of a segment, as a BigInt so that lying headers cannot overflow it. */
function segmentBytes(segment: Segment, groupSize: number): bigint {
  const count = segment.shape.reduce((product, d) => product * BigInt(d), 1n);
  return segment.encoding === "f32" ? count * 4n : count + (count / BigInt(groupSize)) * 4n;
}

function readF32(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const start = bytes.byteOffset + offset;
  if (HOST_IS_LITTLE_ENDIAN && start % 4 === 0) return new Float32Array(bytes.buffer, start, count); // zero-copy view
  const view = new DataView(bytes.buffer, start, count * 4);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** Q8_0 as runq.c `dequantize`: x[i] = q[i] * scale[i / groupSize], int8 values then f32 scales. */
function dequantizeQ8(bytes: Uint8Array, offset: number, count: number, groupSize: number): Float32Array {
  const values = new Int8Array(bytes.buffer, bytes.byteOffset + offset, count);
  const scales = new DataView(bytes.buffer, bytes.byteOffset + offset + count, (count / groupSize) * 4);
  const out = new Float32Array(count);
  for (let group = 0; group < count / groupSize; group++) {
    const scale = scales.getFloat32(group * 4, true);
    for (let i = group * groupSize; i < (group + 1) * groupSize; i++) out[i] = values[i]! * scale;
  }
  return out;
}

/** model.py `precompute_freqs_cis`: cos and sin of pos * theta^(-2i/head_size), [seq_len, head_size/2]. */
function ropeTables(c: Omit<Llama2cConfig, "version">): [Float32Array, Float32Array] {
  const half = c.dim / c.nHeads / 2;
  const cos = new Float32Array(c.seqLen * half);
  const sin = new Float32Array(c.seqLen * half);
  for (let i = 0; i < half; i++) {
    const frequency = Math.fround(1 / Math.fround(ROPE_THETA ** Math.fround((2 * i) / (2 * half))));
    for (let pos = 0; pos < c.seqLen; pos++) {
      const angle = Math.fround(pos * frequency);
      cos[pos * half + i] = Math.cos(angle);
      sin[pos * half + i] = Math.sin(angle);
    }
  }
  return [cos, sin];
}
