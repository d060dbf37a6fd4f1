// scripts/make-random-model: reproducible HF + llama2.c random Llama folders.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { readLlama2c } from "../../../src/io/llama2c.js";
import { permuteHfToMeta } from "../../../src/io/llama-rotary-permute.js";
import { readSafetensors } from "../../../src/io/safetensors.js";
import { REPO_ROOT } from "../../helpers/paths.js";

const run = promisify(execFile);
const SCRIPT = join(REPO_ROOT, "dist/scripts/make-random-model.js");
const TINY = ["--shape", "custom", "--dim", "32", "--layers", "2", "--heads", "4", "--kv-heads", "2", "--hidden", "40", "--vocab", "300", "--seq-len", "16"];

describe("make-random-model", () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), "lmscope-random-model-"))));
  after(async () => rm(dir, { recursive: true, force: true }));

  it("writes config.json, model.safetensors and an equivalent llama2.c model.bin", async () => {
    const out = join(dir, "a");
    await run(process.execPath, [SCRIPT, ...TINY, "--seed", "7", "--out", out, "--llama2c"]);
    const config = JSON.parse(await readFile(join(out, "config.json"), "utf8"));
    assert.deepEqual(
      { ...config, architectures: undefined, hidden_act: undefined, torch_dtype: undefined },
      {
        model_type: "llama", hidden_size: 32, intermediate_size: 40, num_hidden_layers: 2, num_attention_heads: 4,
        num_key_value_heads: 2, vocab_size: 300, max_position_embeddings: 16, rms_norm_eps: 1e-5, rope_theta: 10000,
        tie_word_embeddings: false, bos_token_id: 1, eos_token_id: 2, architectures: undefined, hidden_act: undefined, torch_dtype: undefined,
      },
    );
    const hf = (await readSafetensors(join(out, "model.safetensors"))).tensors;
    assert.equal(hf.size, 2 * 9 + 3);
    assert.deepEqual(hf.get("model.layers.1.self_attn.k_proj.weight")!.shape, [16, 32]);
    assert.deepEqual(hf.get("model.layers.0.mlp.down_proj.weight")!.shape, [32, 40]);
    assert.ok(hf.get("model.layers.1.post_attention_layernorm.weight")!.data.every((x) => x === 1));
    const embedding = hf.get("model.embed_tokens.weight")!.data;
    const mean = embedding.reduce((s, x) => s + x, 0) / embedding.length;
    const std = Math.sqrt(embedding.reduce((s, x) => s + (x - mean) ** 2, 0) / embedding.length);
    assert.ok(Math.abs(mean) < 0.001 && Math.abs(std - 0.02) < 0.001, `mean ${mean}, std ${std}`);

    const llama2c = await readLlama2c(join(out, "model.bin"));
    assert.deepEqual(llama2c.config, { dim: 32, hiddenDim: 40, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize: 300, seqLen: 16, sharedClassifier: false, version: 0 });
    assert.deepEqual([...llama2c.tensors.keys()].sort(), [...hf.keys()].sort());
    for (const [name, record] of hf) {
      let expected = record.data;
      if (name.endsWith("q_proj.weight")) expected = permuteHfToMeta(expected, 4, 32);
      if (name.endsWith("k_proj.weight")) expected = permuteHfToMeta(expected, 2, 32);
      assert.deepEqual(llama2c.tensors.get(name)!.data, expected, name);
    }
  });

  it("is reproducible from the seed", async () => {
    for (const [name, seed] of [["b", "7"], ["c", "7"], ["d", "8"]]) {
      await run(process.execPath, [SCRIPT, ...TINY, "--seed", seed!, "--out", join(dir, name!)]);
    }
    const bytes = async (name: string) => readFile(join(dir, name, "model.safetensors"));
    assert.ok((await bytes("b")).equals(await bytes("c")));
    assert.ok(!(await bytes("b")).equals(await bytes("d")));
  });

  it("fails with a message on bad options", async () => {
    await assert.rejects(run(process.execPath, [SCRIPT, "--shape", "stories1B", "--out", dir]), /unknown shape "stories1B"/);
    await assert.rejects(run(process.execPath, [SCRIPT, ...TINY, "--heads", "5", "--out", dir]), /--heads/);
    await assert.rejects(run(process.execPath, [SCRIPT, "--shape", "custom", "--dim", "8", "--out", dir]), /--layers.*required/);
    await assert.rejects(run(process.execPath, [SCRIPT, "--shape", "stories15M"]), /--out/);
  });
});
