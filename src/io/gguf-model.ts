// Decoder models from GGUF files (llama.cpp's format): the tensor names of llama.cpp's
// `llm_arch` tables mapped to Hugging Face names, and a config.json built from the
// `<arch>.*` metadata, so that the same model families build the network.
//
// - `llama`, `granite`, `smollm3`: q/k rows stay in Meta's interleaved RoPE layout
//   (llama.cpp's converter un-permutes HF checkpoints), so the model is built with
//   `ropeLayout: "interleaved"`. Granite's multipliers are `attention.scale`,
//   `embedding_scale`, `residual_scale`, `logit_scale`; SmolLM3 leaves RoPE out of every
//   4th layer (llama.cpp's fixed step).
// - `qwen2`, `qwen3`, `gemma`, `gemma2`, `gemma3`, `phi3`, `olmo2`: llama.cpp rotates these
//   NEOX-style (HF's rotate_half), their rows as in the HF checkpoint ("half").
//   Gemma's norm gains are stored as 1 + w (the converter adds the 1), Phi-3's
//   q|k|v and gate|up stay fused (attn_qkv, ffn_up), as in HF.
// - `gpt2`: ggml keeps nn.Linear layout ([out, in]) and fuses q|k|v in `attn_qkv`; the
//   tensors are turned back into HF's Conv1D layout ([in, out]) for the GPT-2 builder,
//   which runs them as f32 (quantized GPT-2 tensors are dequantized).
// Quantized 2-D weights (every GGUF type, mixed per tensor) stay in their storage type
// (the backend's kernels of that type run them); a quantized token embedding (and a tied
// head) is dequantized where f32 values are needed.

import type { Backend, RopeLayout } from "../backend/backend.js";
import { jsBackend } from "../backend/js/index.js";
import { ModelFormatError } from "../errors.js";
import type { JsonObject } from "../models/config-reader.js";
import { blueprintFor } from "../models/registry.js";
import { prebuiltMatrixTensor } from "../models/weight-store.js";
import type { Tensor } from "../tensor/tensor.js";
import type { Tokenizer } from "../tokenizers/tokenizer.js";
import { ggufNumber, ggufString, ggufStringArray, readGguf, type GgufFile, type GgufTensor } from "./gguf.js";
import { ggufTokenizerConfig, hasGgufTokenizer, tokenizerFromGguf } from "./gguf-tokenizer.js";
import type { LoadedDecoder, LoadOptions } from "./load-decoder.js";

export { readGguf } from "./gguf.js";

/** llama.cpp per-block tensor names → HF names (without the `.weight`/`.bias` suffix), for llama-style architectures. */
export const LLAMA_STYLE_BLOCK_NAMES: Record<string, string> = {
  attn_norm: "input_layernorm",
  attn_q: "self_attn.q_proj",
  attn_k: "self_attn.k_proj",
  attn_v: "self_attn.v_proj",
  attn_qkv: "self_attn.qkv_proj",
  attn_output: "self_attn.o_proj",
  attn_q_norm: "self_attn.q_norm",
  attn_k_norm: "self_attn.k_norm",
  ffn_norm: "post_attention_layernorm",
  ffn_gate: "mlp.gate_proj",
  ffn_up: "mlp.up_proj",
  ffn_down: "mlp.down_proj",
};
/** Gemma 2/3 name their four norms differently: attn_norm, post_attention_norm, ffn_norm (pre-MLP), post_ffw_norm. */
const GEMMA_BLOCK_NAMES: Record<string, string> = {
  ...LLAMA_STYLE_BLOCK_NAMES,
  post_attention_norm: "post_attention_layernorm",
  ffn_norm: "pre_feedforward_layernorm",
  post_ffw_norm: "post_feedforward_layernorm",
};
/** OLMo 2 has only the two output norms, post_attention_norm and post_ffw_norm. */
const OLMO2_BLOCK_NAMES: Record<string, string> = {
  ...LLAMA_STYLE_BLOCK_NAMES,
  post_attention_norm: "post_attention_layernorm",
  post_ffw_norm: "post_feedforward_layernorm",
};
/** Phi-3 keeps gate|up fused in ffn_up. */
const PHI3_BLOCK_NAMES: Record<string, string> = { ...LLAMA_STYLE_BLOCK_NAMES, ffn_up: "mlp.gate_up_proj" };
export const LLAMA_STYLE_GLOBAL_NAMES: Record<string, string> = {
  token_embd: "model.embed_tokens",
  output_norm: "model.norm",
  output: "lm_head",
};

/** How one llama.cpp architecture maps to an HF model_type. */
interface ArchitectureMapping {
  readonly modelType: string;
  readonly blockNames: Record<string, string>;
  readonly ropeLayout: RopeLayout;
  /** HF config fields the metadata says beyond the common ones. */
  readonly extraConfig?: (m: MetadataReader, config: Record<string, unknown>) => void;
}

const LLAMA_STYLE_ARCHITECTURES: Record<string, ArchitectureMapping> = {
  llama: { modelType: "llama", blockNames: LLAMA_STYLE_BLOCK_NAMES, ropeLayout: "interleaved" },
  qwen2: { modelType: "qwen2", blockNames: LLAMA_STYLE_BLOCK_NAMES, ropeLayout: "half" },
  qwen3: { modelType: "qwen3", blockNames: LLAMA_STYLE_BLOCK_NAMES, ropeLayout: "half" },
  phi3: { modelType: "phi3", blockNames: PHI3_BLOCK_NAMES, ropeLayout: "half", extraConfig: slidingWindowOf },
  gemma: { modelType: "gemma", blockNames: LLAMA_STYLE_BLOCK_NAMES, ropeLayout: "half", extraConfig: gemmaConfig },
  gemma2: { modelType: "gemma2", blockNames: GEMMA_BLOCK_NAMES, ropeLayout: "half", extraConfig: gemmaConfig },
  gemma3: { modelType: "gemma3_text", blockNames: GEMMA_BLOCK_NAMES, ropeLayout: "half", extraConfig: gemmaConfig },
  olmo2: { modelType: "olmo2", blockNames: OLMO2_BLOCK_NAMES, ropeLayout: "half" },
  granite: { modelType: "granite", blockNames: LLAMA_STYLE_BLOCK_NAMES, ropeLayout: "interleaved", extraConfig: graniteConfig },
  smollm3: { modelType: "smollm3", blockNames: LLAMA_STYLE_BLOCK_NAMES, ropeLayout: "interleaved", extraConfig: smollm3Config },
};

/** The GGUF architectures lmscope reads. */
export const GGUF_ARCHITECTURES: readonly string[] = [...Object.keys(LLAMA_STYLE_ARCHITECTURES), "gpt2"];

/** llama.cpp GPT-2 names → HF GPT-2 names; `conv1d` ones are transposed back to [in, out]. */
const GPT2_BLOCK_NAMES: Record<string, { hf: string; conv1d: boolean }> = {
  attn_norm: { hf: "ln_1", conv1d: false },
  attn_qkv: { hf: "attn.c_attn", conv1d: true },
  attn_output: { hf: "attn.c_proj", conv1d: true },
  ffn_norm: { hf: "ln_2", conv1d: false },
  ffn_up: { hf: "mlp.c_fc", conv1d: true },
  ffn_down: { hf: "mlp.c_proj", conv1d: true },
};
const GPT2_GLOBAL_NAMES: Record<string, string> = {
  token_embd: "transformer.wte",
  position_embd: "transformer.wpe",
  output_norm: "transformer.ln_f",
  output: "lm_head",
};

const SUFFIX = /^(.*)\.(weight|bias)$/;
const BLOCK = /^blk\.(\d+)\.(.+)$/;

/** A GGUF file's model as the HF names, tensors and config.json the model families take. */
export interface GgufModelParts {
  readonly architecture: string;
  readonly config: JsonObject;
  readonly tensors: Map<string, Tensor>;
  /** Row layout of the q/k projections (and of the keys RoPE rotates). */
  readonly ropeLayout: RopeLayout;
}

/** Map a parsed GGUF file's tensors and metadata to HF names and an HF config. */
export function ggufModelParts(file: GgufFile): GgufModelParts {
  const arch = ggufString(file.metadata, "general.architecture", file.path);
  if (arch === undefined) throw new ModelFormatError(file.path, `has no "general.architecture" metadata`);
  if (arch === "gpt2") return { architecture: arch, config: gpt2Config(file), tensors: gpt2Tensors(file), ropeLayout: "half" };
  const mapping = LLAMA_STYLE_ARCHITECTURES[arch];
  if (mapping === undefined) {
    throw new ModelFormatError(file.path, `architecture "${arch}" is not supported (supported: ${GGUF_ARCHITECTURES.join(", ")})`);
  }
  return {
    architecture: arch,
    config: llamaStyleConfig(file, arch, mapping),
    tensors: renameTensors(file, (name) => llamaStyleName(name, mapping.blockNames)),
    ropeLayout: mapping.ropeLayout,
  };
}

/** Load a decoder model (and its tokenizer from the metadata) from a GGUF file. */
export async function loadGgufDecoder(path: string, options: LoadOptions = {}): Promise<LoadedDecoder> {
  // File access and the tokenizer-file loaders are imported on first use: the rest of
  // this module (ggufDecoder) also serves browsers, which have neither.
  const [{ stat }, { checkWeightsFit }] = await Promise.all([import("node:fs/promises"), import("./weight-budget.js")]);
  const fileBytes = (await stat(path)).size;
  checkWeightsFit(options.backend ?? jsBackend, fileBytes, path);
  const file = await readGguf(path);
  if (options.tokenizer === undefined) return ggufDecoder(file, fileBytes, options.backend ?? jsBackend);
  const tokenizer = await (await import("../tokenizers/load.js")).loadTokenizer(options.tokenizer);
  const tokenizerConfig = await (await import("./load-decoder.js")).tokenizerConfigOf(options.tokenizer);
  return { ...ggufDecoder(file, fileBytes, options.backend ?? jsBackend, tokenizer), tokenizerConfig };
}

/**
 * The decoder of a parsed GGUF file (`readGguf` in Node, `parseGguf` on bytes from
 * anywhere) on `backend`, with the tokenizer stored in its metadata unless one is given.
 */
export function ggufDecoder(file: GgufFile, fileBytes: number, backend: Backend, tokenizer?: Tokenizer): LoadedDecoder {
  const parts = ggufModelParts(file);
  const blueprint = blueprintFor(parts.config, `${file.path} (GGUF metadata)`, "gguf");
  const network = blueprint.build(parts.tensors, file.path, { backend, ropeLayout: parts.ropeLayout });
  const dtypes = [...new Set([...file.tensors.values()].map((t) => t.type))];
  const fromMetadata = tokenizer === undefined && hasGgufTokenizer(file.metadata);
  return {
    network,
    tokenizer: tokenizer ?? (fromMetadata ? tokenizerFromGguf(file.metadata, file.path) : null),
    source: { path: file.path, format: "gguf", dtypes, fileBytes },
    config: parts.config,
    ropeLayout: parts.ropeLayout,
    tokenizerConfig: fromMetadata ? ggufTokenizerConfig(file.metadata, file.path) : null,
  };
}

// ─── names ────────────────────────────────────────────────────────────────────

function llamaStyleName(name: string, blockNames: Record<string, string>): string | undefined {
  const m = SUFFIX.exec(name);
  if (m === null) return undefined;
  const [, base, suffix] = m as unknown as [string, string, string];
  const block = BLOCK.exec(base);
  if (block !== null) {
    const hf = blockNames[block[2]!];
    return hf === undefined ? undefined : `model.layers.${block[1]}.${hf}.${suffix}`;
  }
  const hf = LLAMA_STYLE_GLOBAL_NAMES[base];
  return hf === undefined ? undefined : `${hf}.${suffix}`;
}

function asTensor(t: GgufTensor): Tensor {
  return t.kind === "matrix" ? prebuiltMatrixTensor(t.matrix) : { data: t.data, shape: t.shape };
}

function renameTensors(file: GgufFile, rename: (name: string) => string | undefined): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [name, t] of file.tensors) {
    const hf = rename(name);
    if (hf === undefined) throw new ModelFormatError(file.path, "is not a tensor of this architecture", name);
    out.set(hf, asTensor(t));
  }
  return out;
}

function gpt2Tensors(file: GgufFile): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [name, t] of file.tensors) {
    const m = SUFFIX.exec(name);
    const block = m === null ? null : BLOCK.exec(m[1]!);
    const entry = block === null ? undefined : GPT2_BLOCK_NAMES[block[2]!];
    const global = m === null ? undefined : GPT2_GLOBAL_NAMES[m[1]!];
    const tensor = asTensor(t);
    if (m !== null && block !== null && entry !== undefined) {
      const hf = `transformer.h.${block[1]}.${entry.hf}.${m[2]}`;
      const transpose = entry.conv1d && m[2] === "weight";
      if (transpose && tensor.shape.length !== 2) throw new ModelFormatError(file.path, `expected a 2-D weight, got shape [${tensor.shape.join(", ")}]`, name);
      out.set(hf, transpose ? transposed(tensor) : tensor);
    } else if (m !== null && global !== undefined) {
      out.set(`${global}.${m[2]}`, tensor);
    } else {
      throw new ModelFormatError(file.path, "is not a tensor of this architecture", name);
    }
  }
  return out;
}

/** nn.Linear [out, in] → Conv1D [in, out]. */
function transposed(t: Tensor): Tensor {
  const [rows, cols] = t.shape as [number, number];
  const src = t.data;
  const out = new Float32Array(src.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = src[r * cols + c]!;
  return { data: out, shape: [cols, rows] };
}

// ─── config ───────────────────────────────────────────────────────────────────

class MetadataReader {
  constructor(
    readonly file: GgufFile,
    readonly arch: string,
  ) {}

  optional(key: string): number | undefined {
    return ggufNumber(this.file.metadata, `${this.arch}.${key}`, this.file.path);
  }

  required(key: string): number {
    const v = this.optional(key);
    if (v === undefined) throw new ModelFormatError(this.file.path, `metadata "${this.arch}.${key}" is missing`);
    return v;
  }

  /** The vocabulary size: `<arch>.vocab_size`, else the token list, else the embedding's rows. */
  vocabSize(): number {
    const explicit = this.optional("vocab_size");
    if (explicit !== undefined) return explicit;
    const tokens = ggufStringArray(this.file.metadata, "tokenizer.ggml.tokens", this.file.path);
    if (tokens !== undefined) return tokens.length;
    const embedding = this.file.tensors.get("token_embd.weight");
    if (embedding === undefined) throw new ModelFormatError(this.file.path, "cannot tell the vocabulary size (no vocab_size, tokens or token_embd)");
    return embedding.shape[0]!;
  }

  /** bos/eos ids from the tokenizer metadata, when present. */
  specialIds(): { bos_token_id?: number; eos_token_id?: number } {
    const ids: { bos_token_id?: number; eos_token_id?: number } = {};
    const bos = ggufNumber(this.file.metadata, "tokenizer.ggml.bos_token_id", this.file.path);
    const eos = ggufNumber(this.file.metadata, "tokenizer.ggml.eos_token_id", this.file.path);
    if (bos !== undefined) ids.bos_token_id = bos;
    if (eos !== undefined) ids.eos_token_id = eos;
    return ids;
  }
}

function llamaStyleConfig(file: GgufFile, arch: string, mapping: ArchitectureMapping): JsonObject {
  const m = new MetadataReader(file, arch);
  const hidden = m.required("embedding_length");
  const heads = m.required("attention.head_count");
  const headDim = m.optional("attention.key_length") ?? hidden / heads;
  const ropeDims = m.optional("rope.dimension_count") ?? headDim;
  if (ropeDims > headDim || ropeDims % 2 !== 0) {
    throw new ModelFormatError(file.path, `rope.dimension_count ${ropeDims} does not fit a head of ${headDim}`);
  }
  if (file.tensors.has("rope_factors_long.weight") || file.tensors.has("rope_factors_short.weight")) {
    throw new ModelFormatError(file.path, "LongRoPE factors (rope_factors_long/short, Phi-3 128k) are not supported");
  }
  const config: Record<string, unknown> = {
    model_type: mapping.modelType,
    hidden_size: hidden,
    intermediate_size: m.required("feed_forward_length"),
    num_hidden_layers: m.required("block_count"),
    num_attention_heads: heads,
    num_key_value_heads: m.optional("attention.head_count_kv") ?? heads,
    max_position_embeddings: m.required("context_length"),
    rms_norm_eps: m.optional("attention.layer_norm_rms_epsilon") ?? 1e-5,
    rope_theta: m.optional("rope.freq_base") ?? 10000,
    vocab_size: m.vocabSize(),
    tie_word_embeddings: !file.tensors.has("output.weight"),
    // qwen2's q/k/v biases are there when the file has them.
    attention_bias: file.tensors.has("blk.0.attn_q.bias") || file.tensors.has("blk.0.attn_qkv.bias"),
    ...m.specialIds(),
  };
  if (headDim !== hidden / heads) config["head_dim"] = headDim;
  if (ropeDims !== headDim) config["partial_rotary_factor"] = ropeDims / headDim;
  const scaling = ggufString(file.metadata, `${arch}.rope.scaling.type`, file.path);
  if (scaling === "linear") config["rope_scaling"] = { type: "linear", factor: m.required("rope.scaling.factor") };
  else if (scaling !== undefined && scaling !== "none") {
    throw new ModelFormatError(file.path, `rope scaling "${scaling}" is not supported (supported: none, linear)`);
  }
  mapping.extraConfig?.(m, config);
  return config;
}

/** A sliding window on every layer when the metadata names one (Mistral-style phi3). */
function slidingWindowOf(m: MetadataReader, config: Record<string, unknown>): void {
  const window = m.optional("attention.sliding_window");
  if (window !== undefined && window > 0) config["sliding_window"] = window;
}

/** Granite's four multipliers, under llama.cpp's names. */
function graniteConfig(m: MetadataReader, config: Record<string, unknown>): void {
  for (const [key, field] of [["attention.scale", "attention_multiplier"], ["embedding_scale", "embedding_multiplier"], ["residual_scale", "residual_multiplier"], ["logit_scale", "logits_scaling"]] as const) {
    const value = m.optional(key);
    if (value !== undefined) config[field] = value;
  }
}

/** llama.cpp's SmolLM3 has no RoPE in every 4th layer (src/models/smollm3.cpp). */
function smollm3Config(_m: MetadataReader, config: Record<string, unknown>): void {
  config["no_rope_layer_interval"] = 4;
}

/**
 * Gemma's score scale as llama.cpp computes it (src/models/gemma2.cpp, gemma3.cpp):
 * 1/√head_dim, or 1/√(hidden/heads) for the 27B models, which it knows by their depth.
 */
export function llamaCppGemmaAttentionScale(arch: string, layers: number, hidden: number, heads: number, headDim: number): number {
  const is27B = (arch === "gemma2" && layers === 46) || (arch === "gemma3" && layers === 62);
  return 1 / Math.sqrt(is27B ? Math.floor(hidden / heads) : headDim);
}

/**
 * Gemma's fields as llama.cpp reads them: the soft-caps (Gemma 2: 50 and 30 when the file
 * has none, as llama.cpp applies them always), the window (Gemma 2: 4096 when the file has
 * none) and the sliding layers —
 * `attention.sliding_window_pattern` (a flag per layer, or a period n: the last layer of
 * every n is full), else every other layer (Gemma 2, the even ones) or five of six (Gemma 3) —
 * with a local RoPE base of 10⁴ unless `rope.freq_base_swa` says otherwise; scores scaled
 * by `attention.scale` when the file has it, else as llama.cpp does.
 */
function gemmaConfig(m: MetadataReader, config: Record<string, unknown>): void {
  const layers = config["num_hidden_layers"] as number;
  const hidden = config["hidden_size"] as number;
  const heads = config["num_attention_heads"] as number;
  const headDim = (config["head_dim"] as number | undefined) ?? hidden / heads;
  const scale = m.optional("attention.scale") ?? llamaCppGemmaAttentionScale(m.arch, layers, hidden, heads, headDim);
  config["query_pre_attn_scalar"] = 1 / (scale * scale);
  config["hidden_activation"] = "gelu_pytorch_tanh";
  if (m.arch === "gemma") return;
  const window = m.optional("attention.sliding_window") ?? (m.arch === "gemma2" ? 4096 : undefined);
  if (window !== undefined && window > 0) {
    config["sliding_window"] = window;
    const sliding = slidingLayers(m, layers);
    config["layer_types"] = Array.from({ length: layers }, (_, l) => (sliding(l) ? "sliding_attention" : "full_attention"));
  }
  if (m.arch === "gemma2") {
    config["attn_logit_softcapping"] = m.optional("attn_logit_softcapping") ?? 50;
    config["final_logit_softcapping"] = m.optional("final_logit_softcapping") ?? 30;
  } else {
    const final = m.optional("final_logit_softcapping");
    if (final !== undefined) config["final_logit_softcapping"] = final;
    const full = { rope_type: "default", rope_theta: config["rope_theta"] };
    const scaling = config["rope_scaling"] as { factor?: number } | undefined;
    config["rope_parameters"] = {
      full_attention: scaling === undefined ? full : { ...full, rope_type: "linear", factor: scaling.factor },
      sliding_attention: { rope_type: "default", rope_theta: m.optional("rope.freq_base_swa") ?? 10000 },
    };
    delete config["rope_scaling"];
  }
}

/** Which layers of a Gemma 2/3 file slide (llama.cpp's load_swa_pattern). */
function slidingLayers(m: MetadataReader, layers: number): (layer: number) => boolean {
  const key = `${m.arch}.attention.sliding_window_pattern`;
  const value = m.file.metadata.get(key);
  if (value !== undefined && value.type === "array") {
    if (value.elementType !== "bool" || value.value.length !== layers) {
      throw new ModelFormatError(m.file.path, `metadata "${key}" must hold one bool per layer (${layers})`);
    }
    const flags = value.value as readonly boolean[];
    return (l) => flags[l]!;
  }
  const period = m.optional("attention.sliding_window_pattern") ?? (m.arch === "gemma2" ? 2 : 6);
  if (!Number.isInteger(period) || period < 0) throw new ModelFormatError(m.file.path, `metadata "${key}" = ${period} is not a layer count`);
  return (l) => period === 0 || l % period < period - 1;
}

function gpt2Config(file: GgufFile): JsonObject {
  const m = new MetadataReader(file, "gpt2");
  return {
    model_type: "gpt2",
    n_embd: m.required("embedding_length"),
    n_layer: m.required("block_count"),
    n_head: m.required("attention.head_count"),
    n_positions: m.required("context_length"),
    n_inner: m.optional("feed_forward_length") ?? 4 * m.required("embedding_length"),
    layer_norm_epsilon: m.optional("attention.layer_norm_epsilon") ?? 1e-5,
    vocab_size: m.vocabSize(),
    activation_function: "gelu_new",
    ...m.specialIds(),
  };
}
