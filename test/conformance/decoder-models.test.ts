// Conformance of the decoder families against ../shared/fixtures/models: logits
// of every `forward` case within 1e-4 × max |reference logit| (and the fixtures'
// recommended atol 2e-5 for these unit-scale logits), and exact greedy ids, on the
// js and the wasm backend. Every decoder listed in index.json whose model_type the
// registry builds is tested, whatever its shape; one the registry does not know fails.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { loadModel } from "../../src/index.js";
import { decoderModelTypes } from "../../src/models/registry.js";
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
const ENCODER_TYPES = new Set(["bert", "roberta", "distilbert"]);
const index = readJson<Index>(join(FIXTURES, "index.json"));
const decoders = index.models.filter((m) => !ENCODER_TYPES.has(m.model_type));

test("the registry builds every decoder model_type of the fixtures", () => {
  const known = new Set(decoderModelTypes());
  assert.deepEqual(decoders.filter((m) => !known.has(m.model_type)).map((m) => m.model_type), []);
});

for (const [entry, backend] of decoders.flatMap((m) => (["js", "wasm"] as const).map((b) => [m, b] as const))) {
  const dir = join(FIXTURES, entry.model);
  const manifest = readJson<{ cases: Case[] }>(join(dir, "reference/manifest.json"));

  for (const c of manifest.cases.filter((c) => c.kind === "forward")) {
    test(`${entry.model} ${c.name} (${backend}): logits match the reference`, async () => {
      const model = await loadModel(dir, { backend });
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
    test(`${entry.model} ${c.name} (${backend}): greedy ids match exactly`, async () => {
      const model = await loadModel(dir, { backend });
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
