// The GGUF writer for every architecture it supports, on tiny random Hugging Face folders
// written at test time (family-folders.ts): HF folder → GGUF (f32, f16, q8_0, q4_k_m) →
// lmscope's GGUF loader gives the HF model's logits (f32 to float rounding; quantized
// within the mix's error, measured against the same weights dequantized); the file holds
// llama.cpp's tensor names, layouts and hyperparameters for the architecture; what
// llama.cpp cannot run is refused with a ConfigError, what it drops is reported.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { quantizeCommand } from "../../../src/cli/commands/quantize.js";
import { ConfigError, ModelFormatError } from "../../../src/errors.js";
import { GGUF_WRITABLE_MODEL_TYPES, modelToGguf, type GgufOutputType } from "../../../src/io/gguf-convert.js";
import { readGguf, writeGguf, type GgufFile, type GgufValue } from "../../../src/io/gguf.js";
import { ggufModelParts, loadGgufDecoder } from "../../../src/io/gguf-model.js";
import { permuteHfToMeta } from "../../../src/io/llama-rotary-permute.js";
import { readSafetensorsDir } from "../../../src/io/safetensors-index.js";
import { writeSafetensors } from "../../../src/io/safetensors.js";
import { LanguageModel, loadModel } from "../../../src/language-model.js";
import type { JsonObject } from "../../../src/models/config-reader.js";
import { dequantize } from "../../../src/tensor/quantize.js";
import { FAMILY_CONFIGS } from "../../helpers/family-configs.js";
import { writeFamilyFolder } from "../../helpers/family-folders.js";
import { maxAbs, maxAbsDiff } from "../../helpers/reference.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "gguf-architectures-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const IDS = [[1, 5, 9, 17, 33, 2, 40, 41, 7, 3, 12, 60, 18, 4]];

function without(config: JsonObject, ...keys: string[]): JsonObject {
  const copy: Record<string, unknown> = { ...config };
  for (const k of keys) delete copy[k];
  return copy;
}

/** The family configs in forms llama.cpp runs as they stand (the other forms are tested below). */
const ROUND_TRIP: Record<string, JsonObject> = {
  llama: { ...without(FAMILY_CONFIGS["llama"]!, "rope_scaling"), rope_scaling: { rope_type: "linear", factor: 2 } },
  mistral: without(FAMILY_CONFIGS["mistral"]!, "sliding_window"),
  qwen2: without(FAMILY_CONFIGS["qwen2"]!, "use_sliding_window", "sliding_window", "max_window_layers"),
  qwen3: FAMILY_CONFIGS["qwen3"]!,
  gemma: { ...FAMILY_CONFIGS["gemma"]!, query_pre_attn_scalar: 6 },
  gemma2: FAMILY_CONFIGS["gemma2"]!,
  gemma3_text: { ...FAMILY_CONFIGS["gemma3_text"]!, query_pre_attn_scalar: 12, final_logit_softcapping: 4 },
  phi3: FAMILY_CONFIGS["phi3"]!,
  olmo2: FAMILY_CONFIGS["olmo2"]!,
  granite: FAMILY_CONFIGS["granite"]!,
  smollm3: { ...FAMILY_CONFIGS["smollm3"]!, num_hidden_layers: 4, no_rope_layers: [1, 1, 1, 0] },
  gpt2: FAMILY_CONFIGS["gpt2"]!,
};

/** The same families with rows of 256 (K-quant blocks) and 64-wide heads, for the quantized mixes. */
function wide(config: JsonObject): JsonObject {
  if (config["model_type"] === "gpt2") return { ...config, n_embd: 256, n_head: 4 };
  const c: Record<string, unknown> = { ...config, hidden_size: 256, intermediate_size: 256, num_attention_heads: 4, num_key_value_heads: config["model_type"] === "phi3" || config["model_type"] === "olmo2" ? 4 : 2 };
  if (c["head_dim"] !== undefined) c["head_dim"] = 64;
  if (c["query_pre_attn_scalar"] !== undefined) c["query_pre_attn_scalar"] = 48;
  // These random weights give logits of a few hundred: a cap of 5 would saturate them all.
  if (c["final_logit_softcapping"] !== undefined) c["final_logit_softcapping"] = 300;
  return c;
}

async function folder(name: string, config: JsonObject, seed = 11): Promise<string> {
  const path = join(dir, name);
  await writeFamilyFolder(path, config, seed);
  return path;
}

async function convert(source: string, type: GgufOutputType, suffix = ""): Promise<string> {
  const path = join(dir, `${source.replace(/^.*\//, "")}${suffix}-${type}.gguf`);
  await writeGguf(path, await modelToGguf(source, type));
  return path;
}

async function logits(model: LanguageModel): Promise<Float32Array> {
  return (await model.forward(IDS)).data;
}

const ggufLogits = async (path: string): Promise<Float32Array> => logits(new LanguageModel(await loadGgufDecoder(path)));

function metadataValue(file: GgufFile, key: string): unknown {
  const v = file.metadata.get(key) as GgufValue | undefined;
  return v?.value;
}

function tensorValues(file: GgufFile, name: string): Float32Array {
  const t = file.tensors.get(name);
  assert.ok(t !== undefined, `${name} is in the file`);
  return t.kind === "matrix" ? dequantize(t.matrix) : t.data;
}

/** The same file with every quantized matrix dequantized to F32: what the quantized file should compute up to activation rounding. */
async function dequantizedCopy(path: string): Promise<string> {
  const file = await readGguf(path);
  const out = path.replace(/\.gguf$/, "-dequantized.gguf");
  await writeGguf(out, {
    metadata: file.metadata,
    tensors: [...file.tensors.values()].map((t) => ({ name: t.name, shape: t.shape, data: t.kind === "matrix" ? dequantize(t.matrix) : t.data })),
  });
  return out;
}

describe("GGUF writer round trips", () => {
  it("writes every architecture it names", () => {
    assert.deepEqual([...GGUF_WRITABLE_MODEL_TYPES].sort(), Object.keys(ROUND_TRIP).sort());
  });

  for (const [modelType, config] of Object.entries(ROUND_TRIP)) {
    it(`${modelType}: f32 and f16 GGUF give the HF folder's logits`, async () => {
      const source = await folder(`${modelType}-small`, config);
      const expected = await logits(await loadModel(source, { backend: "js" }));
      const scale = Math.max(1, maxAbs(expected));
      const f32 = await ggufLogits(await convert(source, "f32"));
      assert.ok(maxAbsDiff(f32, expected) <= 1e-5 * scale, `f32: max |Δ| ${maxAbsDiff(f32, expected)}`);
      const f16 = await ggufLogits(await convert(source, "f16"));
      assert.ok(maxAbsDiff(f16, expected) <= 1e-2 * scale, `f16: max |Δ| ${maxAbsDiff(f16, expected)}`);
    });

    it(`${modelType}: q8_0 and q4_k_m GGUF stay within the mix's quantization error`, async () => {
      const source = await folder(`${modelType}-wide`, wide(config));
      const expected = await logits(await loadModel(source, { backend: "js" }));
      const f32Path = await convert(source, "f32");
      const f32 = await readGguf(f32Path);
      // Bounds: per-tensor relative RMS error of the stored weights, then logits against the
      // same weights in f32 (activation quantization only) and against the HF model.
      for (const [mix, weightBound, activationBound, modelBound] of [["q8_0", 0.01, 0.03, 0.08], ["q4_k_m", 0.12, 0.06, 0.5]] as const) {
        const path = await convert(source, mix);
        const file = await readGguf(path);
        assert.equal(metadataValue(file, "general.file_type"), mix === "q8_0" ? 7 : 15);
        for (const [name, t] of file.tensors) {
          if (t.kind !== "matrix") continue;
          const ours = dequantize(t.matrix);
          const exact = tensorValues(f32, name);
          let err = 0;
          let norm = 0;
          for (let i = 0; i < exact.length; i++) {
            err += (ours[i]! - exact[i]!) ** 2;
            norm += exact[i]! ** 2;
          }
          assert.ok(Math.sqrt(err / norm) <= weightBound, `${mix} ${name} (${t.type}): relative RMS error ${Math.sqrt(err / norm)}`);
        }
        const got = await ggufLogits(path);
        const reference = await ggufLogits(await dequantizedCopy(path));
        const activation = maxAbsDiff(got, reference) / maxAbs(reference);
        const total = maxAbsDiff(got, expected) / maxAbs(expected);
        process.stdout.write(`# ${modelType} ${mix}: max |Δ| / max |logit| ${activation.toExponential(2)} vs its dequantized weights, ${total.toExponential(2)} vs the HF model\n`);
        assert.ok(activation <= activationBound, `${mix}: ${activation} against its own weights in f32`);
        assert.ok(total <= modelBound, `${mix}: ${total} against the HF model`);
      }
    });
  }
});

describe("GGUF writer: llama.cpp's names, layouts and hyperparameters", () => {
  const written = async (modelType: string, config: JsonObject = ROUND_TRIP[modelType]!) => {
    const source = await folder(`${modelType}-meta`, config, 5);
    const tensors = await readSafetensorsDir(source);
    const file = await readGguf(await convert(source, "f32", "-meta"));
    return { file, tensors, arch: metadataValue(file, "general.architecture") };
  };

  it("llama and mistral: architecture llama, q/k rows in Meta's order, vocab_size and rope.dimension_count, linear RoPE scaling", async () => {
    for (const modelType of ["llama", "mistral"]) {
      const { file, tensors, arch } = await written(modelType);
      assert.equal(arch, "llama");
      const c = ROUND_TRIP[modelType]!;
      const q = tensors.get("model.layers.1.self_attn.q_proj.weight")!;
      assert.deepEqual(tensorValues(file, "blk.1.attn_q.weight"), permuteHfToMeta(q.data, c["num_attention_heads"] as number, q.shape[1]!));
      const k = tensors.get("model.layers.1.self_attn.k_proj.weight")!;
      assert.deepEqual(tensorValues(file, "blk.1.attn_k.weight"), permuteHfToMeta(k.data, c["num_key_value_heads"] as number, k.shape[1]!));
      assert.equal(metadataValue(file, "llama.vocab_size"), c["vocab_size"]);
      assert.equal(metadataValue(file, "llama.rope.dimension_count"), (c["head_dim"] as number | undefined) ?? 6);
      if (modelType === "llama") {
        assert.equal(metadataValue(file, "llama.rope.scaling.type"), "linear");
        assert.equal(metadataValue(file, "llama.rope.scaling.factor"), 2);
      } else {
        assert.equal(metadataValue(file, "llama.attention.key_length"), 8, "mistral's head_dim is written as key_length");
      }
    }
  });

  it("qwen2: biases, HF row order, no vocab_size or rope.dimension_count", async () => {
    const { file, tensors, arch } = await written("qwen2");
    assert.equal(arch, "qwen2");
    assert.deepEqual(tensorValues(file, "blk.0.attn_q.weight"), tensors.get("model.layers.0.self_attn.q_proj.weight")!.data);
    assert.deepEqual(tensorValues(file, "blk.0.attn_k.bias"), tensors.get("model.layers.0.self_attn.k_proj.bias")!.data);
    assert.ok(file.tensors.has("blk.0.attn_v.bias"));
    assert.equal(file.metadata.has("qwen2.vocab_size"), false);
    assert.equal(file.metadata.has("qwen2.rope.dimension_count"), false);
    assert.equal(metadataValue(file, "qwen2.attention.head_count_kv"), 1);
  });

  it("qwen3: per-head q/k norms, key_length, RoPE base", async () => {
    const { file, arch } = await written("qwen3");
    assert.equal(arch, "qwen3");
    assert.deepEqual([...file.tensors.get("blk.2.attn_q_norm.weight")!.shape], [10]);
    assert.deepEqual([...file.tensors.get("blk.2.attn_k_norm.weight")!.shape], [10]);
    assert.equal(metadataValue(file, "qwen3.attention.key_length"), 10);
    assert.equal(metadataValue(file, "qwen3.attention.value_length"), 10);
    assert.equal(metadataValue(file, "qwen3.rope.freq_base"), 1e6);
    assert.equal(metadataValue(file, "qwen3.attention.layer_norm_rms_epsilon"), Math.fround(1e-5));
  });

  it("gemma: norms stored as 1 + w, tied head, key_length, query_pre_attn_scalar folded into attn_q", async () => {
    const { file, tensors, arch } = await written("gemma");
    assert.equal(arch, "gemma");
    assert.deepEqual(tensorValues(file, "blk.0.attn_norm.weight"), tensors.get("model.layers.0.input_layernorm.weight")!.data.map((w) => w + 1));
    assert.deepEqual(tensorValues(file, "blk.0.ffn_norm.weight"), tensors.get("model.layers.0.post_attention_layernorm.weight")!.data.map((w) => w + 1));
    assert.equal(file.tensors.has("output.weight"), false);
    assert.equal(metadataValue(file, "gemma.attention.key_length"), 8);
    const q = tensors.get("model.layers.0.self_attn.q_proj.weight")!.data;
    assert.ok(maxAbsDiff(tensorValues(file, "blk.0.attn_q.weight"), q.map((v) => v * Math.sqrt(8 / 6))) <= 1e-6);
  });

  it("gemma2: four norms stored as 1 + w, tied head, soft-caps, window, query_pre_attn_scalar folded into attn_q", async () => {
    const { file, tensors, arch } = await written("gemma2");
    assert.equal(arch, "gemma2");
    for (const [gguf, hf] of [
      ["blk.0.attn_norm", "input_layernorm"], ["blk.0.post_attention_norm", "post_attention_layernorm"],
      ["blk.0.ffn_norm", "pre_feedforward_layernorm"], ["blk.0.post_ffw_norm", "post_feedforward_layernorm"],
    ]) {
      assert.deepEqual(tensorValues(file, `${gguf}.weight`), tensors.get(`model.layers.0.${hf}.weight`)!.data.map((w) => w + 1), gguf);
    }
    assert.deepEqual(tensorValues(file, "output_norm.weight"), tensors.get("model.norm.weight")!.data.map((w) => w + 1));
    assert.equal(file.tensors.has("output.weight"), false);
    assert.equal(metadataValue(file, "gemma2.attn_logit_softcapping"), 3);
    assert.equal(metadataValue(file, "gemma2.final_logit_softcapping"), 5);
    assert.equal(metadataValue(file, "gemma2.attention.sliding_window"), 4);
    assert.equal(file.metadata.has("gemma2.attention.sliding_window_pattern"), false, "layer_types are llama.cpp's default (even layers slide)");
    assert.equal(metadataValue(file, "gemma2.attention.key_length"), 10);
    // llama.cpp scales scores by 1/√head_dim (10); the checkpoint by 1/√query_pre_attn_scalar (12).
    const factor = Math.sqrt(10 / 12);
    const q = tensors.get("model.layers.1.self_attn.q_proj.weight")!.data;
    assert.ok(maxAbsDiff(tensorValues(file, "blk.1.attn_q.weight"), q.map((v) => v * factor)) <= 1e-6);
    assert.equal(file.metadata.has("gemma2.attention.scale"), false);
    assert.equal(ggufModelParts(file).config["query_pre_attn_scalar"], 10, "the reader scales as llama.cpp does");
  });

  it("gemma3: q/k norms (1 + w, the scale folded into q), the layer pattern when it is not llama.cpp's, local RoPE base", async () => {
    const { file, tensors, arch } = await written("gemma3_text");
    assert.equal(arch, "gemma3");
    const factor = Math.sqrt(8 / 12);
    const qNorm = tensors.get("model.layers.0.self_attn.q_norm.weight")!.data;
    assert.ok(maxAbsDiff(tensorValues(file, "blk.0.attn_q_norm.weight"), qNorm.map((w) => (w + 1) * factor)) <= 1e-6);
    assert.deepEqual(tensorValues(file, "blk.0.attn_k_norm.weight"), tensors.get("model.layers.0.self_attn.k_norm.weight")!.data.map((w) => w + 1));
    assert.deepEqual(metadataValue(file, "gemma3.attention.sliding_window_pattern"), [true, true, false]);
    assert.equal(metadataValue(file, "gemma3.attention.sliding_window"), 5);
    assert.equal(metadataValue(file, "gemma3.rope.freq_base"), 1e6);
    assert.equal(metadataValue(file, "gemma3.rope.freq_base_swa"), 1e4);
    assert.equal(metadataValue(file, "gemma3.attention.key_length"), 8);
    assert.equal(metadataValue(file, "gemma3.final_logit_softcapping"), 4);
    assert.deepEqual(ggufModelParts(file).config["layer_types"], ["sliding_attention", "sliding_attention", "full_attention"]);
  });

  it("gemma3: a final soft-cap in config.json bounds the logits, read from the HF folder and from the GGUF file", async () => {
    const source = await folder("gemma3-softcap", ROUND_TRIP["gemma3_text"]!, 5);
    const hf = await logits(await loadModel(source, { backend: "js" }));
    const gguf = await ggufLogits(await convert(source, "f32", "-softcap"));
    assert.ok(maxAbs(hf) < 4 && maxAbs(hf) > 2, `max |logit| ${maxAbs(hf)}`);
    assert.ok(maxAbsDiff(gguf, hf) <= 1e-5);
  });

  it("phi3: fused attn_qkv and ffn_up (gate|up), partial rotary dimension count, window 0", async () => {
    const { file, tensors, arch } = await written("phi3");
    assert.equal(arch, "phi3");
    assert.deepEqual(tensorValues(file, "blk.0.attn_qkv.weight"), tensors.get("model.layers.0.self_attn.qkv_proj.weight")!.data);
    assert.deepEqual([...file.tensors.get("blk.0.ffn_up.weight")!.shape], [80, 24]);
    assert.equal(file.tensors.has("blk.0.ffn_gate.weight"), false);
    assert.equal(metadataValue(file, "phi3.rope.dimension_count"), 4);
    assert.equal(metadataValue(file, "phi3.attention.sliding_window"), 0);
  });

  it("olmo2: output norms only, q/k norms over the whole projection", async () => {
    const { file, arch } = await written("olmo2");
    assert.equal(arch, "olmo2");
    assert.equal(file.tensors.has("blk.0.attn_norm.weight"), false);
    assert.equal(file.tensors.has("blk.0.ffn_norm.weight"), false);
    assert.ok(file.tensors.has("blk.0.post_attention_norm.weight") && file.tensors.has("blk.0.post_ffw_norm.weight"));
    assert.deepEqual([...file.tensors.get("blk.0.attn_q_norm.weight")!.shape], [24]);
  });

  it("granite: the four multipliers under llama.cpp's names; smollm3: its own architecture", async () => {
    const granite = await written("granite");
    assert.equal(granite.arch, "granite");
    assert.equal(metadataValue(granite.file, "granite.attention.scale"), Math.fround(0.3));
    assert.equal(metadataValue(granite.file, "granite.embedding_scale"), 2.5);
    assert.equal(metadataValue(granite.file, "granite.residual_scale"), 0.5);
    assert.equal(metadataValue(granite.file, "granite.logit_scale"), 2);
    const smollm3 = await written("smollm3");
    assert.equal(smollm3.arch, "smollm3");
    assert.deepEqual(ggufModelParts(smollm3.file).config["no_rope_layer_interval"], 4);
  });
});

describe("GGUF writer: what llama.cpp cannot run", () => {
  const refuses = async (name: string, config: JsonObject, pattern: RegExp): Promise<void> => {
    const source = await folder(name, config);
    await assert.rejects(modelToGguf(source, "f32"), (e: unknown) => e instanceof ConfigError && pattern.test(e.message));
  };

  it("an architecture without a writer: a ConfigError naming the model_type and the supported ones", async () => {
    for (const modelType of ["bloom", "gpt_neox", "lmscope-decoder"]) {
      const source = await folder(`unsupported-${modelType}`, FAMILY_CONFIGS[modelType]!);
      await assert.rejects(modelToGguf(source, "q8_0"), (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, new RegExp(`config\\.json: model_type "${modelType}" cannot be written as GGUF \\(supported: llama, mistral, .*gemma3_text.*, gpt2\\)`));
        return true;
      });
    }
  });

  it("SmolLM3 NoPE layers other than every 4th, Gemma 2 without soft-caps, window or untied, Gemma 3 attention soft-capping, llama3 RoPE scaling, Granite's own head_dim", async () => {
    await refuses("smollm3-nope", FAMILY_CONFIGS["smollm3"]!, /leaves RoPE out of every 4th layer; this checkpoint's no_rope_layers \[1, 0, 1\]/);
    await refuses("gemma2-nocap", { ...FAMILY_CONFIGS["gemma2"]!, attn_logit_softcapping: null }, /attn_logit_softcapping is null, but llama.cpp's "gemma2" always soft-caps/);
    await refuses("gemma2-nowindow", without(FAMILY_CONFIGS["gemma2"]!, "sliding_window"), /sliding_window is null, but llama.cpp's "gemma2" always slides/);
    await refuses("gemma2-untied", { ...FAMILY_CONFIGS["gemma2"]!, tie_word_embeddings: false }, /tie_word_embeddings is false/);
    await refuses("gemma3-cap", { ...FAMILY_CONFIGS["gemma3_text"]!, attn_logit_softcapping: 20 }, /attn_logit_softcapping is set/);
    await refuses("llama-llama3", FAMILY_CONFIGS["llama"]!, /RoPE scaling "llama3" cannot be written as GGUF yet \(supported: linear\)/);
    await refuses("granite-headdim", { ...FAMILY_CONFIGS["granite"]!, head_dim: 8 }, /head_dim 8 cannot be written for llama.cpp's "granite"/);
  });

  it("a missing tensor is a ModelFormatError naming it", async () => {
    const source = await folder("qwen3-missing", ROUND_TRIP["qwen3"]!);
    const tensors = await readSafetensorsDir(source);
    tensors.delete("model.layers.1.self_attn.k_norm.weight");
    await writeSafetensors(join(source, "model.safetensors"), [...tensors.values()]);
    await assert.rejects(modelToGguf(source, "f32"), (e: unknown) => e instanceof ModelFormatError && /tensor "model\.layers\.1\.self_attn\.k_norm\.weight": missing/.test(e.message));
  });

  it("a sliding window llama.cpp's architecture lacks is dropped with a warning; the file is the model without it", async () => {
    const config = FAMILY_CONFIGS["mistral"]!;
    const source = await folder("mistral-window", config);
    const content = await modelToGguf(source, "f32");
    assert.equal(content.warnings.length, 2);
    assert.match(content.warnings[0]!, /llama\.cpp's "llama" has no sliding window; the GGUF file attends to every position \(layers 0, 1, 2 of the checkpoint see only the last 4 positions\)/);
    assert.match(content.warnings[1]!, /no tokenizer\.json or tokenizer\.model/);
    const path = join(dir, "mistral-window.gguf");
    await writeGguf(path, content);
    const unwindowed = await folder("mistral-unwindowed", without(config, "sliding_window"));
    const expected = await logits(await loadModel(unwindowed, { backend: "js" }));
    assert.ok(maxAbsDiff(await ggufLogits(path), expected) <= 1e-5 * Math.max(1, maxAbs(expected)));

    const lines: string[] = [];
    const sink = { write: (s: string) => lines.push(s) } as unknown as NodeJS.WritableStream;
    assert.equal(await quantizeCommand.run(["--type", "q8_0", source, join(dir, "mistral-window-q8_0.gguf")], { stdout: sink, stderr: sink }), 0);
    assert.ok(lines.some((l) => l.startsWith("warning: ") && l.includes("has no sliding window")), lines.join(""));
  });
});

describe("GGUF reader: llama.cpp's Gemma defaults", () => {
  const rewritten = async (name: string, edit: (metadata: Map<string, GgufValue>) => void): Promise<GgufFile> => {
    const source = await folder(`${name}-source`, ROUND_TRIP[name.startsWith("gemma3") ? "gemma3_text" : "gemma2"]!);
    const content = await modelToGguf(source, "f32");
    edit(content.metadata);
    const path = join(dir, `${name}.gguf`);
    await writeGguf(path, content);
    return readGguf(path);
  };

  it("Gemma 2 without soft-cap or window keys soft-caps at 50 and 30 and slides over 4096; a pattern period sets the sliding layers", async () => {
    const file = await rewritten("gemma2-defaults", (m) => {
      m.delete("gemma2.attn_logit_softcapping");
      m.delete("gemma2.final_logit_softcapping");
      m.delete("gemma2.attention.sliding_window");
      m.set("gemma2.attention.sliding_window_pattern", { type: "uint32", value: 3 });
    });
    const config = ggufModelParts(file).config;
    assert.equal(config["attn_logit_softcapping"], 50);
    assert.equal(config["final_logit_softcapping"], 30);
    assert.equal(config["sliding_window"], 4096);
    assert.deepEqual(config["layer_types"], ["sliding_attention", "sliding_attention", "full_attention"]);
  });

  it("attention.scale, when a file has it, sets the score scale; flags of the wrong length are refused", async () => {
    const file = await rewritten("gemma3-scale", (m) => m.set("gemma3.attention.scale", { type: "float32", value: 0.25 }));
    assert.equal(ggufModelParts(file).config["query_pre_attn_scalar"], 16);
    const bad = await rewritten("gemma3-badpattern", (m) => m.set("gemma3.attention.sliding_window_pattern", { type: "array", elementType: "bool", value: [true, false] }));
    assert.throws(() => ggufModelParts(bad), /metadata "gemma3\.attention\.sliding_window_pattern" must hold one bool per layer \(3\)/);
  });
});
