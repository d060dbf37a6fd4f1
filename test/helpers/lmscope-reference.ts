// A plain float64 reference of lmscope's configurable Transformer, written from
// the papers and the config's field list, sharing no code with the library but
// the random draw of the Performer's features: every box is a loop over numbers.
// Attention is computed in its textbook form — a dense score matrix with the
// mask of its variant (causal, sliding window, Child et al.'s strided pattern)
// for softmax attention, and the quadratic form Σ_j φ(q)·φ(k_j) v_j / Σ_j φ(q)·φ(k_j)
// for linear attention and the Performer — never by the library's running sums.
// Returns the logits [T, vocab] of one sequence (decoder) or the final hidden
// states [T, dim] (encoder, bidirectional).

import { orthogonalRandomFeatures } from "../../src/nn/performer-features.js";
import type { JsonObject } from "../../src/models/config-reader.js";

export type Weights = ReadonlyMap<string, ArrayLike<number>>;

type Matrix = Float64Array[]; // rows

function get(w: Weights, name: string): ArrayLike<number> {
  const t = w.get(name);
  if (t === undefined) throw new Error(`reference: missing ${name}`);
  return t;
}

/** y = x Wᵀ + b, W [out, in]. */
function linear(x: Matrix, w: Weights, prefix: string, outF: number, bias: boolean): Matrix {
  const W = get(w, `${prefix}.weight`);
  const b = bias ? get(w, `${prefix}.bias`) : null;
  const inF = x[0]!.length;
  return x.map((row) => {
    const y = new Float64Array(outF);
    for (let o = 0; o < outF; o++) {
      let s = b === null ? 0 : b[o]!;
      for (let i = 0; i < inF; i++) s += row[i]! * W[o * inF + i]!;
      y[o] = s;
    }
    return y;
  });
}

function norm(x: Matrix, w: Weights, prefix: string, kind: string, eps: number): Matrix {
  const g = get(w, `${prefix}.weight`);
  const b = kind === "layernorm" ? get(w, `${prefix}.bias`) : null;
  return x.map((row) => {
    const n = row.length;
    let mean = 0;
    if (b !== null) for (const v of row) mean += v / n;
    let sq = 0;
    for (const v of row) sq += (v - mean) ** 2 / n;
    const inv = 1 / Math.sqrt(sq + eps);
    return row.map((v, i) => (v - mean) * inv * g[i]! + (b === null ? 0 : b[i]!));
  });
}

function add(a: Matrix, b: Matrix): Matrix {
  return a.map((row, r) => row.map((v, i) => v + b[r]![i]!));
}

/** RoPE in Hugging Face's rotate-half layout over the first rotaryDim dims of each head. */
function rope(x: Matrix, heads: number, headDim: number, rotaryDim: number, theta: number): Matrix {
  const half = rotaryDim / 2;
  return x.map((row, p) => {
    const out = Float64Array.from(row);
    for (let h = 0; h < heads; h++) {
      for (let i = 0; i < half; i++) {
        const angle = p / theta ** ((2 * i) / rotaryDim);
        const a = row[h * headDim + i]!;
        const b = row[h * headDim + i + half]!;
        out[h * headDim + i] = a * Math.cos(angle) - b * Math.sin(angle);
        out[h * headDim + i + half] = b * Math.cos(angle) + a * Math.sin(angle);
      }
    }
    return out;
  });
}

function alibi(n: number): number[] {
  const p = 2 ** Math.floor(Math.log2(n));
  const slopes: number[] = [];
  for (let h = 0; h < p; h++) slopes.push(2 ** ((-8 * (h + 1)) / p));
  for (let k = 0; k < n - p; k++) slopes.push(2 ** ((-4 * (2 * k + 1)) / p));
  return slopes;
}

function gelu(x: number): number {
  // exact GELU through erf (Abramowitz–Stegun 7.1.26 is too coarse): a series/continued-fraction erf
  return 0.5 * x * (1 + erf(x / Math.SQRT2));
}

function erf(x: number): number {
  // Maclaurin series for |x| < 3, else the complementary asymptote (both far below float32 precision here)
  const sign = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  if (a < 3) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 100; n++) {
      term *= (-a * a) / n;
      const next = term / (2 * n + 1);
      sum += next;
      if (Math.abs(next) < 1e-17) break;
    }
    return (sign * 2 * sum) / Math.sqrt(Math.PI);
  }
  let cf = 0;
  for (let n = 60; n >= 1; n--) cf = n / 2 / (a + cf);
  return sign * (1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / (a + cf));
}

/** Whether query position p sees key t under the attention type. */
function visible(config: JsonObject, p: number, t: number, causal: boolean): boolean {
  if (causal && t > p) return false;
  switch (config["attention_type"] ?? "full") {
    case "sliding_window":
      return p - t < (config["sliding_window"] as number);
    case "sparse":
      return Math.abs(p - t) < (config["sparse_window"] as number) || (p - t) % (config["sparse_stride"] as number) === 0;
    default:
      return true;
  }
}

function sinusoid(p: number, dim: number): Float64Array {
  const out = new Float64Array(dim);
  for (let i = 0; i < dim; i++) {
    const angle = p / 10000 ** ((2 * Math.floor(i / 2)) / dim);
    out[i] = i % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
  }
  return out;
}

export interface ReferenceOptions {
  /** Bidirectional attention and no LM head: returns hidden states (lmscope-encoder's stack). */
  encoder?: boolean;
  /** Performer seed in use (default the config's performer_seed). */
  performerSeed?: number;
}

export function referenceForward(config: JsonObject, w: Weights, ids: readonly number[], options: ReferenceOptions = {}): Float64Array {
  const dim = config["hidden_size"] as number;
  const vocab = config["vocab_size"] as number;
  const heads = config["num_attention_heads"] as number;
  const kvHeads = (config["num_key_value_heads"] as number | undefined) ?? heads;
  const headDim = (config["head_dim"] as number | undefined) ?? dim / heads;
  const ffn = (config["intermediate_size"] as number | undefined) ?? 4 * dim;
  const layers = config["num_hidden_layers"] as number;
  const positions = (config["position_embedding_type"] as string | undefined) ?? "rope";
  const attentionType = (config["attention_type"] as string | undefined) ?? "full";
  const mlp = (config["mlp"] as string | undefined) ?? "gelu";
  const normKind = (config["norm"] as string | undefined) ?? "layernorm";
  const post = config["norm_position"] === "post";
  const eps = (config["norm_eps"] as number | undefined) ?? 1e-5;
  const bias = (config["bias"] as boolean | undefined) ?? true;
  const tied = (config["tie_word_embeddings"] as boolean | undefined) ?? true;
  const causal = options.encoder !== true;
  const T = ids.length;
  const group = heads / kvHeads;
  const slopes = positions === "alibi" ? alibi(heads) : null;
  const rotaryDim = Math.floor(headDim * ((config["partial_rotary_factor"] as number | undefined) ?? 1));
  const theta = (config["rope_theta"] as number | undefined) ?? 10000;

  const embed = get(w, "model.embed_tokens.weight");
  let x: Matrix = ids.map((id, p) => {
    const row = Float64Array.from({ length: dim }, (_, i) => embed[id * dim + i]!);
    if (positions === "learned") {
      const table = get(w, "model.embed_positions.weight");
      for (let i = 0; i < dim; i++) row[i] += table[p * dim + i]!;
    } else if (positions === "sinusoidal") {
      const s = sinusoid(p, dim);
      for (let i = 0; i < dim; i++) row[i] += s[i]!;
    }
    return row;
  });

  for (let l = 0; l < layers; l++) {
    const pre = `model.layers.${l}`;
    const attnIn = post ? x : norm(x, w, `${pre}.attention_norm`, normKind, eps);
    let q = linear(attnIn, w, `${pre}.self_attn.q_proj`, heads * headDim, bias);
    let k = linear(attnIn, w, `${pre}.self_attn.k_proj`, kvHeads * headDim, bias);
    const v = linear(attnIn, w, `${pre}.self_attn.v_proj`, kvHeads * headDim, bias);
    if (positions === "rope") {
      q = rope(q, heads, headDim, rotaryDim, theta);
      k = rope(k, kvHeads, headDim, rotaryDim, theta);
    }
    const context: Matrix = Array.from({ length: T }, () => new Float64Array(heads * headDim));
    const linearAttention = attentionType === "linear" || attentionType === "performer";
    const phi = linearAttention ? featureMap(config, attentionType, headDim, (options.performerSeed ?? ((config["performer_seed"] as number | undefined) ?? 0)) + l) : null;
    for (let h = 0; h < heads; h++) {
      const g = Math.floor(h / group);
      const qh = (p: number) => q[p]!.subarray(h * headDim, (h + 1) * headDim);
      const kh = (t: number) => k[t]!.subarray(g * headDim, (g + 1) * headDim);
      for (let p = 0; p < T; p++) {
        const weights = new Float64Array(T);
        if (phi !== null) {
          const fq = phi(qh(p));
          let den = 1e-6;
          for (let t = 0; t <= p; t++) {
            const fk = phi(kh(t));
            weights[t] = fq.reduce((s, a, f) => s + a * fk[f]!, 0);
            den += weights[t]!;
          }
          for (let t = 0; t <= p; t++) weights[t] = weights[t]! / den;
        } else {
          let max = -Infinity;
          const scores = new Float64Array(T).fill(-Infinity);
          for (let t = 0; t < T; t++) {
            if (!visible(config, p, t, causal)) continue;
            let dot = 0;
            for (let d = 0; d < headDim; d++) dot += qh(p)[d]! * kh(t)[d]!;
            scores[t] = dot / Math.sqrt(headDim) - (slopes === null ? 0 : slopes[h]! * Math.abs(p - t));
            max = Math.max(max, scores[t]!);
          }
          let sum = 0;
          for (let t = 0; t < T; t++) sum += scores[t] === -Infinity ? 0 : Math.exp(scores[t]! - max);
          for (let t = 0; t < T; t++) weights[t] = scores[t] === -Infinity ? 0 : Math.exp(scores[t]! - max) / sum;
        }
        for (let t = 0; t < T; t++) {
          for (let d = 0; d < headDim; d++) context[p]![h * headDim + d] += weights[t]! * v[t]![g * headDim + d]!;
        }
      }
    }
    const attended = linear(context, w, `${pre}.self_attn.o_proj`, dim, bias);
    x = add(x, attended);
    if (post) x = norm(x, w, `${pre}.attention_norm`, normKind, eps);
    const mlpIn = post ? x : norm(x, w, `${pre}.mlp_norm`, normKind, eps);
    let hidden = linear(mlpIn, w, `${pre}.mlp.up_proj`, ffn, bias);
    if (mlp === "swiglu") {
      const gate = linear(mlpIn, w, `${pre}.mlp.gate_proj`, ffn, bias);
      hidden = hidden.map((row, r) => row.map((u, i) => u * (gate[r]![i]! / (1 + Math.exp(-gate[r]![i]!)))));
    } else {
      hidden = hidden.map((row) => row.map((u) => (mlp === "relu" ? Math.max(0, u) : gelu(u))));
    }
    x = add(x, linear(hidden, w, `${pre}.mlp.down_proj`, dim, bias));
    if (post) x = norm(x, w, `${pre}.mlp_norm`, normKind, eps);
  }
  if (!post) x = norm(x, w, "model.norm", normKind, eps);
  if (options.encoder === true) {
    const out = new Float64Array(T * dim);
    x.forEach((row, p) => out.set(row, p * dim));
    return out;
  }
  const head = tied ? embed : get(w, "lm_head.weight");
  const logits = new Float64Array(T * vocab);
  for (let p = 0; p < T; p++) {
    for (let o = 0; o < vocab; o++) {
      let s = 0;
      for (let i = 0; i < dim; i++) s += x[p]![i]! * head[o * dim + i]!;
      logits[p * vocab + o] = s;
    }
  }
  return logits;
}

/** φ of a head vector: elu + 1, or FAVOR+ with the layer's seeded orthogonal features (x scaled by d^(−1/4)). */
function featureMap(config: JsonObject, type: string, headDim: number, seed: number): (x: Float64Array) => Float64Array {
  if (type === "linear") return (x) => x.map((v) => (v > 0 ? v + 1 : Math.exp(v)));
  const m = (config["performer_features"] as number | undefined) ?? Math.max(headDim, Math.round(headDim * Math.log(headDim)));
  const omega = orthogonalRandomFeatures(m, headDim, seed);
  const c = headDim ** -0.25;
  return (x) => {
    const scaled = x.map((v) => v * c);
    const half = scaled.reduce((s, v) => s + v * v, 0) / 2;
    return Float64Array.from({ length: m }, (_, j) => {
      let dot = 0;
      for (let d = 0; d < headDim; d++) dot += omega[j * headDim + d]! * scaled[d]!;
      return Math.exp(dot - half) / Math.sqrt(m);
    });
  };
}
