// Model files → GGUF content that llama.cpp loads, following llama.cpp's
// convert_hf_to_gguf.py and llama-quantize:
// - a Hugging Face folder (llama family or gpt2: config.json + safetensors + tokenizer.json)
//   or a llama2.c checkpoint (with tokenizer.bin beside it);
// - tensor names of llama.cpp (`token_embd`, `blk.N.attn_q`, …); Llama q/k rows un-permuted
//   from HF's rotate_half layout back to Meta's interleaved layout (llama.cpp's RoPE expects
//   it); GPT-2 Conv1D weights transposed to nn.Linear layout;
// - 2-D weight matrices stored in the types llama-quantize would give them in the chosen mix
//   (llama-quant-rules.ts: per-tensor bumps and row-length fallbacks), quantized with
//   ggml's reference quantizers (tensor/block-quantizers); norms and biases stay F32;
// - the `<arch>.*` hyperparameters, `general.file_type` (llama_ftype of the mix),
//   `general.quantization_version` 2, and the `tokenizer.ggml.*` vocabulary.

import { readFile, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { ConfigError, ModelFormatError } from "../errors.js";
import { ConfigReader, type JsonObject } from "../models/config-reader.js";
import { dequantize, quantizeMatrix, type QuantizeType } from "../tensor/quantize.js";
import { ggufNumber, ggufString, readGguf, type GgufTensorInput, type GgufTensorType, type GgufValue } from "./gguf.js";
import { MIX_FILE_TYPE, QUANTIZE_MIXES, chooseTensorTypes, type QuantizeMix, type RuleModel } from "./llama-quant-rules.js";
import { readJsonObject } from "./json-file.js";
import { readLlama2c } from "./llama2c.js";
import { permuteHfToMeta } from "./llama-rotary-permute.js";
import { readSafetensorsDir } from "./safetensors-index.js";

/** The mixes `lmscope quantize` writes (llama-quant-rules.ts). */
export type GgufOutputType = QuantizeMix;
export const GGUF_OUTPUT_TYPES: readonly GgufOutputType[] = QUANTIZE_MIXES;

export interface GgufContent {
  metadata: Map<string, GgufValue>;
  tensors: GgufTensorInput[];
}

/** llama.cpp token types. */
const NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, BYTE = 6;

const u32 = (value: number): GgufValue => ({ type: "uint32", value });
const f32 = (value: number): GgufValue => ({ type: "float32", value });
const str = (value: string): GgufValue => ({ type: "string", value });
const bool = (value: boolean): GgufValue => ({ type: "bool", value });

interface Named {
  data: Float32Array;
  shape: readonly number[];
}

/** Read a model (HF folder, llama2.c file/folder or GGUF file) and produce GGUF content in the mix `type`. */
export async function modelToGguf(path: string, type: GgufOutputType): Promise<GgufContent> {
  const { content, model } = await readModel(path);
  return quantizeContent(content, type, model, path);
}

/** A tensor of the source model under its llama.cpp name, as f32 values. */
interface SourceTensor {
  name: string;
  shape: readonly number[];
  data: Float32Array;
}

/** A model as f32 tensors and metadata (llama.cpp names), and the hyperparameters the quantization rules read. */
interface SourceModel {
  content: { metadata: Map<string, GgufValue>; tensors: SourceTensor[] };
  model: RuleModel;
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
    const { readdir } = await import("node:fs/promises");
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
function quantizeContent(content: SourceModel["content"], mix: QuantizeMix, model: RuleModel, source: string): GgufContent {
  const types = chooseTensorTypes(mix, content.tensors, model);
  const tensors = content.tensors.map((t): GgufTensorInput => storedAs(t, types.get(t.name)!, source));
  const metadata = new Map(content.metadata);
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

// ─── tensors ──────────────────────────────────────────────────────────────────

/** A tensor as f32 source data (quantizeContent decides how each is stored). */
function sourceTensor(name: string, t: Named): SourceTensor {
  return { name, shape: t.shape, data: t.data };
}

function take(tensors: ReadonlyMap<string, Named>, name: string, source: string): Named {
  const t = tensors.get(name);
  if (t === undefined) throw new ModelFormatError(source, "missing", name);
  return t;
}

interface LlamaHyper {
  hidden: number;
  ffn: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  context: number;
  eps: number;
  theta: number;
  vocab: number;
}

function llamaTensors(tensors: ReadonlyMap<string, Named>, h: LlamaHyper, hfRotary: boolean, source: string): SourceTensor[] {
  const out: SourceTensor[] = [];
  const get = (name: string) => take(tensors, name, source);
  out.push(sourceTensor("token_embd.weight", get("model.embed_tokens.weight")));
  for (let l = 0; l < h.layers; l++) {
    const p = `model.layers.${l}`;
    const unpermute = (t: Named, heads: number): Named =>
      hfRotary ? { data: permuteHfToMeta(t.data, heads, t.shape[1]!), shape: t.shape } : t;
    out.push(sourceTensor(`blk.${l}.attn_norm.weight`, get(`${p}.input_layernorm.weight`)));
    out.push(sourceTensor(`blk.${l}.attn_q.weight`, unpermute(get(`${p}.self_attn.q_proj.weight`), h.heads)));
    out.push(sourceTensor(`blk.${l}.attn_k.weight`, unpermute(get(`${p}.self_attn.k_proj.weight`), h.kvHeads)));
    out.push(sourceTensor(`blk.${l}.attn_v.weight`, get(`${p}.self_attn.v_proj.weight`)));
    out.push(sourceTensor(`blk.${l}.attn_output.weight`, get(`${p}.self_attn.o_proj.weight`)));
    out.push(sourceTensor(`blk.${l}.ffn_norm.weight`, get(`${p}.post_attention_layernorm.weight`)));
    out.push(sourceTensor(`blk.${l}.ffn_gate.weight`, get(`${p}.mlp.gate_proj.weight`)));
    out.push(sourceTensor(`blk.${l}.ffn_up.weight`, get(`${p}.mlp.up_proj.weight`)));
    out.push(sourceTensor(`blk.${l}.ffn_down.weight`, get(`${p}.mlp.down_proj.weight`)));
    for (const [hf, gg] of [["q_proj", "attn_q"], ["k_proj", "attn_k"], ["v_proj", "attn_v"], ["o_proj", "attn_output"]] as const) {
      const bias = tensors.get(`${p}.self_attn.${hf}.bias`);
      if (bias === undefined) continue;
      const heads = hf === "q_proj" ? h.heads : h.kvHeads;
      const data = hfRotary && (hf === "q_proj" || hf === "k_proj") ? permuteHfToMeta(bias.data, heads, 1) : bias.data;
      out.push(sourceTensor(`blk.${l}.${gg}.bias`, { data, shape: bias.shape }));
    }
  }
  out.push(sourceTensor("output_norm.weight", get("model.norm.weight")));
  const head = tensors.get("lm_head.weight");
  if (head !== undefined) out.push(sourceTensor("output.weight", head));
  return out;
}

/** `general.file_type` and `general.quantization_version` are set by quantizeContent. */
function llamaMetadata(name: string, h: LlamaHyper): [string, GgufValue][] {
  const meta: [string, GgufValue][] = [
    ["general.architecture", str("llama")],
    ["general.name", str(name)],
  ];
  meta.push(
    ["llama.context_length", u32(h.context)],
    ["llama.embedding_length", u32(h.hidden)],
    ["llama.block_count", u32(h.layers)],
    ["llama.feed_forward_length", u32(h.ffn)],
    ["llama.rope.dimension_count", u32(h.headDim)],
    ["llama.attention.head_count", u32(h.heads)],
    ["llama.attention.head_count_kv", u32(h.kvHeads)],
    ["llama.attention.layer_norm_rms_epsilon", f32(h.eps)],
    ["llama.rope.freq_base", f32(h.theta)],
    ["llama.vocab_size", u32(h.vocab)],
  );
  if (h.headDim * h.heads !== h.hidden) meta.push(["llama.attention.key_length", u32(h.headDim)], ["llama.attention.value_length", u32(h.headDim)]);
  return meta;
}

// ─── GGUF ─────────────────────────────────────────────────────────────────────

/**
 * Another GGUF file as f32 source: metadata kept, every tensor dequantized or widened
 * (the mix's rules then decide again how each is stored).
 */
async function ggufSource(path: string): Promise<SourceModel> {
  const file = await readGguf(path);
  const tensors: SourceTensor[] = [];
  for (const t of file.tensors.values()) tensors.push(sourceTensor(t.name, { data: t.kind === "matrix" ? dequantize(t.matrix) : t.data, shape: t.shape }));
  const arch = ggufString(file.metadata, "general.architecture", path) ?? "llama";
  const number = (key: string) => ggufNumber(file.metadata, `${arch}.${key}`, path);
  const layers = number("block_count");
  const heads = number("attention.head_count");
  if (layers === undefined || heads === undefined) throw new ModelFormatError(path, `metadata "${arch}.block_count" or "${arch}.attention.head_count" is missing`);
  return { content: { metadata: new Map(file.metadata), tensors }, model: { layers, heads, kvHeads: number("attention.head_count_kv") ?? heads } };
}

// ─── llama2.c ─────────────────────────────────────────────────────────────────

async function llama2cToGguf(file: string): Promise<SourceModel> {
  const checkpoint = await readLlama2c(file);
  const c = checkpoint.config;
  const h: LlamaHyper = {
    hidden: c.dim, ffn: c.hiddenDim, layers: c.nLayers, heads: c.nHeads, kvHeads: c.nKvHeads,
    headDim: c.dim / c.nHeads, context: c.seqLen, eps: 1e-5, theta: 10000, vocab: c.vocabSize,
  };
  const metadata = new Map(llamaMetadata(file.replace(/^.*\//, "").replace(/\.bin$/, ""), h));
  const tokenizerFile = await findTokenizerBin(dirname(file));
  if (tokenizerFile !== null) for (const [k, v] of await llama2cTokenizerMetadata(tokenizerFile, c.vocabSize)) metadata.set(k, v);
  return { content: { metadata, tensors: llamaTensors(checkpoint.tensors, h, false, file) }, model: { layers: h.layers, heads: h.heads, kvHeads: h.kvHeads } };
}

async function findTokenizerBin(dir: string): Promise<string | null> {
  const { readdir } = await import("node:fs/promises");
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

async function huggingFaceToGguf(dir: string): Promise<SourceModel> {
  const configPath = join(dir, "config.json");
  const json = await readJsonObject(configPath);
  const c = new ConfigReader(json, configPath);
  const modelType = c.string("model_type");
  const tensors = await readSafetensorsDir(dir);
  const name = dir.replace(/\/+$/, "").replace(/^.*\//, "");
  let source: SourceModel;
  if (modelType === "llama") {
    const hidden = c.positiveInt("hidden_size");
    const heads = c.positiveInt("num_attention_heads");
    const h: LlamaHyper = {
      hidden, ffn: c.positiveInt("intermediate_size"), layers: c.positiveInt("num_hidden_layers"), heads,
      kvHeads: c.positiveInt("num_key_value_heads", heads), headDim: c.has("head_dim") ? c.positiveInt("head_dim") : hidden / heads,
      context: c.positiveInt("max_position_embeddings"), eps: c.positiveNumber("rms_norm_eps", 1e-6),
      theta: c.positiveNumber("rope_theta", 10000), vocab: c.positiveInt("vocab_size"),
    };
    if (json["rope_scaling"] !== undefined && json["rope_scaling"] !== null) {
      throw new ConfigError(configPath, "rope_scaling is not supported by lmscope quantize yet");
    }
    const content = { metadata: new Map(llamaMetadata(name, h)), tensors: llamaTensors(tensors, h, true, dir) };
    source = { content, model: { layers: h.layers, heads: h.heads, kvHeads: h.kvHeads } };
  } else if (modelType === "gpt2") {
    const heads = c.positiveInt("n_head");
    source = { content: gpt2ToGguf(name, c, tensors, dir), model: { layers: c.positiveInt("n_layer"), heads, kvHeads: heads } };
  } else {
    throw new ConfigError(configPath, `model_type "${modelType}" cannot be written as GGUF yet (supported: llama, gpt2)`);
  }
  const tokenizerPath = join(dir, "tokenizer.json");
  if ((await stat(tokenizerPath).catch(() => null)) !== null) {
    const tokenizerConfigPath = join(dir, "tokenizer_config.json");
    const tokenizerConfig = (await stat(tokenizerConfigPath).catch(() => null)) === null ? {} : await readJsonObject(tokenizerConfigPath);
    for (const [k, v] of hfTokenizerMetadata(await readJsonObject(tokenizerPath), tokenizerConfig, json, tokenizerPath)) source.content.metadata.set(k, v);
  }
  return source;
}

function gpt2ToGguf(name: string, c: ConfigReader, source: ReadonlyMap<string, Named>, dir: string): SourceModel["content"] {
  const dim = c.positiveInt("n_embd");
  const layers = c.positiveInt("n_layer");
  const ffn = c.has("n_inner") ? c.positiveInt("n_inner") : 4 * dim;
  const tensors = new Map<string, Named>();
  for (const [n, t] of source) tensors.set(n.startsWith("transformer.") || n.startsWith("lm_head.") ? n : `transformer.${n}`, t);
  const get = (n: string) => take(tensors, n, dir);
  /** Conv1D [in, out] → nn.Linear [out, in]. */
  const linear = (n: string): Named => {
    const t = get(n);
    const [rows, cols] = t.shape as [number, number];
    const out = new Float32Array(t.data.length);
    for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) out[k * rows + r] = t.data[r * cols + k]!;
    return { data: out, shape: [cols, rows] };
  };
  const out: SourceTensor[] = [
    sourceTensor("token_embd.weight", get("transformer.wte.weight")),
    sourceTensor("position_embd.weight", get("transformer.wpe.weight")),
  ];
  for (let l = 0; l < layers; l++) {
    const p = `transformer.h.${l}`;
    const b = `blk.${l}`;
    out.push(
      sourceTensor(`${b}.attn_norm.weight`, get(`${p}.ln_1.weight`)), sourceTensor(`${b}.attn_norm.bias`, get(`${p}.ln_1.bias`)),
      sourceTensor(`${b}.attn_qkv.weight`, linear(`${p}.attn.c_attn.weight`)), sourceTensor(`${b}.attn_qkv.bias`, get(`${p}.attn.c_attn.bias`)),
      sourceTensor(`${b}.attn_output.weight`, linear(`${p}.attn.c_proj.weight`)), sourceTensor(`${b}.attn_output.bias`, get(`${p}.attn.c_proj.bias`)),
      sourceTensor(`${b}.ffn_norm.weight`, get(`${p}.ln_2.weight`)), sourceTensor(`${b}.ffn_norm.bias`, get(`${p}.ln_2.bias`)),
      sourceTensor(`${b}.ffn_up.weight`, linear(`${p}.mlp.c_fc.weight`)), sourceTensor(`${b}.ffn_up.bias`, get(`${p}.mlp.c_fc.bias`)),
      sourceTensor(`${b}.ffn_down.weight`, linear(`${p}.mlp.c_proj.weight`)), sourceTensor(`${b}.ffn_down.bias`, get(`${p}.mlp.c_proj.bias`)),
    );
  }
  out.push(sourceTensor("output_norm.weight", get("transformer.ln_f.weight")), sourceTensor("output_norm.bias", get("transformer.ln_f.bias")));
  const head = tensors.get("lm_head.weight");
  if (head !== undefined) out.push(sourceTensor("output.weight", head));
  const metadata = new Map<string, GgufValue>([
    ["general.architecture", str("gpt2")],
    ["general.name", str(name)],
    ["gpt2.context_length", u32(c.positiveInt("n_positions"))],
    ["gpt2.embedding_length", u32(dim)],
    ["gpt2.feed_forward_length", u32(ffn)],
    ["gpt2.block_count", u32(layers)],
    ["gpt2.attention.head_count", u32(c.positiveInt("n_head"))],
    ["gpt2.attention.layer_norm_epsilon", f32(c.positiveNumber("layer_norm_epsilon", 1e-5))],
    ["gpt2.vocab_size", u32(c.positiveInt("vocab_size"))],
  ]);
  return { metadata, tensors: out };
}

/**
 * tokenizer.json → `tokenizer.ggml.*`: a byte-fallback BPE (Llama/SentencePiece style) as
 * "llama" with scores that rank each merged piece by its first merge (llama.cpp's SPM
 * tokenizer merges the highest-scoring pair, which then reproduces the BPE merge order);
 * a ByteLevel BPE as "gpt2" with its merges.
 */
function hfTokenizerMetadata(tokenizer: JsonObject, tokenizerConfig: JsonObject, modelConfig: JsonObject, file: string): [string, GgufValue][] {
  const model = tokenizer["model"] as JsonObject | undefined;
  if (model === undefined || model["type"] !== "BPE") throw new ModelFormatError(file, "only BPE tokenizers can be written to GGUF");
  const vocab = model["vocab"] as Record<string, number>;
  const added = (Array.isArray(tokenizer["added_tokens"]) ? tokenizer["added_tokens"] : []) as { id: number; content: string; special: boolean }[];
  const size = Math.max(-1, ...Object.values(vocab), ...added.map((t) => t.id)) + 1;
  const tokens: string[] = new Array(size).fill("");
  const types: number[] = new Array(size).fill(NORMAL);
  for (const [piece, id] of Object.entries(vocab)) tokens[id] = piece;
  for (const t of added) {
    tokens[t.id] = t.content;
    types[t.id] = t.special ? CONTROL : USER_DEFINED;
  }
  for (let id = 0; id < size; id++) {
    if (tokens[id] === "") { tokens[id] = `[PAD${id}]`; types[id] = 5; } // UNUSED filler for holes in the ids
  }
  const merges = ((model["merges"] ?? []) as (string | [string, string])[]).map((m) => (typeof m === "string" ? m : m.join(" ")));
  const idOf = (value: unknown): number | undefined => {
    const content = typeof value === "string" ? value : typeof value === "object" && value !== null ? (value as JsonObject)["content"] : undefined;
    const id = typeof content === "string" ? tokens.indexOf(content) : -1;
    return id >= 0 ? id : undefined;
  };
  const meta: [string, GgufValue][] = [];
  const bos = idOf(tokenizerConfig["bos_token"]) ?? (typeof modelConfig["bos_token_id"] === "number" ? modelConfig["bos_token_id"] : undefined);
  const eos = idOf(tokenizerConfig["eos_token"]) ?? (typeof modelConfig["eos_token_id"] === "number" ? modelConfig["eos_token_id"] : undefined);
  if (model["byte_fallback"] === true) {
    const unk = typeof model["unk_token"] === "string" ? tokens.indexOf(model["unk_token"]) : -1;
    if (unk >= 0) types[unk] = UNKNOWN;
    tokens.forEach((t, id) => {
      if (/^<0x[0-9A-F]{2}>$/.test(t)) types[id] = BYTE;
    });
    const rank = new Map<string, number>();
    merges.forEach((m, i) => {
      const merged = m.replace(" ", "");
      if (!rank.has(merged)) rank.set(merged, i);
    });
    const scores = tokens.map((t, id) => (types[id] === NORMAL && rank.has(t) ? -rank.get(t)! : types[id] === NORMAL ? -merges.length - 1 : 0));
    meta.push(
      ["tokenizer.ggml.model", str("llama")],
      ["tokenizer.ggml.tokens", { type: "array", elementType: "string", value: tokens }],
      ["tokenizer.ggml.scores", { type: "array", elementType: "float32", value: scores }],
      ["tokenizer.ggml.token_type", { type: "array", elementType: "int32", value: types }],
    );
    if (unk >= 0) meta.push(["tokenizer.ggml.unknown_token_id", u32(unk)]);
  } else {
    meta.push(
      ["tokenizer.ggml.model", str("gpt2")],
      ["tokenizer.ggml.pre", str("gpt-2")],
      ["tokenizer.ggml.tokens", { type: "array", elementType: "string", value: tokens }],
      ["tokenizer.ggml.token_type", { type: "array", elementType: "int32", value: types }],
      ["tokenizer.ggml.merges", { type: "array", elementType: "string", value: merges }],
    );
  }
  if (bos !== undefined) meta.push(["tokenizer.ggml.bos_token_id", u32(bos)]);
  if (eos !== undefined) meta.push(["tokenizer.ggml.eos_token_id", u32(eos)]);
  const addBos = tokenizerConfig["add_bos_token"];
  const addEos = tokenizerConfig["add_eos_token"];
  meta.push(["tokenizer.ggml.add_bos_token", bool(typeof addBos === "boolean" ? addBos : model["byte_fallback"] === true)]);
  meta.push(["tokenizer.ggml.add_eos_token", bool(addEos === true)]);
  return meta;
}
