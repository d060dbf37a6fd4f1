// What real checkpoints carry and hostile configs claim: unused buffers and a tied
// head's copy load with a warning that lists them (any other unknown tensor is an
// error); a context length of 10¹² or 2³² − 1 never sizes an allocation — caches,
// rotary tables and the generation history grow with what is used.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createModel, loadModel, type Backend } from "../../../src/index.js";
import { jsBackend } from "../../../src/backend/js/index.js";
import { writeSafetensors } from "../../../src/io/safetensors.js";
import { LLAMA_CONFIG, randomLlama } from "../../helpers/random-models.js";

async function folderWith(tensors: Map<string, { data: Float32Array; shape: readonly number[] }>, config: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "lmscope-hardening-"));
  const { writeFile } = await import("node:fs/promises");
  await writeFile(join(dir, "config.json"), JSON.stringify(config));
  await writeSafetensors(join(dir, "model.safetensors"), [...tensors].map(([name, t]) => ({ name, shape: [...t.shape], data: t.data })));
  return dir;
}

test("inv_freq buffers and a tied head's copy load with a warning that lists them; other strays are errors", async () => {
  const config = { ...LLAMA_CONFIG, tie_word_embeddings: true };
  const tensors = randomLlama(config);
  tensors.set("model.layers.0.self_attn.rotary_emb.inv_freq", { data: new Float32Array(4), shape: [4] });
  tensors.set("lm_head.weight", tensors.get("model.embed_tokens.weight")!);
  const dir = await folderWith(tensors, config);
  try {
    const warnings: string[] = [];
    const model = await loadModel(dir, { backend: "js", onWarning: (m) => warnings.push(m) });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /ignored 2 tensors the model does not use \(buffers or a tied head's copy\): lm_head\.weight, model\.layers\.0\.self_attn\.rotary_emb\.inv_freq$/);
    assert.deepEqual(model.warnings, warnings);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const stray = randomLlama(LLAMA_CONFIG);
  stray.set("model.layers.0.self_attn.extra.weight", { data: new Float32Array(4), shape: [4] });
  const strayDir = await folderWith(stray, LLAMA_CONFIG);
  try {
    await assert.rejects(loadModel(strayDir, { backend: "js" }), /unexpected tensors for this architecture: model\.layers\.0\.self_attn\.extra\.weight/);
  } finally {
    await rm(strayDir, { recursive: true, force: true });
  }
});

for (const context of [1e12, 2 ** 32 - 1]) {
  test(`max_position_embeddings ${context}: forward and open-ended generation allocate for what they use`, async () => {
    const model = await createModel({ ...LLAMA_CONFIG, max_position_embeddings: context }, { backend: "js", seed: 1 });
    assert.equal(model.info().contextLength, context);
    const { data } = await model.forward([[1, 2, 3, 4]]);
    assert.equal(data.length, 4 * model.config.vocabSize);
    const before = process.memoryUsage().arrayBuffers;
    let count = 0;
    for await (const piece of model.generate({ ids: [1, 2, 3] }, { temperature: 0, stopOnEos: false, stop: [] })) {
      if (++count === 300) break;
      void piece;
    }
    assert.equal(count, 300);
    const grown = process.memoryUsage().arrayBuffers - before;
    assert.ok(grown < 64 * 1024 * 1024, `grew ${grown} bytes`);
  });
}

test("a config whose sizes would make a 10¹² × 64 position table is refused by name when creating a model", async () => {
  await assert.rejects(
    createModel({ model_type: "gpt2", vocab_size: 50, n_embd: 64, n_head: 4, n_layer: 1, n_positions: 1e12 }, { backend: "js" }),
    /transformer\.wpe\.weight.*shape \[1000000000000, 64\] would take .* GiB/,
  );
});

test("a model that cannot fit the backend's memory is refused before it is read, with its size and the limit", async () => {
  const dir = await folderWith(randomLlama(LLAMA_CONFIG), LLAMA_CONFIG);
  try {
    const bytes = [...randomLlama(LLAMA_CONFIG).values()].reduce((s, t) => s + 4 * t.data.length, 0);
    const cramped: Backend = { ...jsBackend, name: "wasm", memoryBudget: () => ({ used: 1000, limit: 1000 + bytes - 4 }) };
    await assert.rejects(loadModel(dir, { backend: cramped }), new RegExp(`the weights take ${(bytes / 2 ** 20).toFixed(2)} MiB once loaded, more than the wasm backend's memory can hold \\(${((bytes - 4) / 2 ** 20).toFixed(2)} MiB free`));
    const roomy: Backend = { ...jsBackend, memoryBudget: () => ({ used: 1000, limit: 1000 + bytes }) };
    await loadModel(dir, { backend: roomy });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
