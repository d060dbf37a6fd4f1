// The pieces every decoder family file assembles, read from a checkpoint by HF
// tensor name through a WeightStore (shape-checked, uploaded to the backend,
// registered as trainable parameters): Linear layers (alone, or the row windows of a
// fused weight such as Phi-3's qkv_proj), norms, embeddings, the LM head (tied or
// not), and the llama-style config fields most families share.

import type { Backend } from "../../backend/backend.js";
import { ConfigError } from "../../errors.js";
import { Embedding } from "../../nn/embedding.js";
import { Linear } from "../../nn/linear.js";
import type { Activation } from "../../nn/mlp.js";
import { LayerNorm, RMSNorm } from "../../nn/norm.js";
import { RotaryEmbedding } from "../../nn/rotary-embedding.js";
import type { RopeLayout } from "../../backend/backend.js";
import { f32Matrix } from "../../tensor/weights.js";
import type { ConfigReader } from "../config-reader.js";
import type { DecoderConfig } from "../decoder-only.js";
import type { RopeSettings } from "../rope-config.js";
import type { WeightStore } from "../weight-store.js";

/** HF activation names (hidden_act / hidden_activation / activation_function) → ours. */
export const ACTIVATIONS: Record<string, Activation> = {
  silu: "silu",
  swish: "silu",
  relu: "relu",
  gelu: "gelu_erf",
  gelu_pytorch_tanh: "gelu_tanh",
  gelu_new: "gelu_tanh",
  gelu_fast: "gelu_tanh",
};

export function readActivation(c: ConfigReader, key: string, fallback: string): Activation {
  const name = c.string(key, fallback);
  const activation = ACTIVATIONS[name];
  if (activation === undefined) {
    throw new ConfigError(c.source, `"${key}" "${name}" is not supported (known: ${Object.keys(ACTIVATIONS).join(", ")})`);
  }
  return activation;
}

/** The DecoderConfig fields of a config.json in Llama's spelling (hidden_size, num_attention_heads, …). */
export function readLlamaShape(c: ConfigReader, modelType: string): DecoderConfig {
  const hiddenSize = c.positiveInt("hidden_size");
  const numHeads = c.positiveInt("num_attention_heads");
  const numKvHeads = c.positiveInt("num_key_value_heads", numHeads);
  c.requireDivisible("num_attention_heads", numHeads, "num_key_value_heads", numKvHeads);
  if (!c.has("head_dim")) c.requireDivisible("hidden_size", hiddenSize, "num_attention_heads", numHeads);
  const headDim = c.has("head_dim") ? c.positiveInt("head_dim") : hiddenSize / numHeads;
  return {
    modelType,
    vocabSize: c.positiveInt("vocab_size"),
    hiddenSize,
    numLayers: c.positiveInt("num_hidden_layers"),
    numHeads,
    numKvHeads,
    headDim,
    intermediateSize: c.positiveInt("intermediate_size"),
    contextLength: c.positiveInt("max_position_embeddings"),
    bosTokenId: c.tokenIds("bos_token_id")[0],
    eosTokenIds: c.tokenIds("eos_token_id"),
  };
}

/** Rotary tables for heads of `headDim` with `settings`; the rotated part must be even. */
export function rotaryFor(settings: RopeSettings, headDim: number, contextLength: number, layout: RopeLayout, source: string): RotaryEmbedding {
  const rotaryDim = Math.floor(headDim * settings.partialFactor);
  if (rotaryDim < 2 || rotaryDim % 2 !== 0) {
    throw new ConfigError(source, `rotary dimension ${rotaryDim} (head size ${headDim} × ${settings.partialFactor}) must be even and at least 2`);
  }
  return new RotaryEmbedding({ rotaryDim, theta: settings.theta, maxPositions: contextLength, layout, scaling: settings.scaling });
}

/** Reads a family's layers from a WeightStore by HF name. */
export class LayerReader {
  constructor(
    readonly weights: WeightStore,
    readonly backend: Backend,
  ) {}

  /** `<prefix>.weight` [outF, inF] and, when `bias`, `<prefix>.bias` [outF]. */
  linear(prefix: string, outF: number, inF: number, bias: boolean): Linear {
    const w = this.weights.matrix(`${prefix}.weight`, outF, inF);
    return new Linear(w, bias ? this.weights.take(`${prefix}.bias`, [outF]) : null);
  }

  /** A bias that some checkpoints have and others lack. */
  hasBias(prefix: string): boolean {
    return this.weights.has(`${prefix}.bias`);
  }

  /**
   * A fused weight `<prefix>.weight` [Σ parts, inF] whose rows are the parts in
   * order ([q | k | v], [gate | up]), as one Linear per part sharing its storage.
   */
  fusedLinears(prefix: string, parts: readonly number[], inF: number, bias: boolean): Linear[] {
    const total = parts.reduce((a, b) => a + b, 0);
    const windows = this.weights.matrixRows(`${prefix}.weight`, parts, inF);
    const biasData = bias ? this.weights.take(`${prefix}.bias`, [total]) : null;
    let first = 0;
    return windows.map((window) => {
      const part = new Linear(window, biasData === null ? null : biasData.subarray(first, first + window.rows));
      first += window.rows;
      return part;
    });
  }

  rmsNorm(name: string, dim: number, eps: number, weightOffset = 0): RMSNorm {
    return new RMSNorm(this.weights.take(name, [dim]), eps, weightOffset);
  }

  /** `<prefix>.weight` and `<prefix>.bias`, both [dim]. */
  layerNorm(prefix: string, dim: number, eps: number): LayerNorm {
    return new LayerNorm(this.weights.take(`${prefix}.weight`, [dim]), this.weights.take(`${prefix}.bias`, [dim]), eps);
  }

  /** An embedding table [count, dim] and its data (for a tied head). */
  embedding(name: string, count: number, dim: number): Embedding {
    return new Embedding(this.weights.take(name, [count, dim]), count, dim);
  }

  /**
   * The LM head: the token embedding's table itself when tied (one copy; training
   * updates both), else `name` [vocab, dim].
   */
  lmHead(name: string, tokenEmbedding: Embedding, tied: boolean): Linear {
    const { count: vocab, dim, table } = tokenEmbedding;
    return new Linear(tied ? f32Matrix(table, vocab, dim) : this.weights.matrix(name, vocab, dim), null);
  }
}
