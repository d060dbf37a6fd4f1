// Weight readers against the shared reference files: stories260K as safetensors and as a
// llama2.c checkpoint (bit-identical weights, q/k differing only by HF's rotary permute),
// and every fixture model.safetensors.
import assert from "node:assert/strict";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { readLlama2c } from "../../src/io/llama2c.js";
import { permuteMetaToHf } from "../../src/io/llama-rotary-permute.js";
import { readSafetensorsDir } from "../../src/io/safetensors-index.js";
import { readSafetensors, type TensorRecord } from "../../src/io/safetensors.js";
import { numel } from "../../src/tensor/tensor.js";
import { SHARED } from "../helpers/paths.js";

const STORIES = join(SHARED, "models/stories260K");
const FIXTURE_MODELS = join(SHARED, "fixtures/models");

/** Bit-for-bit equality (so -0, NaN payloads and the last ulp all count). */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.every((v, i) => v === y[i]);
}

/** HF Llama tensor names and shapes a config.json describes. */
function llamaShapes(config: Record<string, number | boolean>): Map<string, number[]> {
  const dim = config["hidden_size"] as number;
  const hidden = config["intermediate_size"] as number;
  const vocab = config["vocab_size"] as number;
  const heads = config["num_attention_heads"] as number;
  const kvDim = (dim / heads) * ((config["num_key_value_heads"] as number | undefined) ?? heads);
  const shapes = new Map<string, number[]>([["model.embed_tokens.weight", [vocab, dim]], ["model.norm.weight", [dim]]]);
  if (config["tie_word_embeddings"] === false) shapes.set("lm_head.weight", [vocab, dim]);
  for (let l = 0; l < (config["num_hidden_layers"] as number); l++) {
    const p = `model.layers.${l}.`;
    for (const [suffix, shape] of [
      ["input_layernorm", [dim]], ["post_attention_layernorm", [dim]],
      ["self_attn.q_proj", [dim, dim]], ["self_attn.k_proj", [kvDim, dim]], ["self_attn.v_proj", [kvDim, dim]], ["self_attn.o_proj", [dim, dim]],
      ["mlp.gate_proj", [hidden, dim]], ["mlp.up_proj", [hidden, dim]], ["mlp.down_proj", [dim, hidden]],
    ] as [string, number[]][]) shapes.set(`${p}${suffix}.weight`, shape);
  }
  return shapes;
}

function assertShapes(tensors: Map<string, TensorRecord>, expected: Map<string, number[]>): void {
  assert.deepEqual([...tensors.keys()].sort(), [...expected.keys()].sort());
  for (const [name, shape] of expected) assert.deepEqual(tensors.get(name)!.shape, shape, name);
}

describe("stories260K", () => {
  it("safetensors: 47 F32 tensors with the README's shapes and 260,032 parameters", async () => {
    const file = await readSafetensors(join(STORIES, "hf/model.safetensors"));
    const config = JSON.parse(await readFile(join(STORIES, "hf/config.json"), "utf8"));
    assert.equal(file.tensors.size, 47);
    assert.equal(file.tensors.has("lm_head.weight"), false);
    assertShapes(file.tensors, llamaShapes(config));
    assert.deepEqual(file.tensors.get("model.layers.4.self_attn.k_proj.weight")!.shape, [32, 64]);
    assert.deepEqual(file.tensors.get("model.layers.0.mlp.down_proj.weight")!.shape, [64, 172]);
    let parameters = 0;
    for (const record of file.tensors.values()) {
      assert.equal(record.dtype, "F32");
      assert.equal(record.data.length, numel(record.shape));
      parameters += record.data.length;
    }
    assert.equal(parameters, 260_032);
    const viaDir = await readSafetensorsDir(join(STORIES, "hf"));
    assert.deepEqual([...viaDir.keys()].sort(), [...file.tensors.keys()].sort());
  });

  it("llama2.c v0: the README's config, and the safetensors weights exactly (q/k after the HF permute)", async () => {
    const checkpoint = await readLlama2c(join(STORIES, "llama2c/stories260K.bin"));
    assert.deepEqual(checkpoint.config, {
      dim: 64, hiddenDim: 172, nLayers: 5, nHeads: 8, nKvHeads: 4, vocabSize: 512, seqLen: 512, sharedClassifier: true, version: 0,
    });
    const hf = (await readSafetensors(join(STORIES, "hf/model.safetensors"))).tensors;
    assert.deepEqual([...checkpoint.tensors.keys()].sort(), [...hf.keys()].sort());
    let permuted = 0;
    for (const [name, record] of checkpoint.tensors) {
      const expected = hf.get(name)!;
      assert.deepEqual(record.shape, expected.shape, name);
      const heads = name.endsWith("q_proj.weight") ? 8 : name.endsWith("k_proj.weight") ? 4 : 0;
      if (heads === 0) {
        assert.ok(sameBits(record.data, expected.data), `${name} differs between the formats`);
        continue;
      }
      assert.ok(!sameBits(record.data, expected.data), `${name}: layouts should differ before the permute`);
      assert.ok(sameBits(permuteMetaToHf(record.data, heads, 64), expected.data), `${name} differs after the permute`);
      permuted++;
    }
    assert.equal(permuted, 10);
  });
});

describe("fixture models", async () => {
  const folders = (await readdir(FIXTURE_MODELS, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);

  it("there are fixture folders to read", () => assert.ok(folders.length >= 5, folders.join(", ")));

  for (const folder of folders) {
    it(`${folder}/model.safetensors reads completely`, async () => {
      const dir = join(FIXTURE_MODELS, folder);
      const path = join(dir, "model.safetensors");
      const file = await readSafetensors(path);
      assert.deepEqual(file.metadata, { format: "pt" });
      assert.ok(file.tensors.size > 0);
      let dataBytes = 0;
      for (const record of file.tensors.values()) {
        assert.equal(record.dtype, "F32", record.name);
        assert.ok(record.data.every(Number.isFinite), `${record.name} has non-finite values`);
        dataBytes += record.data.byteLength;
      }
      const headerLength = Number((await readFile(path)).readBigUInt64LE(0));
      assert.equal(8 + headerLength + dataBytes, (await stat(path)).size);
      const config = JSON.parse(await readFile(join(dir, "config.json"), "utf8"));
      if (config.model_type === "llama") assertShapes(file.tensors, llamaShapes(config));
      const viaDir = await readSafetensorsDir(dir);
      assert.deepEqual([...viaDir.keys()].sort(), [...file.tensors.keys()].sort());
      const adapters = join(dir, "adapters");
      const adapterNames = await readdir(adapters).catch(() => []);
      for (const adapter of adapterNames) {
        const lora = await readSafetensors(join(adapters, adapter, "adapter_model.safetensors"));
        assert.ok([...lora.tensors.keys()].every((name) => /lora_[AB]\.weight$/.test(name)), adapter);
      }
    });
  }
});
