// Decoder models from GGUF files (llama.cpp's format): the tensor names of llama.cpp's
// `llm_arch` tables mapped to Hugging Face names, and a config.json built from the
// `<arch>.*` metadata, so that the same model families build the network.
//
// - `llama`: q/k rows stay in Meta's interleaved RoPE layout (llama.cpp's converter
//   un-permutes HF checkpoints), so the model is built with `ropeLayout: "interleaved"`.
//   2-D quantized weights (every GGUF type, mixed per tensor) stay in their storage type
//   (the backend's kernels of that type run them); a
//   quantized token embedding (and a tied head) is dequantized where f32 values are needed.
// - `gpt2`: ggml keeps nn.Linear layout ([out, in]) and fuses q|k|v in `attn_qkv`; the
//   tensors are turned back into HF's Conv1D layout ([in, out]) for the GPT-2 builder,
//   which runs them as f32 (quantized GPT-2 tensors are dequantized).

import type { Backend } from "../backend/backend.js";
import { jsBackend } from "../backend/js/index.js";
import { ModelFormatError } from "../errors.js";
import type { JsonObject } from "../models/config-reader.js";
import { blueprintFor } from "../models/registry.js";
import { prebuiltMatrixTensor } from "../models/weight-store.js";
import type { Tensor } from "../tensor/tensor.js";
import type { Tokenizer } from "../tokenizers/tokenizer.js";
import { ggufNumber, ggufString, ggufStringArray, readGguf, type GgufFile, type GgufTensor } from "./gguf.js";
import { hasGgufTokenizer, tokenizerFromGguf } from "./gguf-tokenizer.js";
import type { LoadedDecoder, LoadOptions } from "./load-decoder.js";

export { readGguf } from "./gguf.js";

/** llama.cpp per-block tensor names → HF Llama names (without the `.weight`/`.bias` suffix). */
const LLAMA_BLOCK_NAMES: Record<string, string> = {
  attn_norm: "input_layernorm",
  attn_q: "self_attn.q_proj",
  attn_k: "self_attn.k_proj",
  attn_v: "self_attn.v_proj",
  attn_output: "self_attn.o_proj",
  ffn_norm: "post_attention_layernorm",
  ffn_gate: "mlp.gate_proj",
  ffn_up: "mlp.up_proj",
  ffn_down: "mlp.down_proj",
};
const LLAMA_GLOBAL_NAMES: Record<string, string> = {
  token_embd: "model.embed_tokens",
  output_norm: "model.norm",
  output: "lm_head",
};

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
}

/** Map a parsed GGUF file's tensors and metadata to HF names and an HF config (llama, gpt2). */
export function ggufModelParts(file: GgufFile): GgufModelParts {
  const arch = ggufString(file.metadata, "general.architecture", file.path);
  if (arch === undefined) throw new ModelFormatError(file.path, `has no "general.architecture" metadata`);
  switch (arch) {
    case "llama":
      return { architecture: arch, config: llamaConfig(file), tensors: renameTensors(file, llamaName) };
    case "gpt2":
      return { architecture: arch, config: gpt2Config(file), tensors: gpt2Tensors(file) };
    default:
      throw new ModelFormatError(file.path, `architecture "${arch}" is not supported (supported: llama, gpt2)`);
  }
}

/** Load a decoder model (and its tokenizer from the metadata) from a GGUF file. */
export async function loadGgufDecoder(path: string, options: LoadOptions = {}): Promise<LoadedDecoder> {
  const file = await readGguf(path);
  // File access and the tokenizer-file loaders are imported on first use: the rest of
  // this module (ggufDecoder) also serves browsers, which have neither.
  const { stat } = await import("node:fs/promises");
  let tokenizer: Tokenizer | undefined;
  if (options.tokenizer !== undefined) tokenizer = await (await import("../tokenizers/load.js")).loadTokenizer(options.tokenizer);
  return ggufDecoder(file, (await stat(path)).size, options.backend ?? jsBackend, tokenizer);
}

/**
 * The decoder of a parsed GGUF file (`readGguf` in Node, `parseGguf` on bytes from
 * anywhere) on `backend`, with the tokenizer stored in its metadata unless one is given.
 */
export function ggufDecoder(file: GgufFile, fileBytes: number, backend: Backend, tokenizer?: Tokenizer): LoadedDecoder {
  const parts = ggufModelParts(file);
  const blueprint = blueprintFor(parts.config, `${file.path} (GGUF metadata)`);
  const network = blueprint.build(parts.tensors, file.path, { backend, ropeLayout: "interleaved" });
  const dtypes = [...new Set([...file.tensors.values()].map((t) => t.type))];
  return {
    network,
    tokenizer: tokenizer ?? (hasGgufTokenizer(file.metadata) ? tokenizerFromGguf(file.metadata, file.path) : null),
    source: { path: file.path, format: "gguf", dtypes, fileBytes },
    config: parts.config,
    ropeLayout: "interleaved",
  };
}

// ─── names ────────────────────────────────────────────────────────────────────

function llamaName(name: string): string | undefined {
  const m = SUFFIX.exec(name);
  if (m === null) return undefined;
  const [, base, suffix] = m as unknown as [string, string, string];
  const block = BLOCK.exec(base);
  if (block !== null) {
    const hf = LLAMA_BLOCK_NAMES[block[2]!];
    return hf === undefined ? undefined : `model.layers.${block[1]}.${hf}.${suffix}`;
  }
  const hf = LLAMA_GLOBAL_NAMES[base];
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

function llamaConfig(file: GgufFile): JsonObject {
  const m = new MetadataReader(file, "llama");
  const hidden = m.required("embedding_length");
  const heads = m.required("attention.head_count");
  const headDim = m.optional("attention.key_length") ?? hidden / heads;
  const ropeDims = m.optional("rope.dimension_count");
  if (ropeDims !== undefined && ropeDims !== headDim) {
    throw new ModelFormatError(file.path, `partial rotary embeddings (rope.dimension_count ${ropeDims} of head size ${headDim}) are not supported`);
  }
  const config: Record<string, unknown> = {
    model_type: "llama",
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
    ...m.specialIds(),
  };
  if (headDim !== hidden / heads) config["head_dim"] = headDim;
  const scaling = ggufString(file.metadata, "llama.rope.scaling.type", file.path);
  if (scaling === "linear") config["rope_scaling"] = { type: "linear", factor: m.required("rope.scaling.factor") };
  else if (scaling !== undefined && scaling !== "none") {
    throw new ModelFormatError(file.path, `rope scaling "${scaling}" is not supported (supported: none, linear)`);
  }
  return config;
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
