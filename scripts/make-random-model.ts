// Writes a random-weight Llama model folder in Hugging Face form (config.json as
// transformers' LlamaConfig names it, model.safetensors with HF tensor names) and,
// with --llama2c, the same weights as a llama2.c legacy (v0) model.bin.
// Weights are N(0, 0.02²), norms 1.0, drawn from a seeded PRNG in a fixed tensor order,
// so a seed always gives the same files. The safetensors q/k rows are in HF's rotate_half
// layout; model.bin gets them un-permuted to the Meta layout, so both files hold one model.
// Size flags override a preset's values; --shape custom needs all seven.
//
//   node dist/scripts/make-random-model.js --shape stories15M --seed 1 --out /tmp/m [--llama2c]
//   node dist/scripts/make-random-model.js --shape custom --dim 64 --layers 2 --heads 8 \
//     --kv-heads 4 --hidden 172 --vocab 512 --seq-len 128 --seed 1 --out /tmp/m
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { OptionError } from "../src/errors.js";
import { writeLlama2c } from "../src/io/llama2c.js";
import { permuteHfToMeta } from "../src/io/llama-rotary-permute.js";
import { writeSafetensors } from "../src/io/safetensors.js";
import { fillNormal, mulberry32 } from "./seeded-random.js";

interface ModelShape {
  dim: number;
  layers: number;
  heads: number;
  kvHeads: number;
  hidden: number;
  vocab: number;
  seqLen: number;
}

/** The llama2.c TinyStories shapes (karpathy/llama2.c README, "Models"). */
const PRESETS: Record<string, ModelShape> = {
  stories15M: { dim: 288, layers: 6, heads: 6, kvHeads: 6, hidden: 768, vocab: 32000, seqLen: 256 },
  stories42M: { dim: 512, layers: 8, heads: 8, kvHeads: 8, hidden: 1376, vocab: 32000, seqLen: 1024 },
  stories110M: { dim: 768, layers: 12, heads: 12, kvHeads: 12, hidden: 2048, vocab: 32000, seqLen: 1024 },
};

const SIZE_OPTIONS = {
  dim: "dim",
  layers: "layers",
  heads: "heads",
  kvHeads: "kv-heads",
  hidden: "hidden",
  vocab: "vocab",
  seqLen: "seq-len",
} as const satisfies Record<keyof ModelShape, string>;

const INIT_STD = 0.02;

function parseCommandLine(argv: string[]): { shape: ModelShape; seed: number; out: string; llama2c: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      shape: { type: "string" },
      seed: { type: "string", default: "0" },
      out: { type: "string" },
      llama2c: { type: "boolean", default: false },
      ...Object.fromEntries(Object.values(SIZE_OPTIONS).map((flag) => [flag, { type: "string" as const }])),
    },
    strict: true,
  });
  const shapeName = values.shape ?? "custom";
  const preset = PRESETS[shapeName];
  if (shapeName !== "custom" && preset === undefined) {
    throw new OptionError("--shape", `unknown shape "${shapeName}" (use ${[...Object.keys(PRESETS), "custom"].join(", ")})`);
  }
  const shape: Partial<ModelShape> = { ...preset };
  for (const [key, flag] of Object.entries(SIZE_OPTIONS) as [keyof ModelShape, string][]) {
    const given = (values as Record<string, unknown>)[flag];
    if (typeof given === "string") shape[key] = positiveInteger(`--${flag}`, given);
    if (shape[key] === undefined) throw new OptionError(`--${flag}`, "is required with --shape custom");
  }
  const full = shape as ModelShape;
  if (full.dim % full.heads !== 0 || (full.dim / full.heads) % 2 !== 0) {
    throw new OptionError("--heads", `must divide --dim ${full.dim} into heads of even size`);
  }
  if (full.heads % full.kvHeads !== 0) throw new OptionError("--kv-heads", `must divide --heads ${full.heads}`);
  if (values.out === undefined) throw new OptionError("--out", "is required (the folder to write)");
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new OptionError("--seed", "must be an integer in 0..2^32-1");
  return { shape: full, seed, out: values.out, llama2c: values.llama2c };
}

function positiveInteger(option: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) throw new OptionError(option, `must be a positive integer, got "${text}"`);
  return value;
}

/** HF tensor names and [out, in] shapes, in the order their random values are drawn. */
function tensorList(s: ModelShape): { name: string; shape: number[]; isNorm: boolean }[] {
  const kvDim = (s.dim / s.heads) * s.kvHeads;
  const list = [{ name: "model.embed_tokens.weight", shape: [s.vocab, s.dim], isNorm: false }];
  for (let l = 0; l < s.layers; l++) {
    const p = `model.layers.${l}.`;
    list.push(
      { name: `${p}input_layernorm.weight`, shape: [s.dim], isNorm: true },
      { name: `${p}self_attn.q_proj.weight`, shape: [s.dim, s.dim], isNorm: false },
      { name: `${p}self_attn.k_proj.weight`, shape: [kvDim, s.dim], isNorm: false },
      { name: `${p}self_attn.v_proj.weight`, shape: [kvDim, s.dim], isNorm: false },
      { name: `${p}self_attn.o_proj.weight`, shape: [s.dim, s.dim], isNorm: false },
      { name: `${p}post_attention_layernorm.weight`, shape: [s.dim], isNorm: true },
      { name: `${p}mlp.gate_proj.weight`, shape: [s.hidden, s.dim], isNorm: false },
      { name: `${p}mlp.up_proj.weight`, shape: [s.hidden, s.dim], isNorm: false },
      { name: `${p}mlp.down_proj.weight`, shape: [s.dim, s.hidden], isNorm: false },
    );
  }
  list.push({ name: "model.norm.weight", shape: [s.dim], isNorm: true });
  list.push({ name: "lm_head.weight", shape: [s.vocab, s.dim], isNorm: false });
  return list;
}

function hfConfig(s: ModelShape): Record<string, unknown> {
  return {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    hidden_size: s.dim,
    intermediate_size: s.hidden,
    num_hidden_layers: s.layers,
    num_attention_heads: s.heads,
    num_key_value_heads: s.kvHeads,
    vocab_size: s.vocab,
    max_position_embeddings: s.seqLen,
    rms_norm_eps: 1e-5,
    rope_theta: 10000.0,
    hidden_act: "silu",
    tie_word_embeddings: false,
    bos_token_id: 1,
    eos_token_id: 2,
    torch_dtype: "float32",
  };
}

async function main(): Promise<void> {
  const { shape, seed, out, llama2c } = parseCommandLine(process.argv.slice(2));
  const uniform = mulberry32(seed);
  const tensors = tensorList(shape).map(({ name, shape: dims, isNorm }) => {
    const data = new Float32Array(dims.reduce((a, b) => a * b, 1));
    if (isNorm) data.fill(1);
    else fillNormal(data, uniform, 0, INIT_STD);
    return { name, shape: dims, data };
  });
  await mkdir(out, { recursive: true });
  await writeFile(join(out, "config.json"), JSON.stringify(hfConfig(shape), null, 2) + "\n");
  await writeSafetensors(join(out, "model.safetensors"), tensors, { format: "pt" });
  if (llama2c) {
    const metaLayout = new Map<string, Float32Array>();
    for (const { name, data } of tensors) {
      if (name.endsWith("q_proj.weight")) metaLayout.set(name, permuteHfToMeta(data, shape.heads, shape.dim));
      else if (name.endsWith("k_proj.weight")) metaLayout.set(name, permuteHfToMeta(data, shape.kvHeads, shape.dim));
      else metaLayout.set(name, data);
    }
    const config = {
      dim: shape.dim, hiddenDim: shape.hidden, nLayers: shape.layers, nHeads: shape.heads, nKvHeads: shape.kvHeads,
      vocabSize: shape.vocab, seqLen: shape.seqLen, sharedClassifier: false,
    };
    await writeLlama2c(join(out, "model.bin"), config, metaLayout);
  }
  console.log(`wrote ${out} (${tensors.length} tensors${llama2c ? ", model.bin" : ""})`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
