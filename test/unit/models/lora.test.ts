// LoRA on a Llama model (separate q/k/v projections): targeting, a zero update at
// initialisation, training only the adapter, PEFT save/load round trip, merging.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { AdamW, loadModel } from "../../../src/index.js";
import { writeSafetensors } from "../../../src/io/safetensors.js";
import { LLAMA_CONFIG, randomLlama } from "../../helpers/random-models.js";
import { maxAbsDiff } from "../../helpers/reference.js";

async function llamaFolder(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "lmscope-lora-"));
  await writeFile(join(dir, "config.json"), JSON.stringify(LLAMA_CONFIG));
  await writeSafetensors(join(dir, "model.safetensors"), [...randomLlama()].map(([name, t]) => ({ name, shape: t.shape, data: t.data })));
  return dir;
}

const batch = { inputIds: [[3, 8, 1, 40, 22, 9]], targets: [[8, 1, 40, 22, 9, 17]] };

test("LoRA on q_proj/v_proj: starts as a no-op, trains only the adapter, round-trips through PEFT files, merges", async () => {
  const dir = await llamaFolder();
  try {
    const model = await loadModel(dir);
    const before = (await model.forward(batch.inputIds)).data.slice();
    model.addLora({ r: 2, alpha: 4, targetModules: ["q_proj", "v_proj"], seed: 1 });
    const names = model.namedParameters().map(([n]) => n);
    assert.equal(names.length, 2 * 2 * 2); // 2 layers × (q, v) × (A, B)
    assert.ok(names.includes("base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight"));
    assert.equal(maxAbsDiff((await model.forward(batch.inputIds)).data, before), 0, "B = 0: no change yet");

    const optimizer = new AdamW(model.parameters(), { lr: 1e-2, betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0 });
    const first = await model.loss(batch);
    for (let i = 0; i < 30; i++) {
      optimizer.zeroGrad();
      const loss = await model.loss(batch);
      await loss.backward();
      optimizer.step();
    }
    assert.ok((await model.evaluate(batch)) < first.value - 0.1, "the adapter learns");
    const adapted = (await model.forward(batch.inputIds)).data.slice();

    const adapterDir = join(dir, "adapter");
    await model.saveAdapter(adapterDir);
    await assert.rejects(model.save(join(dir, "whole")), /merge the LoRA adapters/);
    const reloaded = await loadModel(dir, { adapter: adapterDir });
    assert.ok(maxAbsDiff((await reloaded.forward(batch.inputIds)).data, adapted) < 1e-6, "the reloaded adapter gives the same logits");
    reloaded.mergeLora();
    assert.ok(maxAbsDiff((await reloaded.forward(batch.inputIds)).data, adapted) < 1e-5, "merged equals unmerged");
    assert.equal(reloaded.namedParameters().length, new Map(randomLlama()).size, "after merging, the base parameters are trainable again");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("LoRA options and adapter files are checked", async () => {
  const dir = await llamaFolder();
  try {
    const model = await loadModel(dir);
    assert.throws(() => model.addLora({ r: 0, alpha: 4, targetModules: ["q_proj"] }), /"r"/);
    assert.throws(() => model.addLora({ r: 2, alpha: 4, targetModules: ["c_attn"] }), /no Linear layer matches/);
    model.addLora({ r: 2, alpha: 4, targetModules: "model\\.layers\\.0\\.self_attn\\.k_proj" });
    assert.equal(model.namedParameters().length, 2);
    assert.throws(() => model.addLora({ r: 2, alpha: 4, targetModules: ["q_proj"] }), /already has LoRA adapters/);
    const adapterDir = join(dir, "dora");
    await model.saveAdapter(adapterDir);
    const config = JSON.parse(await (await import("node:fs/promises")).readFile(join(adapterDir, "adapter_config.json"), "utf8"));
    await writeFile(join(adapterDir, "adapter_config.json"), JSON.stringify({ ...config, use_dora: true }));
    await assert.rejects(loadModel(dir, { adapter: adapterDir }), /"use_dora": true is not supported/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
