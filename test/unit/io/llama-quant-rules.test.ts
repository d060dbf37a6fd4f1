// llama-quantize's per-tensor type rules (io/llama-quant-rules.ts) on Llama-shaped tensor
// lists: defaults, the output head, the attn_v / ffn_down bumps by layer, GQA, tied
// embeddings, and the row-length fallbacks of models whose hidden size is not a multiple
// of 256 (SmolLM2's 576).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { chooseTensorTypes, useMoreBits, type QuantizeMix, type RuleTensor } from "../../../src/io/llama-quant-rules.js";

function llamaTensors(layers: number, hidden: number, ffn: number, kvDim: number, tied = false): RuleTensor[] {
  const out: RuleTensor[] = [{ name: "token_embd.weight", shape: [1000, hidden] }, { name: "output_norm.weight", shape: [hidden] }];
  if (!tied) out.push({ name: "output.weight", shape: [1000, hidden] });
  for (let l = 0; l < layers; l++) {
    out.push(
      { name: `blk.${l}.attn_norm.weight`, shape: [hidden] },
      { name: `blk.${l}.attn_q.weight`, shape: [hidden, hidden] },
      { name: `blk.${l}.attn_k.weight`, shape: [kvDim, hidden] },
      { name: `blk.${l}.attn_v.weight`, shape: [kvDim, hidden] },
      { name: `blk.${l}.attn_output.weight`, shape: [hidden, hidden] },
      { name: `blk.${l}.ffn_norm.weight`, shape: [hidden] },
      { name: `blk.${l}.ffn_gate.weight`, shape: [ffn, hidden] },
      { name: `blk.${l}.ffn_up.weight`, shape: [ffn, hidden] },
      { name: `blk.${l}.ffn_down.weight`, shape: [hidden, ffn] },
    );
  }
  return out;
}

/** The layers whose `kind` tensor has `type`. */
function layersWith(types: Map<string, string>, kind: string, type: string, layers: number): number[] {
  return Array.from({ length: layers }, (_, l) => l).filter((l) => types.get(`blk.${l}.${kind}.weight`) === type);
}

describe("llama-quantize type rules", () => {
  it("useMoreBits picks the first and last eighth and every third layer between", () => {
    const picked = Array.from({ length: 32 }, (_, l) => l).filter((l) => useMoreBits(l, 32));
    assert.deepEqual(picked, [0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31]);
    assert.deepEqual([0, 1].filter((l) => useMoreBits(l, 2)), [1]);
  });

  it("q4_k_m: Q4_K, Q6_K for the head and for attn_v / ffn_down in the use_more_bits layers, norms F32", () => {
    const types = chooseTensorTypes("q4_k_m", llamaTensors(32, 2048, 5632, 256), { layers: 32, heads: 32, kvHeads: 4 });
    assert.equal(types.get("output.weight"), "Q6_K");
    assert.equal(types.get("token_embd.weight"), "Q4_K");
    assert.equal(types.get("blk.5.attn_norm.weight"), "F32");
    assert.equal(types.get("blk.5.attn_q.weight"), "Q4_K");
    const more = [0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31];
    assert.deepEqual(layersWith(types, "attn_v", "Q6_K", 32), more);
    assert.deepEqual(layersWith(types, "ffn_down", "Q6_K", 32), more);
    assert.deepEqual(layersWith(types, "ffn_up", "Q4_K", 32).length, 32);
  });

  it("q3_k_m, q2_k, iq4_xs: their own bumps; GQA ≥ 4 changes attn_v", () => {
    const tensors = llamaTensors(16, 2048, 5632, 512);
    const q3 = chooseTensorTypes("q3_k_m", tensors, { layers: 16, heads: 32, kvHeads: 8 });
    assert.deepEqual(layersWith(q3, "attn_v", "Q5_K", 16), [0, 1]);
    assert.equal(q3.get("blk.2.attn_v.weight"), "Q4_K");
    assert.deepEqual(layersWith(q3, "ffn_down", "Q5_K", 16), [0], "layers below n/16");
    assert.equal(q3.get("blk.1.ffn_down.weight"), "Q4_K");
    assert.equal(q3.get("blk.3.attn_output.weight"), "Q4_K");
    assert.equal(q3.get("blk.3.ffn_gate.weight"), "Q3_K");
    const q2 = chooseTensorTypes("q2_k", tensors, { layers: 16, heads: 32, kvHeads: 8 });
    assert.equal(q2.get("blk.0.attn_v.weight"), "Q4_K", "4 query heads per KV head");
    assert.equal(chooseTensorTypes("q2_k", tensors, { layers: 16, heads: 32, kvHeads: 16 }).get("blk.0.attn_v.weight"), "Q3_K");
    assert.equal(q2.get("blk.9.ffn_down.weight"), "Q3_K");
    assert.equal(q2.get("blk.9.attn_output.weight"), "Q3_K");
    assert.equal(q2.get("blk.9.attn_q.weight"), "Q2_K");
    const iq4 = chooseTensorTypes("iq4_xs", tensors, { layers: 16, heads: 32, kvHeads: 8 });
    assert.equal(iq4.get("blk.7.attn_v.weight"), "Q5_K");
    assert.deepEqual(layersWith(iq4, "ffn_down", "Q5_K", 16), [0, 1]);
    assert.equal(iq4.get("output.weight"), "Q6_K");
  });

  it("rows that are not a multiple of 256 fall back as llama.cpp does (SmolLM2-like 576 / 1536)", () => {
    const tensors = llamaTensors(8, 576, 1536, 192, true);
    const model = { layers: 8, heads: 9, kvHeads: 3 };
    const expectFallback: [QuantizeMix, string, string][] = [
      ["q4_k_m", "blk.2.attn_q.weight", "Q5_0"],
      ["q4_k_m", "blk.0.attn_v.weight", "Q8_0"],
      ["q5_k_m", "blk.2.attn_q.weight", "Q5_1"],
      ["q6_k", "blk.2.ffn_up.weight", "Q8_0"],
      ["q2_k", "blk.2.ffn_gate.weight", "Q4_0"],
      ["q3_k_m", "blk.2.ffn_gate.weight", "Q4_0"],
      ["iq4_xs", "blk.2.attn_q.weight", "IQ4_NL"],
    ];
    for (const [mix, name, type] of expectFallback) assert.equal(chooseTensorTypes(mix, tensors, model).get(name), type, `${mix} ${name}`);
    // ffn_down rows are 1536 = 6 × 256 long: no fallback.
    assert.equal(chooseTensorTypes("q4_k_m", tensors, model).get("blk.2.ffn_down.weight"), "Q4_K");
    // Tied embeddings: the token embedding is the head: Q6_K if its rows allowed, here Q8_0.
    assert.equal(chooseTensorTypes("q4_k_m", tensors, model).get("token_embd.weight"), "Q8_0");
    assert.equal(chooseTensorTypes("q4_k_m", llamaTensors(8, 512, 1536, 128, true), model).get("token_embd.weight"), "Q6_K");
  });

  it("q8_0 keeps the head Q8_0; rows that do not split into 32 become F16; f16/f32 store every matrix so", () => {
    const tensors = llamaTensors(2, 64, 172, 64);
    const model = { layers: 2, heads: 4, kvHeads: 4 };
    const q8 = chooseTensorTypes("q8_0", tensors, model);
    assert.equal(q8.get("output.weight"), "Q8_0");
    assert.equal(q8.get("blk.0.ffn_down.weight"), "F16", "172 columns");
    const q4 = chooseTensorTypes("q4_0", tensors, model);
    assert.equal(q4.get("output.weight"), "Q8_0", "Q6_K does not fit 64 columns");
    assert.equal(chooseTensorTypes("f16", tensors, model).get("blk.1.ffn_down.weight"), "F16");
    assert.equal(chooseTensorTypes("f16", tensors, model).get("blk.1.ffn_norm.weight"), "F32");
    assert.equal(chooseTensorTypes("f32", tensors, model).get("output.weight"), "F32");
  });
});
