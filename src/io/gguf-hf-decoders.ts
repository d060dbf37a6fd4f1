// Hugging Face decoder checkpoints as llama.cpp's GGUF architectures: tensor names,
// tensor layouts and `<arch>.*` hyperparameters, following llama.cpp's
// convert_hf_to_gguf.py per architecture (conversion/{llama,qwen,gemma,phi,olmo,granite,
// gpt2}.py, the TextModel base) and what llama.cpp reads back (src/models/<arch>.cpp):
//
//   model_type       arch     q/k rows            particulars
//   llama, mistral   llama    Meta (un-permuted)  vocab_size, rope.dimension_count
//   granite          granite  Meta                attention.scale, embedding/residual/logit scales
//   smollm3          smollm3  Meta                NoPE on every 4th layer (llama.cpp fixes it)
//   qwen2            qwen2    HF                  q/k/v biases
//   qwen3            qwen3    HF                  attn_q_norm / attn_k_norm per head, key_length
//   olmo2            olmo2    HF                  post_attention_norm / post_ffw_norm only,
//                                                 q/k norms over the whole projection
//   phi3             phi3     HF                  attn_qkv (q|k|v) and ffn_up (gate|up) fused, partial rotary
//   gemma            gemma    HF                  RMSNorm gains stored as 1 + w, tied head
//   gemma2           gemma2   HF                  RMSNorm gains stored as 1 + w, four norms per block, soft-caps, window
//   gemma3_text      gemma3   HF                  + q/k norms (1 + w), local RoPE base
//   gpt2             gpt2     —                   Conv1D weights transposed to nn.Linear layout
//
// llama.cpp rotates llama/granite/smollm3 NORM-style (adjacent pairs), so their q/k rows
// (and biases) go back from HF's rotate_half order to Meta's; the others rotate NEOX-style
// as HF does. Gemma's embedding scale (√hidden) is applied by llama.cpp, not stored.
//
// Where llama.cpp's converter would write a file llama.cpp then runs differently from the
// checkpoint, lmscope writes the same model in a form llama.cpp runs as it stands:
// - Gemma 1/2/3 scale scores by a fixed 1/√head_dim (1/√(hidden/heads) at 27B's depth) and
//   ignore query_pre_attn_scalar: a different scale is folded into attn_q (Gemma 1/2) or
//   attn_q_norm (Gemma 3), which is exact because RoPE and the dot product are linear;
// - Gemma 2/3 slide on every other / five of six layers unless
//   `attention.sliding_window_pattern` says otherwise: it is written (one flag per
//   layer) when config.json's layer_types differ from that default;
// - Gemma 1/2's RoPE base is written when it is not 10⁴ (llama.cpp reads it; its
//   converter leaves it out).
// What llama.cpp cannot run is refused (ConfigError): Gemma 1/2 with their own output
// head, Gemma 2 without soft-caps or a window (llama.cpp always ties, soft-caps and slides),
// Gemma 3 with attention soft-capping, SmolLM3 NoPE layers other than every 4th, Granite
// with its own head_dim, RoPE scaling other than linear, partial rotary with Meta rows.
// A sliding window llama.cpp's architecture lacks (Mistral, Qwen 2/3 with
// use_sliding_window) is dropped, as llama.cpp's converter does, with a warning.

import { ConfigError, ModelFormatError } from "../errors.js";
import { ConfigReader, type JsonObject } from "../models/config-reader.js";
import { gemmaSpec } from "../models/decoder/gemma.js";
import { graniteSpec } from "../models/decoder/granite.js";
import { llamaSpec } from "../models/decoder/llama.js";
import type { LlamaStyleSpec } from "../models/decoder/llama-style.js";
import { olmo2Spec } from "../models/decoder/olmo2.js";
import { phi3Spec } from "../models/decoder/phi3.js";
import { smollm3Spec } from "../models/decoder/smollm3.js";
import { readRope } from "../models/rope-config.js";
import type { GgufValue } from "./gguf.js";
import { llamaCppGemmaAttentionScale } from "./gguf-model.js";
import { permuteHfToMeta } from "./llama-rotary-permute.js";
import type { RuleModel } from "./llama-quant-rules.js";

/** A tensor as f32 values with its row-major shape. */
export interface NamedTensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** A tensor of the model under its llama.cpp name. */
export interface SourceTensor extends NamedTensor {
  readonly name: string;
}

/** A checkpoint in llama.cpp's terms, ready for the quantization mix. */
export interface GgufModel {
  readonly metadata: Map<string, GgufValue>;
  readonly tensors: SourceTensor[];
  /** The hyperparameters llama-quantize's rules read. */
  readonly rules: RuleModel;
  /** Rows of the token embedding (config.json's vocab_size): the token list is padded to it. */
  readonly vocabSize: number;
  /** llama.cpp's LlamaModel vocabulary rules apply (vocab 49152 adds no BOS). */
  readonly llamaFamily: boolean;
  /** What the file leaves out or changes that a user should know. */
  readonly warnings: string[];
}

const u32 = (value: number): GgufValue => ({ type: "uint32", value });
const f32 = (value: number): GgufValue => ({ type: "float32", value });
const str = (value: string): GgufValue => ({ type: "string", value });

/** What an architecture's writer works from: config.json read by the model family that builds it. */
interface Hyper {
  readonly c: ConfigReader;
  readonly spec: LlamaStyleSpec;
  readonly arch: string;
  readonly warnings: string[];
}

interface ArchitectureWriter {
  /** llama.cpp's architecture name. */
  readonly arch: string;
  readonly spec: (json: JsonObject, source: string) => LlamaStyleSpec;
  /** llama.cpp rotates NORM-style: HF q/k rows go back to Meta's interleaved order. */
  readonly metaRows: boolean;
  /** Added to every RMSNorm gain (Gemma checkpoints hold w of 1 + w; llama.cpp's files hold 1 + w). */
  readonly normShift: number;
  readonly llamaFamily: boolean;
  /** Refuses what llama.cpp cannot run; notes what it drops. */
  readonly check?: (h: Hyper) => void;
  readonly hyperparameters: (h: Hyper) => [string, GgufValue][];
  /** Changes to the named tensors (after the norm shift). */
  readonly adjust?: (h: Hyper, tensors: SourceTensor[]) => SourceTensor[];
}

/** llama.cpp's NORM RoPE (adjacent pairs) and Llama's vocabulary rules; NEOX RoPE (HF's halves). */
const NORM_ROPE = { metaRows: true, normShift: 0, llamaFamily: true } as const;
const NEOX_ROPE = { metaRows: false, normShift: 0, llamaFamily: false } as const;

const WRITERS: Readonly<Record<string, ArchitectureWriter>> = {
  llama: { arch: "llama", spec: llamaSpec, ...NORM_ROPE, check: windowDropped, hyperparameters: llamaHyperparameters },
  mistral: { arch: "llama", spec: llamaSpec, ...NORM_ROPE, check: windowDropped, hyperparameters: llamaHyperparameters },
  granite: { arch: "granite", spec: graniteSpec, ...NORM_ROPE, check: graniteCheck, hyperparameters: graniteHyperparameters },
  smollm3: { arch: "smollm3", spec: smollm3Spec, ...NORM_ROPE, check: smollm3Check, hyperparameters: llamaHyperparameters },
  qwen2: { arch: "qwen2", spec: llamaSpec, ...NEOX_ROPE, check: windowDropped, hyperparameters: baseHyperparameters },
  qwen3: { arch: "qwen3", spec: llamaSpec, ...NEOX_ROPE, check: windowDropped, hyperparameters: baseHyperparameters },
  olmo2: { arch: "olmo2", spec: olmo2Spec, ...NEOX_ROPE, check: windowDropped, hyperparameters: baseHyperparameters },
  phi3: { arch: "phi3", spec: phi3Spec, ...NEOX_ROPE, hyperparameters: phi3Hyperparameters },
  gemma: {
    arch: "gemma", spec: (json, source) => gemmaSpec(json, source, "huggingface"), ...NEOX_ROPE, normShift: 1,
    check: untiedGemma, hyperparameters: gemmaHyperparameters, adjust: foldGemmaAttentionScale,
  },
  gemma2: {
    arch: "gemma2", spec: (json, source) => gemmaSpec(json, source, "huggingface"), ...NEOX_ROPE, normShift: 1,
    check: gemma2Check, hyperparameters: gemma2Hyperparameters, adjust: foldGemmaAttentionScale,
  },
  gemma3_text: {
    arch: "gemma3", spec: (json, source) => gemmaSpec(json, source, "huggingface"), ...NEOX_ROPE, normShift: 1,
    check: gemma3Check, hyperparameters: gemma3Hyperparameters, adjust: foldGemmaAttentionScale,
  },
};

/** The config.json model_types `lmscope quantize` writes as GGUF. */
export const GGUF_WRITABLE_MODEL_TYPES: readonly string[] = [...Object.keys(WRITERS), "gpt2"];

/**
 * A Hugging Face decoder (config.json and its tensors by HF name) in llama.cpp's terms.
 * `rowsInMetaOrder`: the q/k rows are already in Meta's order (llama2.c checkpoints).
 */
export function hfDecoderToGguf(
  json: JsonObject,
  configPath: string,
  tensors: ReadonlyMap<string, NamedTensor>,
  source: string,
  name: string,
  rowsInMetaOrder = false,
): GgufModel {
  const c = new ConfigReader(json, configPath);
  const modelType = c.string("model_type");
  if (modelType === "gpt2") return gpt2ToGguf(c, tensors, source, name);
  const writer = WRITERS[modelType];
  if (writer === undefined) {
    throw new ConfigError(configPath, `model_type "${modelType}" cannot be written as GGUF (supported: ${GGUF_WRITABLE_MODEL_TYPES.join(", ")})`);
  }
  const h: Hyper = { c, spec: writer.spec(json, configPath), arch: writer.arch, warnings: [] };
  writer.check?.(h);
  if (writer.metaRows && h.spec.layers.some((l) => l.rope !== null && l.rope.partialFactor !== 1)) {
    throw new ConfigError(configPath, `partial rotary cannot be written for llama.cpp's "${writer.arch}" (it rotates whole heads)`);
  }
  let out = llamaStyleTensors(h.spec, tensors, source, writer.metaRows && !rowsInMetaOrder, h.warnings);
  if (writer.normShift !== 0) out = out.map((t) => (t.name.endsWith("norm.weight") ? { ...t, data: t.data.map((v) => v + writer.normShift) } : t));
  if (writer.adjust !== undefined) out = writer.adjust(h, out);
  const metadata = new Map<string, GgufValue>([
    ["general.architecture", str(writer.arch)],
    ["general.name", str(name)],
  ]);
  for (const [key, value] of writer.hyperparameters(h)) metadata.set(key.replace(/^@/, `${writer.arch}.`), value);
  const { numLayers, numHeads, numKvHeads } = h.spec.config;
  return {
    metadata,
    tensors: out,
    rules: { layers: numLayers, heads: numHeads, kvHeads: numKvHeads },
    vocabSize: h.spec.config.vocabSize,
    llamaFamily: writer.llamaFamily,
    warnings: h.warnings,
  };
}

// ─── tensors ──────────────────────────────────────────────────────────────────

/** Buffers older checkpoints carry that are not parameters. */
const BUFFERS = /\.rotary_emb\.inv_freq$/;

function llamaStyleTensors(
  spec: LlamaStyleSpec,
  tensors: ReadonlyMap<string, NamedTensor>,
  source: string,
  unpermute: boolean,
  warnings: string[],
): SourceTensor[] {
  const { numLayers, numHeads, numKvHeads } = spec.config;
  const used = new Set<string>();
  const out: SourceTensor[] = [];
  const get = (hf: string): NamedTensor => {
    const t = tensors.get(hf);
    if (t === undefined) throw new ModelFormatError(source, "missing", hf);
    used.add(hf);
    return t;
  };
  /** `gguf` ← `hf`, with Meta row order for q/k when `heads` is given and unpermuting. */
  const put = (gguf: string, hf: string, heads?: number): void => {
    const t = get(hf);
    const cols = t.shape.length === 2 ? t.shape[1]! : 1;
    const data = heads !== undefined && unpermute ? permuteHfToMeta(t.data, heads, cols) : t.data;
    out.push({ name: gguf, shape: t.shape, data });
  };
  const putLinear = (gguf: string, hf: string, bias: boolean | "if-present", heads?: number): void => {
    put(`${gguf}.weight`, `${hf}.weight`, heads);
    if (bias === true || (bias === "if-present" && tensors.has(`${hf}.bias`))) put(`${gguf}.bias`, `${hf}.bias`, heads);
  };

  put("token_embd.weight", "model.embed_tokens.weight");
  for (let l = 0; l < numLayers; l++) {
    const p = `model.layers.${l}`;
    const b = `blk.${l}`;
    if (spec.norms !== "post-outputs") put(`${b}.attn_norm.weight`, `${p}.input_layernorm.weight`);
    if (spec.norms === "pre") put(`${b}.ffn_norm.weight`, `${p}.post_attention_layernorm.weight`);
    else put(`${b}.post_attention_norm.weight`, `${p}.post_attention_layernorm.weight`);
    if (spec.norms === "sandwich") put(`${b}.ffn_norm.weight`, `${p}.pre_feedforward_layernorm.weight`);
    if (spec.norms !== "pre") put(`${b}.post_ffw_norm.weight`, `${p}.post_feedforward_layernorm.weight`);

    if (spec.fusedProjections) putLinear(`${b}.attn_qkv`, `${p}.self_attn.qkv_proj`, spec.attentionBias);
    else {
      putLinear(`${b}.attn_q`, `${p}.self_attn.q_proj`, spec.attentionBias, numHeads);
      putLinear(`${b}.attn_k`, `${p}.self_attn.k_proj`, spec.attentionBias, numKvHeads);
      putLinear(`${b}.attn_v`, `${p}.self_attn.v_proj`, spec.attentionBias);
    }
    putLinear(`${b}.attn_output`, `${p}.self_attn.o_proj`, "if-present");
    if (spec.qkNorm !== null) {
      put(`${b}.attn_q_norm.weight`, `${p}.self_attn.q_norm.weight`);
      put(`${b}.attn_k_norm.weight`, `${p}.self_attn.k_norm.weight`);
    }
    if (spec.fusedProjections) putLinear(`${b}.ffn_up`, `${p}.mlp.gate_up_proj`, spec.mlpBias);
    else {
      putLinear(`${b}.ffn_gate`, `${p}.mlp.gate_proj`, spec.mlpBias);
      putLinear(`${b}.ffn_up`, `${p}.mlp.up_proj`, spec.mlpBias);
    }
    putLinear(`${b}.ffn_down`, `${p}.mlp.down_proj`, spec.mlpBias);
  }
  put("output_norm.weight", "model.norm.weight");
  if (!spec.tieWordEmbeddings) put("output.weight", "lm_head.weight");

  const unused = [...tensors.keys()].filter((n) => !used.has(n) && !BUFFERS.test(n) && !(spec.tieWordEmbeddings && n === "lm_head.weight"));
  if (unused.length > 0) warnings.push(`${source}: ${unused.length} tensor(s) left out, not part of a ${spec.config.modelType} model: ${unused.slice(0, 8).join(", ")}${unused.length > 8 ? ", …" : ""}`);
  return out;
}

/** Folds the ratio of the checkpoint's score scale to llama.cpp's into the queries (see the header). */
function foldGemmaAttentionScale(h: Hyper, tensors: SourceTensor[]): SourceTensor[] {
  const { numLayers, hiddenSize, numHeads, headDim } = h.spec.config;
  const factor = h.spec.attentionScale / llamaCppGemmaAttentionScale(h.arch, numLayers, hiddenSize, numHeads, headDim);
  if (Math.abs(factor - 1) < 1e-7) return tensors;
  // Gemma 3 normalizes each query head before RoPE: scaling q_proj would be undone, so its gain takes the factor.
  const target = h.arch === "gemma3" ? /^blk\.\d+\.attn_q_norm\.weight$/ : /^blk\.\d+\.attn_q\.(weight|bias)$/;
  return tensors.map((t) => (target.test(t.name) ? { ...t, data: t.data.map((v) => v * factor) } : t));
}

// ─── hyperparameters ──────────────────────────────────────────────────────────
// Keys starting with "@" are `<arch>.` keys.

/** TextModel.set_gguf_parameters: what every architecture writes. */
function baseHyperparameters(h: Hyper): [string, GgufValue][] {
  const { c, spec } = h;
  const cfg = spec.config;
  const rope = readRope(c, "full_attention");
  const meta: [string, GgufValue][] = [
    ["@block_count", u32(cfg.numLayers)],
    ["@context_length", u32(cfg.contextLength)],
    ["@embedding_length", u32(cfg.hiddenSize)],
    ["@feed_forward_length", u32(cfg.intermediateSize)],
    ["@attention.head_count", u32(cfg.numHeads)],
    ["@attention.head_count_kv", u32(cfg.numKvHeads)],
  ];
  if (rope.scaling !== null) {
    if (rope.scaling.type !== "linear") {
      throw new ConfigError(c.source, `RoPE scaling "${rope.scaling.type}" cannot be written as GGUF yet (supported: linear)`);
    }
    meta.push(["@rope.scaling.type", str("linear")], ["@rope.scaling.factor", f32(rope.scaling.factor)]);
  }
  meta.push(["@rope.freq_base", f32(rope.theta)], ["@attention.layer_norm_rms_epsilon", f32(spec.rmsNormEps)]);
  if (c.has("head_dim")) meta.push(["@attention.key_length", u32(cfg.headDim)], ["@attention.value_length", u32(cfg.headDim)]);
  return meta;
}

/** LlamaModel: the base, the vocabulary size and the rotated dimensions. */
function llamaHyperparameters(h: Hyper): [string, GgufValue][] {
  return [...baseHyperparameters(h), ["@vocab_size", u32(h.spec.config.vocabSize)], ["@rope.dimension_count", u32(h.spec.config.headDim)]];
}

/** GraniteModel: Llama's, with the four multipliers under llama.cpp's names. */
function graniteHyperparameters(h: Hyper): [string, GgufValue][] {
  const meta = llamaHyperparameters(h).filter(([k]) => k !== "@attention.key_length" && k !== "@attention.value_length");
  for (const [field, key] of [["attention_multiplier", "@attention.scale"], ["embedding_multiplier", "@embedding_scale"], ["residual_multiplier", "@residual_scale"], ["logits_scaling", "@logit_scale"]] as const) {
    if (h.c.has(field)) meta.push([key, f32(h.c.positiveNumber(field))]);
  }
  return meta;
}

/** Phi3MiniModel.set_gguf_parameters. */
function phi3Hyperparameters(h: Hyper): [string, GgufValue][] {
  const { c, spec } = h;
  const cfg = spec.config;
  const rope = readRope(c, "full_attention");
  const meta: [string, GgufValue][] = [["@context_length", u32(cfg.contextLength)]];
  if (c.has("original_max_position_embeddings")) meta.push(["@rope.scaling.original_context_length", u32(c.positiveInt("original_max_position_embeddings"))]);
  meta.push(
    ["@embedding_length", u32(cfg.hiddenSize)],
    ["@feed_forward_length", u32(cfg.intermediateSize)],
    ["@block_count", u32(cfg.numLayers)],
    ["@attention.head_count", u32(cfg.numHeads)],
    ["@attention.head_count_kv", u32(cfg.numKvHeads)],
    ["@attention.layer_norm_rms_epsilon", f32(spec.rmsNormEps)],
    ["@rope.dimension_count", u32(Math.floor(cfg.headDim * rope.partialFactor))],
    ["@rope.freq_base", f32(rope.theta)],
    ["@attention.sliding_window", u32(windowOf(spec))],
  );
  return meta;
}

/** The keys Gemma 1 and Gemma 2 both write (GemmaModel.set_gguf_parameters), and the RoPE base when it is not 10⁴. */
function gemmaHyperparameters(h: Hyper): [string, GgufValue][] {
  const cfg = h.spec.config;
  const theta = readRope(h.c, "full_attention").theta;
  const meta: [string, GgufValue][] = [
    ["@context_length", u32(cfg.contextLength)],
    ["@embedding_length", u32(cfg.hiddenSize)],
    ["@block_count", u32(cfg.numLayers)],
    ["@feed_forward_length", u32(cfg.intermediateSize)],
    ["@attention.head_count", u32(cfg.numHeads)],
    ["@attention.head_count_kv", u32(cfg.numKvHeads)],
    ["@attention.layer_norm_rms_epsilon", f32(h.spec.rmsNormEps)],
    ["@attention.key_length", u32(cfg.headDim)],
    ["@attention.value_length", u32(cfg.headDim)],
  ];
  return theta === 10000 ? meta : [...meta, ["@rope.freq_base", f32(theta)]];
}

/** Gemma2Model.set_gguf_parameters: Gemma's, the soft-caps, the window, and the layer pattern when it differs from llama.cpp's default. */
function gemma2Hyperparameters(h: Hyper): [string, GgufValue][] {
  const { spec } = h;
  return [
    ...gemmaHyperparameters(h),
    ["@attn_logit_softcapping", f32(spec.attentionSoftcap)],
    ["@final_logit_softcapping", f32(spec.logitSoftcap)],
    ["@attention.sliding_window", u32(windowOf(spec))],
    ...slidingPattern(spec, (l) => l % 2 === 0),
  ];
}

/** Gemma3Model.set_gguf_parameters (the base, then Gemma's own), and the layer pattern when it differs from every sixth layer full. */
function gemma3Hyperparameters(h: Hyper): [string, GgufValue][] {
  const { c, spec } = h;
  const cfg = spec.config;
  const meta = new Map(baseHyperparameters(h));
  meta.set("@attention.key_length", u32(cfg.headDim));
  meta.set("@attention.value_length", u32(cfg.headDim));
  if (c.has("final_logit_softcapping")) meta.set("@final_logit_softcapping", f32(c.positiveNumber("final_logit_softcapping")));
  const window = windowOf(spec);
  if (window > 0) {
    meta.set("@attention.sliding_window", u32(window));
    meta.set("@rope.freq_base_swa", f32(readRope(c, "sliding_attention").theta));
  }
  return [...meta, ...(window > 0 ? slidingPattern(spec, (l) => (l + 1) % 6 !== 0) : [])];
}

/** The window of the sliding layers (0: none). */
function windowOf(spec: LlamaStyleSpec): number {
  return spec.layers.find((l) => l.window > 0)?.window ?? 0;
}

/** `attention.sliding_window_pattern` (a flag per layer) when the layers slide otherwise than llama.cpp's default. */
function slidingPattern(spec: LlamaStyleSpec, slidesByDefault: (layer: number) => boolean): [string, GgufValue][] {
  const flags = spec.layers.map((l) => l.window > 0);
  if (flags.every((f, l) => f === slidesByDefault(l))) return [];
  return [["@attention.sliding_window_pattern", { type: "array", elementType: "bool", value: flags }]];
}

// ─── checks ───────────────────────────────────────────────────────────────────

/** llama.cpp's llama/qwen2/qwen3/olmo2 (as converted from HF) attend to every position. */
function windowDropped(h: Hyper): void {
  const sliding = h.spec.layers.map((l, i) => [i, l.window] as const).filter(([, w]) => w > 0);
  if (sliding.length === 0) return;
  h.warnings.push(
    `${h.c.source}: llama.cpp's "${h.arch}" has no sliding window; the GGUF file attends to every position ` +
      `(layer${sliding.length > 1 ? "s" : ""} ${sliding.map(([i]) => i).join(", ")} of the checkpoint see only the last ${sliding[0]![1]} positions)`,
  );
}

function graniteCheck(h: Hyper): void {
  const { hiddenSize, numHeads, headDim } = h.spec.config;
  if (headDim * numHeads !== hiddenSize) {
    throw new ConfigError(h.c.source, `head_dim ${headDim} cannot be written for llama.cpp's "granite", which takes hidden_size / num_attention_heads = ${hiddenSize / numHeads}`);
  }
  windowDropped(h);
}

function smollm3Check(h: Hyper): void {
  const expected = h.spec.layers.map((_, l) => (l + 1) % 4 !== 0);
  const actual = h.spec.layers.map((l) => l.rope !== null);
  if (actual.some((r, l) => r !== expected[l])) {
    throw new ConfigError(
      h.c.source,
      `llama.cpp's "smollm3" leaves RoPE out of every 4th layer; this checkpoint's no_rope_layers [${actual.map(Number).join(", ")}] differ, so it cannot be written as GGUF`,
    );
  }
  windowDropped(h);
}

/** llama.cpp's Gemma and Gemma 2 always use the token embedding as the output head (their converter drops lm_head). */
function untiedGemma(h: Hyper): void {
  if (!h.spec.tieWordEmbeddings) throw new ConfigError(h.c.source, `tie_word_embeddings is false, but llama.cpp's "${h.arch}" always uses the token embedding as the output head`);
}

function gemma2Check(h: Hyper): void {
  if (windowOf(h.spec) === 0) throw new ConfigError(h.c.source, `sliding_window is null, but llama.cpp's "gemma2" always slides (over 4096 positions when the file names no window)`);
  untiedGemma(h);
  for (const [field, value] of [["attn_logit_softcapping", h.spec.attentionSoftcap], ["final_logit_softcapping", h.spec.logitSoftcap]] as const) {
    if (value === 0) throw new ConfigError(h.c.source, `${field} is null, but llama.cpp's "gemma2" always soft-caps (its default is used when the file has none)`);
  }
}

function gemma3Check(h: Hyper): void {
  if (h.c.has("attn_logit_softcapping")) throw new ConfigError(h.c.source, `attn_logit_softcapping is set, but llama.cpp's "gemma3" has no attention soft-capping`);
}

// ─── GPT-2 ────────────────────────────────────────────────────────────────────

function gpt2ToGguf(c: ConfigReader, source: ReadonlyMap<string, NamedTensor>, dir: string, name: string): GgufModel {
  const dim = c.positiveInt("n_embd");
  const layers = c.positiveInt("n_layer");
  const heads = c.positiveInt("n_head");
  const ffn = c.has("n_inner") ? c.positiveInt("n_inner") : 4 * dim;
  const tensors = new Map<string, NamedTensor>();
  for (const [n, t] of source) tensors.set(n.startsWith("transformer.") || n.startsWith("lm_head.") ? n : `transformer.${n}`, t);
  const get = (n: string): NamedTensor => {
    const t = tensors.get(n);
    if (t === undefined) throw new ModelFormatError(dir, "missing", n);
    return t;
  };
  /** Conv1D [in, out] → nn.Linear [out, in]. */
  const linear = (n: string): NamedTensor => {
    const t = get(n);
    const [rows, cols] = t.shape as [number, number];
    const out = new Float32Array(t.data.length);
    for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) out[k * rows + r] = t.data[r * cols + k]!;
    return { data: out, shape: [cols, rows] };
  };
  const named = (n: string, t: NamedTensor): SourceTensor => ({ name: n, shape: t.shape, data: t.data });
  const out: SourceTensor[] = [named("token_embd.weight", get("transformer.wte.weight")), named("position_embd.weight", get("transformer.wpe.weight"))];
  for (let l = 0; l < layers; l++) {
    const p = `transformer.h.${l}`;
    const b = `blk.${l}`;
    out.push(
      named(`${b}.attn_norm.weight`, get(`${p}.ln_1.weight`)), named(`${b}.attn_norm.bias`, get(`${p}.ln_1.bias`)),
      named(`${b}.attn_qkv.weight`, linear(`${p}.attn.c_attn.weight`)), named(`${b}.attn_qkv.bias`, get(`${p}.attn.c_attn.bias`)),
      named(`${b}.attn_output.weight`, linear(`${p}.attn.c_proj.weight`)), named(`${b}.attn_output.bias`, get(`${p}.attn.c_proj.bias`)),
      named(`${b}.ffn_norm.weight`, get(`${p}.ln_2.weight`)), named(`${b}.ffn_norm.bias`, get(`${p}.ln_2.bias`)),
      named(`${b}.ffn_up.weight`, linear(`${p}.mlp.c_fc.weight`)), named(`${b}.ffn_up.bias`, get(`${p}.mlp.c_fc.bias`)),
      named(`${b}.ffn_down.weight`, linear(`${p}.mlp.c_proj.weight`)), named(`${b}.ffn_down.bias`, get(`${p}.mlp.c_proj.bias`)),
    );
  }
  out.push(named("output_norm.weight", get("transformer.ln_f.weight")), named("output_norm.bias", get("transformer.ln_f.bias")));
  const head = tensors.get("lm_head.weight");
  if (head !== undefined) out.push(named("output.weight", head));
  const metadata = new Map<string, GgufValue>([
    ["general.architecture", str("gpt2")],
    ["general.name", str(name)],
    ["gpt2.context_length", u32(c.positiveInt("n_positions"))],
    ["gpt2.embedding_length", u32(dim)],
    ["gpt2.feed_forward_length", u32(ffn)],
    ["gpt2.block_count", u32(layers)],
    ["gpt2.attention.head_count", u32(heads)],
    ["gpt2.attention.layer_norm_epsilon", f32(c.positiveNumber("layer_norm_epsilon", 1e-5))],
    ["gpt2.vocab_size", u32(c.positiveInt("vocab_size"))],
  ]);
  return { metadata, tensors: out, rules: { layers, heads, kvHeads: heads }, vocabSize: c.positiveInt("vocab_size"), llamaFamily: false, warnings: [] };
}
