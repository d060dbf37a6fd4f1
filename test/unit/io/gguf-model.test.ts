// GGUF models end to end on tiny random decoders: an HF folder converted by
// `modelToGguf` (names, q/k un-permuted, GPT-2 Conv1D transposed, metadata), written,
// read back and built gives the same logits as the HF folder (f32), close logits with
// quantized weights that stay quantized; and the SentencePiece merge derivation.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { LanguageModel, loadModel } from "../../../src/language-model.js";
import { readGguf, writeGguf } from "../../../src/io/gguf.js";
import { modelToGguf, type GgufOutputType } from "../../../src/io/gguf-convert.js";
import { loadGgufDecoder } from "../../../src/io/gguf-model.js";
import { sentencePieceMerges, tokenizerFromGguf } from "../../../src/io/gguf-tokenizer.js";
import type { GgufValue } from "../../../src/io/gguf.js";
import { writeSafetensors } from "../../../src/io/safetensors.js";
import { dequantize } from "../../../src/tensor/quantize.js";
import type { JsonObject } from "../../../src/models/config-reader.js";
import { maxAbs, maxAbsDiff } from "../../helpers/reference.js";
import { GPT2_CONFIG, LLAMA_CONFIG, randomGpt2, randomLlama, type Tensors } from "../../helpers/random-models.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "gguf-model-"));
});
after(async () => {
  await rm(dir, { recursive: true });
});

async function hfFolder(name: string, config: JsonObject, tensors: Tensors): Promise<string> {
  const folder = join(dir, name);
  const { mkdir } = await import("node:fs/promises");
  await mkdir(folder);
  await writeFile(join(folder, "config.json"), JSON.stringify(config));
  await writeSafetensors(join(folder, "model.safetensors"), [...tensors].map(([n, t]) => ({ name: n, shape: t.shape, data: t.data })));
  return folder;
}

async function convert(folder: string, type: GgufOutputType): Promise<string> {
  const path = join(dir, `${folder.replace(/^.*\//, "")}-${type}.gguf`);
  await writeGguf(path, await modelToGguf(folder, type));
  return path;
}

const IDS = [[1, 5, 9, 17, 33, 2, 40, 41, 7, 3, 12, 60]];

async function logits(model: LanguageModel): Promise<Float32Array> {
  return (await model.forward(IDS)).data;
}

describe("GGUF llama", () => {
  const config = { ...LLAMA_CONFIG, tie_word_embeddings: false };

  it("f32: same logits as the HF folder (q/k un-permuted, interleaved RoPE)", async () => {
    const folder = await hfFolder("llama", config, randomLlama(config));
    const path = await convert(folder, "f32");
    const file = await readGguf(path);
    assert.equal(file.tensors.get("blk.0.attn_q.weight")?.kind, "dense");
    assert.ok(file.tensors.has("output.weight"));
    const expected = await logits(await loadModel(folder));
    const decoder = await loadGgufDecoder(path);
    assert.equal(decoder.source.format, "gguf");
    const got = await logits(new LanguageModel(decoder));
    assert.ok(maxAbsDiff(got, expected) < 1e-5, `max |Δ| ${maxAbsDiff(got, expected)}`);
  });

  it("q8_0 and q4_0: matrices stay quantized; logits match the dequantized weights up to activation quantization", async () => {
    const folder = join(dir, "llama");
    const expected = await logits(await loadModel(folder));
    for (const [type, bound] of [["q8_0", 0.06], ["q4_0", 0.5]] as const) {
      const path = await convert(folder, type);
      const file = await readGguf(path);
      assert.equal(file.tensors.get("blk.1.attn_k.weight")?.kind, "matrix");
      assert.equal(file.tensors.get("blk.1.ffn_down.weight")?.type, "F16", "45 columns: F16 fallback");
      assert.equal(file.tensors.get("blk.1.attn_norm.weight")?.type, "F32");
      const decoder = await loadGgufDecoder(path);
      assert.ok(decoder.source.dtypes.includes(type.toUpperCase()));
      const got = await logits(new LanguageModel(decoder));
      // The same weights dequantized to F32: only the kernel's 8-bit activations differ.
      const dequantizedPath = join(dir, `llama-${type}-dequantized.gguf`);
      await writeGguf(dequantizedPath, {
        metadata: file.metadata,
        tensors: [...file.tensors.values()].map((t) =>
          t.kind === "matrix" ? { name: t.name, shape: t.shape, data: dequantize(t.matrix) } : { name: t.name, shape: t.shape, data: t.data },
        ),
      });
      const reference = await logits(new LanguageModel(await loadGgufDecoder(dequantizedPath)));
      const activation = maxAbsDiff(got, reference) / maxAbs(reference);
      const total = maxAbsDiff(got, expected) / maxAbs(expected);
      process.stdout.write(`# ${type}: max |Δ| / max |logit|: ${activation.toExponential(2)} vs dequantized weights, ${total.toExponential(2)} vs the f32 model\n`);
      assert.ok(activation < 0.06, `${type}: ${activation} against the dequantized weights`);
      assert.ok(total < bound, `${type}: ${total} against the f32 model`);
    }
  });

  it("tied embeddings: no output tensor, the head reuses token_embd", async () => {
    const tied = { ...LLAMA_CONFIG, tie_word_embeddings: true };
    const folder = await hfFolder("llama-tied", tied, randomLlama(tied, 5));
    const path = await convert(folder, "q8_0");
    const file = await readGguf(path);
    assert.equal(file.tensors.has("output.weight"), false);
    assert.equal(file.tensors.get("token_embd.weight")?.kind, "matrix");
    const expected = await logits(await loadModel(folder));
    const got = await logits(new LanguageModel(await loadGgufDecoder(path)));
    assert.ok(maxAbsDiff(got, expected) / maxAbs(expected) < 0.06, `relative ${maxAbsDiff(got, expected) / maxAbs(expected)}`);
  });
});

describe("GGUF gpt2", () => {
  it("f32, f16 and q8_0: fused qkv in Linear layout, logits as the HF folder's", async () => {
    const folder = await hfFolder("gpt2", GPT2_CONFIG, randomGpt2(GPT2_CONFIG));
    const expected = await logits(await loadModel(folder));
    const path = await convert(folder, "f32");
    const file = await readGguf(path);
    assert.deepEqual([...file.tensors.get("blk.0.attn_qkv.weight")!.shape], [72, 24]);
    const got = await logits(new LanguageModel(await loadGgufDecoder(path)));
    assert.ok(maxAbsDiff(got, expected) < 1e-5, `max |Δ| ${maxAbsDiff(got, expected)}`);
    const half = await logits(new LanguageModel(await loadGgufDecoder(await convert(folder, "f16"))));
    assert.ok(maxAbsDiff(half, expected) / maxAbs(expected) < 5e-3);
    // q8_0: only ffn_down (96 columns) splits into blocks; GPT-2 runs it dequantized.
    const q8Path = await convert(folder, "q8_0");
    assert.equal((await readGguf(q8Path)).tensors.get("blk.0.ffn_down.weight")?.type, "Q8_0");
    const q8 = await logits(new LanguageModel(await loadGgufDecoder(q8Path)));
    assert.ok(maxAbsDiff(q8, expected) / maxAbs(expected) < 0.02, `q8_0: ${maxAbsDiff(q8, expected) / maxAbs(expected)}`);
  });
});

describe("sentencePieceMerges", () => {
  it("lists every split into two pieces, by the halves' ids, ranked by the merged piece's score (stable)", () => {
    const tokens = ["a", "b", "c", "ab", "bc", "abc", "ca"];
    const scores = [0, 0, 0, -1, -1, -0.5, -3];
    // abc (-0.5): splits a|bc (ids 0,4) and ab|c (3,2), ordered by the left id; then ab and
    // bc (-1) in vocabulary order; then ca (-3).
    assert.deepEqual(sentencePieceMerges(tokens, scores), ["a bc", "ab c", "a b", "b c", "c a"]);
  });
});

describe("tokenizerFromGguf", () => {
  const strings = (value: string[]): GgufValue => ({ type: "array", elementType: "string", value });
  it("gpt2: byte-level BPE with the file's merges, control tokens split out", () => {
    const metadata = new Map<string, GgufValue>([
      ["tokenizer.ggml.model", { type: "string", value: "gpt2" }],
      ["tokenizer.ggml.pre", { type: "string", value: "gpt-2" }],
      ["tokenizer.ggml.tokens", strings(["a", "b", "Ġ", "ab", "Ġab", "<|endoftext|>"])],
      ["tokenizer.ggml.token_type", { type: "array", elementType: "int32", value: [1, 1, 1, 1, 1, 3] }],
      ["tokenizer.ggml.merges", strings(["a b", "Ġ ab"])],
      ["tokenizer.ggml.eos_token_id", { type: "uint32", value: 5 }],
    ]);
    const tokenizer = tokenizerFromGguf(metadata, "tiny.gguf");
    assert.deepEqual(tokenizer.encode("ab ab"), [3, 4]);
    assert.deepEqual(tokenizer.encode("ab<|endoftext|>"), [3, 5]);
    assert.equal(tokenizer.decode([3, 4]), "ab ab");
  });

  it("refuses unknown tokenizer models and inconsistent lists", () => {
    const base = (model: string, types: number[]) =>
      new Map<string, GgufValue>([
        ["tokenizer.ggml.model", { type: "string", value: model }],
        ["tokenizer.ggml.tokens", strings(["a", "b"])],
        ["tokenizer.ggml.token_type", { type: "array", elementType: "int32", value: types }],
        ["tokenizer.ggml.scores", { type: "array", elementType: "float32", value: [0, 0] }],
      ]);
    assert.throws(() => tokenizerFromGguf(base("bert", [1, 1]), "x.gguf"), /tokenizer model "bert" is not supported/);
    assert.throws(() => tokenizerFromGguf(base("llama", [1]), "x.gguf"), /"tokenizer.ggml.token_type" has 1 entries for 2 tokens/);
  });
});
