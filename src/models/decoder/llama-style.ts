// The network of every family that keeps Llama's tensor names (model.embed_tokens,
// model.layers.N.self_attn.{q,k,v,o}_proj, mlp.{gate,up,down}_proj, the norms,
// model.norm, lm_head): Llama itself (Touvron et al. 2023; HF modeling_llama.py) and
// the relatives that change a few boxes of its picture. A family file reads its
// config.json into a LlamaStyleSpec; this file builds the blocks from it:
//
//   norms      "pre" (Llama), "sandwich" (Gemma: pre and post norms around each
//              sub-layer), "post-outputs" (OLMo 2: norms on the sub-layers' outputs only)
//   attention  bias, q/k norms (per head: Qwen 3, Gemma 3; whole projection: OLMo 2),
//              scale, soft-cap, a sliding window and RoPE settings per layer
//              (none: SmolLM3's NoPE layers), fused q|k|v rows (Phi-3)
//   MLP        gated, down(act(gate(x)) · up(x)), gate|up fused (Phi-3)
//   scalars    embedding, residual and logit multipliers (Gemma, Granite), logit soft-cap

import type { Backend, RopeLayout } from "../../backend/backend.js";
import { SelfAttention, type QkNorm } from "../../nn/attention.js";
import { DecoderBlock } from "../../nn/block.js";
import { GatedMlp, type Activation } from "../../nn/mlp.js";
import type { Norm } from "../../nn/norm.js";
import type { RotaryEmbedding } from "../../nn/rotary-embedding.js";
import type { NamedTensors } from "../../tensor/tensor.js";
import { DecoderOnlyModel, type DecoderConfig } from "../decoder-only.js";
import type { RopeSettings } from "../rope-config.js";
import { WeightStore, type Initializer } from "../weight-store.js";
import { LayerReader, rotaryFor } from "./layers.js";

export interface LlamaStyleLayer {
  /** Sliding window (keys seen, itself included); 0: full attention. */
  readonly window: number;
  /** RoPE settings of this layer; null: no positional encoding (NoPE). */
  readonly rope: RopeSettings | null;
}

export interface LlamaStyleSpec {
  readonly config: DecoderConfig;
  readonly rmsNormEps: number;
  /** Gain of the RMSNorms: weightOffset + w (1 for Gemma's HF checkpoints, whose w is stored as 1 + w − 1). */
  readonly normWeightOffset: number;
  readonly norms: "pre" | "sandwich" | "post-outputs";
  readonly activation: Activation;
  readonly attentionBias: boolean;
  readonly mlpBias: boolean;
  readonly tieWordEmbeddings: boolean;
  readonly qkNorm: "head" | "projection" | null;
  /** q|k|v in one qkv_proj and gate|up in one gate_up_proj (Phi-3). */
  readonly fusedProjections: boolean;
  readonly attentionScale: number;
  readonly attentionSoftcap: number;
  readonly logitSoftcap: number;
  readonly embeddingScale: number;
  readonly residualScale: number;
  readonly logitScale: number;
  readonly layers: readonly LlamaStyleLayer[];
}

/** Buffers older checkpoints carry that are not parameters. */
export const LLAMA_BUFFERS = /^model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq$/;
/** The same, and the copy of a tied head some checkpoints store. */
const LLAMA_BUFFERS_OR_TIED_HEAD = /^(model\.layers\.\d+\.self_attn\.rotary_emb\.inv_freq|lm_head\.weight)$/;

export function buildLlamaStyle(
  spec: LlamaStyleSpec,
  tensors: NamedTensors,
  source: string,
  backend: Backend,
  ropeLayout: RopeLayout,
  initializer: Initializer | null = null,
): DecoderOnlyModel {
  const weights = new WeightStore(tensors, source, backend, initializer);
  const read = new LayerReader(weights, backend);
  const { config } = spec;
  const { hiddenSize: dim, vocabSize, intermediateSize: ffn, numHeads, numKvHeads, headDim } = config;
  const qDim = numHeads * headDim;
  const kvDim = numKvHeads * headDim;
  const norm = (name: string, width = dim): Norm => read.rmsNorm(name, width, spec.rmsNormEps, spec.normWeightOffset);
  const rotaries = new Map<string, RotaryEmbedding>();
  const rotaryOf = (settings: RopeSettings): RotaryEmbedding => {
    const key = JSON.stringify(settings);
    let rotary = rotaries.get(key);
    if (rotary === undefined) {
      rotary = rotaryFor(settings, headDim, config.contextLength, ropeLayout, source);
      rotaries.set(key, rotary);
    }
    return rotary;
  };

  const tokenEmbedding = read.embedding("model.embed_tokens.weight", vocabSize, dim);
  const blocks = spec.layers.map((layer, l) => {
    const p = `model.layers.${l}`;
    const bias = spec.attentionBias;
    const [query, key, value] = spec.fusedProjections
      ? read.fusedLinears(`${p}.self_attn.qkv_proj`, [qDim, kvDim, kvDim], dim, bias)
      : [
          read.linear(`${p}.self_attn.q_proj`, qDim, dim, bias),
          read.linear(`${p}.self_attn.k_proj`, kvDim, dim, bias),
          read.linear(`${p}.self_attn.v_proj`, kvDim, dim, bias),
        ];
    let qkNorm: QkNorm | null = null;
    if (spec.qkNorm !== null) {
      const perHead = spec.qkNorm === "head";
      qkNorm = {
        query: norm(`${p}.self_attn.q_norm.weight`, perHead ? headDim : qDim),
        key: norm(`${p}.self_attn.k_norm.weight`, perHead ? headDim : kvDim),
        scope: spec.qkNorm,
      };
    }
    const attention = new SelfAttention({
      heads: { nHeads: numHeads, nKvHeads: numKvHeads, headDim },
      projection: { kind: "separate", query: query!, key: key!, value: value! },
      output: read.linear(`${p}.self_attn.o_proj`, dim, qDim, bias && read.hasBias(`${p}.self_attn.o_proj`)),
      rotary: layer.rope === null ? null : rotaryOf(layer.rope),
      causal: true,
      scale: spec.attentionScale,
      window: layer.window,
      softcap: spec.attentionSoftcap,
      qkNorm,
    });
    const [gate, up] = spec.fusedProjections
      ? read.fusedLinears(`${p}.mlp.gate_up_proj`, [ffn, ffn], dim, spec.mlpBias)
      : [read.linear(`${p}.mlp.gate_proj`, ffn, dim, spec.mlpBias), read.linear(`${p}.mlp.up_proj`, ffn, dim, spec.mlpBias)];
    const mlp = new GatedMlp(gate!, up!, read.linear(`${p}.mlp.down_proj`, dim, ffn, spec.mlpBias), spec.activation);
    switch (spec.norms) {
      case "pre":
        return new DecoderBlock(l, {
          inputNorm: norm(`${p}.input_layernorm.weight`),
          attention,
          ffnNorm: norm(`${p}.post_attention_layernorm.weight`),
          ffn: mlp,
          residualScale: spec.residualScale,
        });
      case "sandwich":
        return new DecoderBlock(l, {
          inputNorm: norm(`${p}.input_layernorm.weight`),
          attention,
          attentionOutputNorm: norm(`${p}.post_attention_layernorm.weight`),
          ffnNorm: norm(`${p}.pre_feedforward_layernorm.weight`),
          ffn: mlp,
          ffnOutputNorm: norm(`${p}.post_feedforward_layernorm.weight`),
          residualScale: spec.residualScale,
        });
      case "post-outputs":
        return new DecoderBlock(l, {
          inputNorm: null,
          attention,
          attentionOutputNorm: norm(`${p}.post_attention_layernorm.weight`),
          ffnNorm: null,
          ffn: mlp,
          ffnOutputNorm: norm(`${p}.post_feedforward_layernorm.weight`),
          residualScale: spec.residualScale,
        });
    }
  });
  const finalNorm = norm("model.norm.weight");
  const lmHead = read.lmHead("lm_head.weight", tokenEmbedding, spec.tieWordEmbeddings);
  const ignoredTensors = weights.assertAllUsed(spec.tieWordEmbeddings ? LLAMA_BUFFERS_OR_TIED_HEAD : LLAMA_BUFFERS);
  const parts = {
    ignoredTensors,
    tokenEmbedding,
    embeddingScale: spec.embeddingScale,
    positionEmbedding: null,
    blocks,
    finalNorm,
    lmHead,
    logitScale: spec.logitScale,
    logitSoftcap: spec.logitSoftcap,
  };
  return new DecoderOnlyModel(config, parts, backend, weights.parameterCount, weights.parameters);
}
