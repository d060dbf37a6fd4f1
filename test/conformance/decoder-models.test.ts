// Conformance of the decoder families against ../shared/fixtures/models: logits
// of every `forward` case within 1e-4 × max |reference logit| (and the fixtures'
// recommended atol 2e-5 for these unit-scale logits), and exact greedy ids.
// Every decoder listed in index.json is tested, whatever its shape.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { loadModel } from "../../src/index.js";
import { SHARED } from "../helpers/paths.js";
import { maxAbs, maxAbsDiff, readF32, readJson } from "../helpers/reference.js";

interface ArrayRef {
  file: string;
  shape: number[];
}
interface Case {
  name: string;
  kind: string;
  inputs: { input_ids?: number[][]; prompt_ids?: number[] };
  outputs: { logits?: ArrayRef; generated_ids?: number[] };
  max_new_tokens?: number;
  stop_on_eos?: boolean;
}
interface Index {
  models: { model: string; model_type: string; cases: string[] }[];
}

const FIXTURES = join(SHARED, "fixtures/models");
const DECODER_TYPES = new Set(["gpt2", "llama", "mistral", "qwen2"]);
const index = readJson<Index>(join(FIXTURES, "index.json"));

for (const entry of index.models.filter((m) => DECODER_TYPES.has(m.model_type))) {
  const dir = join(FIXTURES, entry.model);
  const manifest = readJson<{ cases: Case[] }>(join(dir, "reference/manifest.json"));

  for (const c of manifest.cases.filter((c) => c.kind === "forward")) {
    test(`${entry.model} ${c.name}: logits match the reference`, async () => {
      const model = await loadModel(dir);
      const ref = c.outputs.logits!;
      const expected = readF32(join(dir, "reference", ref.file));
      const out = await model.forward(c.inputs.input_ids!);
      assert.deepEqual([...out.shape], ref.shape);
      const diff = maxAbsDiff(out.data, expected);
      const bound = Math.min(1e-4 * maxAbs(expected), 2e-5);
      assert.ok(diff <= bound, `max |Δ| = ${diff.toExponential(2)} > ${bound.toExponential(2)}`);
    });
  }

  for (const c of manifest.cases.filter((c) => c.kind === "greedy_generation")) {
    test(`${entry.model} ${c.name}: greedy ids match exactly`, async () => {
      const model = await loadModel(dir);
      const ids: number[] = [];
      const run = model.generate(
        { ids: c.inputs.prompt_ids! },
        { maxTokens: c.max_new_tokens!, temperature: 0, stopOnEos: c.stop_on_eos ?? false },
      );
      for await (const piece of run) if (piece.tokenId !== null) ids.push(piece.tokenId);
      assert.deepEqual(ids, c.outputs.generated_ids);
    });
  }
}
