// Model files → GGUF content that llama.cpp loads, following llama.cpp's
// convert_hf_to_gguf.py and llama-quantize:
// - a Hugging Face decoder folder (config.json + safetensors + tokenizer files) of a
//   model_type llama.cpp has an architecture for (gguf-hf-decoders.ts: tensor names,
//   layouts and hyperparameters per architecture; gguf-hf-vocab.ts: the tokenizer), a
//   llama2.c checkpoint (with tokenizer.bin beside it), or another GGUF file (dequantized);
// - 2-D weight matrices stored in the types llama-quantize would give them in the chosen mix
//   (llama-quant-rules.ts: per-tensor bumps and row-length fallbacks), quantized with
//   ggml's reference quantizers (tensor/block-quantizers); norms and biases stay F32;
// - `general.file_type` (llama_ftype of the mix) and `general.quantization_version` 2.

import { readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ConfigError, ModelFormatError } from "../errors.js";
import type { JsonObject } from "../models/config-reader.js";
import { dequantize, quantizeMatrix, type QuantizeType } from "../tensor/quantize.js";
import { ggufNumber, ggufString, readGguf, type GgufTensorInput, type GgufTensorType, type GgufValue } from "./gguf.js";
import { GGUF_WRITABLE_MODEL_TYPES, hfDecoderToGguf, type SourceTensor } from "./gguf-hf-decoders.js";
import { hfVocabMetadata } from "./gguf-hf-vocab.js";
import { MIX_FILE_TYPE, QUANTIZE_MIXES, chooseTensorTypes, type QuantizeMix, type RuleModel } from "./llama-quant-rules.js";
import { readJsonObject } from "./json-file.js";
import { readLlama2c } from "./llama2c.js";
import { readSafetensorsDir } from "./safetensors-index.js";

export { GGUF_WRITABLE_MODEL_TYPES } from "./gguf-hf-decoders.js";

/** The mixes `lmscope quantize` writes (llama-quant-rules.ts). */
export type GgufOutputType = QuantizeMix;
export const GGUF_OUTPUT_TYPES: readonly GgufOutputType[] = QUANTIZE_MIXES;

export interface GgufContent {
  metadata: Map<string, GgufValue>;
  tensors: GgufTensorInput[];
  /** What the file leaves out or changes that a user should know (printed by `lmscope quantize`). */
  warnings: string[];
}

/** llama.cpp token types. */
const NORMAL = 1, UNKNOWN = 2, CONTROL = 3, BYTE = 6;

const u32 = (value: number): GgufValue => ({ type: "uint32", value });
const str = (value: string): GgufValue => ({ type: "string", value });
const bool = (value: boolean): GgufValue => ({ type: "bool", value });

/** Read a model (HF folder, llama2.c file/folder or GGUF file) and produce GGUF content in the mix `type`. */
export async function modelToGguf(path: string, type: GgufOutputType): Promise<GgufContent> {
  const model = await readModel(path);
  return { ...quantizeContent(model, type, path), warnings: model.warnings };
}

/** A model as f32 tensors and metadata (llama.cpp names), and the hyperparameters the quantization rules read. */
interface SourceModel {
  metadata: Map<string, GgufValue>;
  tensors: SourceTensor[];
  rules: RuleModel;
  warnings: string[];
}

async function readModel(path: string): Promise<SourceModel> {
  const info = await stat(path).catch(() => {
    throw new ModelFormatError(path, "no such file or folder");
  });
  const configPath = join(path, "config.json");
  if (info.isDirectory() && (await stat(configPath).catch(() => null)) !== null) return huggingFaceToGguf(path);
  if (!info.isDirectory() && path.endsWith(".gguf")) return ggufSource(path);
  let file = path;
  if (info.isDirectory()) {
    const bins = (await readdir(path)).filter((n) => n.endsWith(".bin") && n !== "tokenizer.bin" && !/^tok.*\.bin$/.test(n));
    if (bins.length !== 1) throw new ModelFormatError(path, "holds neither config.json nor exactly one llama2.c .bin checkpoint");
    file = join(path, bins[0]!);
  }
  return llama2cToGguf(file);
}

/**
 * The content with its 2-D weights in the types llama-quantize gives them in `mix`,
 * `general.file_type` set, and `general.quantization_version` 2 (as llama-quantize writes it).
 */
function quantizeContent(model: SourceModel, mix: QuantizeMix, source: string): Omit<GgufContent, "warnings"> {
  const types = chooseTensorTypes(mix, model.tensors, model.rules);
  const tensors = model.tensors.map((t): GgufTensorInput => storedAs(t, types.get(t.name)!, source));
  const metadata = new Map(model.metadata);
  metadata.set("general.file_type", u32(MIX_FILE_TYPE[mix]));
  metadata.set("general.quantization_version", u32(2));
  return { metadata, tensors };
}

/** An f32 tensor stored in `type`: as is (F32), as f16, or quantized (a non-finite value is refused, naming the tensor). */
function storedAs(t: SourceTensor, type: GgufTensorType, source: string): GgufTensorInput {
  if (type === "F32" || type === "F16" || type === "BF16") return { name: t.name, shape: t.shape, data: t.data, type };
  const [rows, cols] = t.shape as [number, number];
  try {
    return { name: t.name, matrix: quantizeMatrix(t.data, rows, cols, type.toLowerCase() as QuantizeType) };
  } catch (error) {
    throw new ModelFormatError(source, (error as Error).message, t.name);
  }
}

// ─── GGUF ─────────────────────────────────────────────────────────────────────

/**
 * Another GGUF file as f32 source: metadata kept, every tensor dequantized or widened
 * (the mix's rules then decide again how each is stored).
 */
async function ggufSource(path: string): Promise<SourceModel> {
  const file = await readGguf(path);
  const tensors: SourceTensor[] = [];
  for (const t of file.tensors.values()) tensors.push({ name: t.name, data: t.kind === "matrix" ? dequantize(t.matrix) : t.data, shape: t.shape });
  const arch = ggufString(file.metadata, "general.architecture", path) ?? "llama";
  const number = (key: string) => ggufNumber(file.metadata, `${arch}.${key}`, path);
  const layers = number("block_count");
  const heads = number("attention.head_count");
  if (layers === undefined || heads === undefined) throw new ModelFormatError(path, `metadata "${arch}.block_count" or "${arch}.attention.head_count" is missing`);
  return { metadata: new Map(file.metadata), tensors, rules: { layers, heads, kvHeads: number("attention.head_count_kv") ?? heads }, warnings: [] };
}

// ─── llama2.c ─────────────────────────────────────────────────────────────────

/**
 * A llama2.c checkpoint: a Llama whose q/k rows are already in Meta's order, with
 * llama2.c's fixed hyperparameters (RMSNorm ε 1e-5, RoPE base 10⁴).
 */
async function llama2cToGguf(file: string): Promise<SourceModel> {
  const checkpoint = await readLlama2c(file);
  const c = checkpoint.config;
  const config: JsonObject = {
    model_type: "llama", hidden_size: c.dim, intermediate_size: c.hiddenDim, num_hidden_layers: c.nLayers,
    num_attention_heads: c.nHeads, num_key_value_heads: c.nKvHeads, max_position_embeddings: c.seqLen,
    rms_norm_eps: 1e-5, rope_theta: 10000, vocab_size: c.vocabSize, tie_word_embeddings: !checkpoint.tensors.has("lm_head.weight"),
  };
  const model = hfDecoderToGguf(config, `${file} (llama2.c header)`, checkpoint.tensors, file, basename(file).replace(/\.bin$/, ""), true);
  const tokenizerFile = await findTokenizerBin(dirname(file));
  if (tokenizerFile !== null) for (const [k, v] of await llama2cTokenizerMetadata(tokenizerFile, c.vocabSize)) model.metadata.set(k, v);
  return model;
}

async function findTokenizerBin(dir: string): Promise<string | null> {
  const names = (await readdir(dir)).filter((n) => n === "tokenizer.bin" || /^tok.*\.bin$/.test(n)).sort();
  if (names.includes("tokenizer.bin")) return join(dir, "tokenizer.bin");
  return names.length > 0 ? join(dir, names[0]!) : null;
}

/**
 * llama2.c tokenizer.bin (u32 max_token_length, then per token: f32 score, u32 length, bytes)
 * → SentencePiece metadata. export() wrote "▁" as " " and BOS/EOS as "\n<s>\n"/"\n</s>\n";
 * both are undone. Id 0 is <unk>, 1 BOS, 2 EOS (llama2.c's fixed ids).
 */
async function llama2cTokenizerMetadata(file: string, vocabSize: number): Promise<[string, GgufValue][]> {
  const bytes = new Uint8Array(await readFile(file));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = new TextDecoder("utf-8");
  const tokens: string[] = [];
  const scores: number[] = [];
  const types: number[] = [];
  let at = 4;
  for (let id = 0; id < vocabSize; id++) {
    if (at + 8 > bytes.length) throw new ModelFormatError(file, `ends after ${id} of ${vocabSize} tokens`);
    const score = view.getFloat32(at, true);
    const length = view.getUint32(at + 4, true);
    at += 8;
    if (length > bytes.length - at) throw new ModelFormatError(file, `token ${id} length ${length} runs past the end of the file`);
    let piece = decoder.decode(bytes.subarray(at, at + length));
    at += length;
    if (piece === "\n<s>\n" || piece === "\n</s>\n") piece = piece.trim();
    piece = piece.replaceAll(" ", "▁");
    tokens.push(piece);
    scores.push(score);
    types.push(id === 0 ? UNKNOWN : id === 1 || id === 2 ? CONTROL : /^<0x[0-9A-F]{2}>$/.test(piece) ? BYTE : NORMAL);
  }
  return [
    ["tokenizer.ggml.model", str("llama")],
    ["tokenizer.ggml.tokens", { type: "array", elementType: "string", value: tokens }],
    ["tokenizer.ggml.scores", { type: "array", elementType: "float32", value: scores }],
    ["tokenizer.ggml.token_type", { type: "array", elementType: "int32", value: types }],
    ["tokenizer.ggml.bos_token_id", u32(1)],
    ["tokenizer.ggml.eos_token_id", u32(2)],
    ["tokenizer.ggml.unknown_token_id", u32(0)],
    ["tokenizer.ggml.add_bos_token", bool(true)],
    ["tokenizer.ggml.add_eos_token", bool(false)],
  ];
}

// ─── Hugging Face ─────────────────────────────────────────────────────────────

/** A Hugging Face folder: config.json, its safetensors weights and its tokenizer files. */
async function huggingFaceToGguf(dir: string): Promise<SourceModel> {
  const configPath = join(dir, "config.json");
  const json = await readJsonObject(configPath);
  const modelType = json["model_type"];
  if (typeof modelType !== "string" || !GGUF_WRITABLE_MODEL_TYPES.includes(modelType)) {
    throw new ConfigError(configPath, `model_type ${JSON.stringify(modelType)} cannot be written as GGUF (supported: ${GGUF_WRITABLE_MODEL_TYPES.join(", ")})`);
  }
  const name = dir.replace(/\/+$/, "").replace(/^.*\//, "");
  const model = hfDecoderToGguf(json, configPath, await readSafetensorsDir(dir), dir, name);
  const vocab = await hfVocabMetadata(dir, json, { vocabSize: model.vocabSize, llamaFamily: model.llamaFamily });
  if (vocab !== null) {
    for (const [k, v] of vocab.entries) model.metadata.set(k, v);
    model.warnings.push(...vocab.warnings);
  } else {
    model.warnings.push(`${dir}: no tokenizer.json or tokenizer.model, so the GGUF file holds no tokenizer (llama.cpp needs one to load it)`);
  }
  return model;
}
