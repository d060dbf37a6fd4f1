// Which storage type each tensor of a GGUF file gets in a quantization "mix", following
// llama.cpp's llama-quantize (src/llama-quant.cpp: tensor_allows_quantization,
// llama_tensor_get_type_impl, tensor_type_fallback, llama_ftype_get_default_type), for
// the mixes lmscope writes, without an importance matrix:
// - only 2-D tensors whose names end in "weight" are quantized, never norms or the
//   position embedding; everything else stays F32;
// - each mix has a default type (Q4_K for q4_k_m, …); the output head (and a token
//   embedding that doubles as the head) gets Q6_K in every mix but q8_0 (Q8_0 when its
//   row is not a multiple of the default type's block);
// - attention V (and fused QKV) and FFN down projections get more bits in some layers:
//   q4_k_m / q5_k_m give Q6_K to the layers `useMoreBits` picks (the first and last
//   eighth, and every third between); q3_k_m gives Q5_K to the first two attn_v and
//   Q4_K to attn_output and ffn_down; q2_k gives Q3_K to attn_v (Q4_K when 4+ query
//   heads share a KV head), ffn_down and attn_output; iq4_nl/iq4_xs give Q5_K to attn_v
//   with 4+ heads per KV head and to ffn_down in the first eighth of the layers;
// - a row length that is not a multiple of the chosen type's block falls back:
//   Q4_K→Q5_0, Q5_K→Q5_1, Q6_K→Q8_0, Q2_K/Q3_K→Q4_0, IQ4_XS→IQ4_NL, and to F16 when the
//   fallback does not fit either (llama.cpp refuses a Q8_0/Q4_0/… tensor whose rows do
//   not split into 32-blocks; lmscope stores it as F16 instead).
// The layer counters advance in llama.cpp's order of tensors (non-block tensors first,
// then by block number, then by name), which decides what "the first two attn_v" are.

import type { GgufTensorType } from "./gguf.js";

/** The mixes `lmscope quantize --type` writes (llama.cpp's ftype names, lower case). */
export type QuantizeMix =
  | "f32" | "f16" | "q8_0" | "q4_0" | "q4_1" | "q5_0" | "q5_1"
  | "q2_k" | "q3_k_m" | "q4_k_m" | "q5_k_m" | "q6_k" | "iq4_nl" | "iq4_xs";

export const QUANTIZE_MIXES: readonly QuantizeMix[] = [
  "q4_0", "q4_1", "q5_0", "q5_1", "q8_0", "q2_k", "q3_k_m", "q4_k_m", "q5_k_m", "q6_k", "iq4_nl", "iq4_xs", "f16", "f32",
];

/** llama.cpp's llama_ftype of each mix (`general.file_type`). */
export const MIX_FILE_TYPE: Readonly<Record<QuantizeMix, number>> = {
  f32: 0, f16: 1, q4_0: 2, q4_1: 3, q8_0: 7, q5_0: 8, q5_1: 9, q2_k: 10, q3_k_m: 12, q4_k_m: 15, q5_k_m: 17, q6_k: 18, iq4_nl: 25, iq4_xs: 30,
};

const DEFAULT_TYPE: Readonly<Record<QuantizeMix, GgufTensorType>> = {
  f32: "F32", f16: "F16", q8_0: "Q8_0", q4_0: "Q4_0", q4_1: "Q4_1", q5_0: "Q5_0", q5_1: "Q5_1",
  q2_k: "Q2_K", q3_k_m: "Q3_K", q4_k_m: "Q4_K", q5_k_m: "Q5_K", q6_k: "Q6_K", iq4_nl: "IQ4_NL", iq4_xs: "IQ4_XS",
};

const BLOCK: Readonly<Record<GgufTensorType, number>> = {
  F32: 1, F16: 1, BF16: 1, Q8_0: 32, Q4_0: 32, Q4_1: 32, Q5_0: 32, Q5_1: 32, IQ4_NL: 32,
  Q2_K: 256, Q3_K: 256, Q4_K: 256, Q5_K: 256, Q6_K: 256, IQ4_XS: 256,
};

const FALLBACK: Partial<Record<GgufTensorType, GgufTensorType>> = {
  IQ4_XS: "IQ4_NL", Q2_K: "Q4_0", Q3_K: "Q4_0", Q4_K: "Q5_0", Q5_K: "Q5_1", Q6_K: "Q8_0",
};

/** The hyperparameters the rules look at. */
export interface RuleModel {
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
}

/** A tensor as the rules see it: its GGUF name and row-major shape ([rows, cols] for a matrix). */
export interface RuleTensor {
  readonly name: string;
  readonly shape: readonly number[];
}

type Category = "token_embd" | "output" | "attn_v" | "attn_k" | "attn_q" | "attn_output" | "ffn_up" | "ffn_gate" | "ffn_down" | "other";

function category(name: string): Category {
  if (name === "output.weight") return "output";
  if (name === "token_embd.weight") return "token_embd";
  if (name.includes("attn_qkv.weight") || name.includes("attn_kv_b.weight") || name.includes("attn_v.weight")) return "attn_v";
  if (name.includes("attn_k.weight")) return "attn_k";
  if (name.includes("attn_q.weight")) return "attn_q";
  if (name.includes("attn_output.weight")) return "attn_output";
  if (name.includes("ffn_up")) return "ffn_up";
  if (name.includes("ffn_gate")) return "ffn_gate";
  if (name.includes("ffn_down")) return "ffn_down";
  return "other";
}

/** llama.cpp tensor_allows_quantization (the parts that concern these architectures). */
function allowsQuantization(t: RuleTensor): boolean {
  return t.shape.length >= 2 && t.name.endsWith("weight") && !t.name.includes("_norm.weight") && t.name !== "position_embd.weight" && t.name !== "token_types.weight";
}

/** llama.cpp's use_more_bits: the first and last eighth of the layers, and every third in between. */
export function useMoreBits(layer: number, layers: number): boolean {
  return layer < Math.floor(layers / 8) || layer >= Math.floor((7 * layers) / 8) || (layer - Math.floor(layers / 8)) % 3 === 2;
}

/** The block number of a `blk.N.` tensor, or −1. */
function layerOf(name: string): number {
  const m = /^blk\.(\d+)\./.exec(name);
  return m === null ? -1 : Number(m[1]);
}

/** llama.cpp's weights_map order: non-block tensors first, then by block number, then by name. */
function llamaOrder(a: RuleTensor, b: RuleTensor): number {
  return layerOf(a.name) - layerOf(b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

/** The storage type of every tensor in `mix`, by name. */
export function chooseTensorTypes(mix: QuantizeMix, tensors: readonly RuleTensor[], model: RuleModel): Map<string, GgufTensorType> {
  const defaultType = DEFAULT_TYPE[mix];
  const quantized = defaultType !== "F32" && defaultType !== "F16";
  const gqa = model.heads / model.kvHeads;
  const tied = !tensors.some((t) => t.name === "output.weight");
  let attnV = 0;
  let ffnDown = 0;
  const attnVCount = tensors.filter((t) => category(t.name) === "attn_v").length;
  const types = new Map<string, GgufTensorType>();
  for (const t of [...tensors].sort(llamaOrder)) {
    if (!allowsQuantization(t)) {
      types.set(t.name, "F32");
      continue;
    }
    if (!quantized) {
      types.set(t.name, defaultType);
      continue;
    }
    const cols = t.shape[t.shape.length - 1]!;
    const c = category(t.name);
    let type = defaultType;
    if (c === "output" || (tied && c === "token_embd")) {
      if (cols % BLOCK[defaultType] !== 0) type = "Q8_0";
      else if (defaultType !== "Q8_0") type = "Q6_K";
    } else if (c === "attn_v") {
      if (mix === "q2_k") type = gqa >= 4 ? "Q4_K" : "Q3_K";
      else if (mix === "q3_k_m") type = attnV < 2 ? "Q5_K" : "Q4_K";
      else if ((mix === "iq4_nl" || mix === "iq4_xs") && gqa >= 4) type = "Q5_K";
      else if ((mix === "q4_k_m" || mix === "q5_k_m") && useMoreBits(attnV, attnVCount)) type = "Q6_K";
      attnV++;
    } else if (c === "ffn_down") {
      const layer = ffnDown;
      const layers = model.layers;
      if (mix === "q2_k") type = "Q3_K";
      else if (mix === "q3_k_m") type = layer < Math.floor(layers / 16) ? "Q5_K" : "Q4_K";
      else if (mix === "q4_k_m") {
        if (useMoreBits(layer, layers)) type = "Q6_K";
      } else if (layer < Math.floor(layers / 8) && (mix === "iq4_nl" || mix === "iq4_xs")) type = "Q5_K";
      else if (mix === "q5_k_m" && useMoreBits(layer, layers)) type = "Q6_K";
      ffnDown++;
    } else if (c === "attn_output") {
      if (mix === "q2_k") type = "Q3_K";
      else if (mix === "q3_k_m") type = "Q4_K";
    }
    types.set(t.name, fallback(type, cols));
  }
  return types;
}

/** llama.cpp tensor_type_fallback, with F16 where llama.cpp has no fallback. */
function fallback(type: GgufTensorType, cols: number): GgufTensorType {
  if (cols % BLOCK[type] === 0) return type;
  const next = FALLBACK[type];
  return next !== undefined && cols % BLOCK[next] === 0 ? next : "F16";
}
