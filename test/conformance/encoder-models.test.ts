// Conformance of every encoder family (BERT, RoBERTa, DistilBERT) against
// ../shared/fixtures/models: every output of every `encoder_forward` case
// (last_hidden_state, pooler_output, the heads' logits) at every non-padding
// position — padding rows are defined by the reference too, and compared in full —
// within the fixtures' atol 2e-5, on the js and the wasm backend. Every encoder
// listed in index.json is tested, whatever its shape.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { loadModel, type EncoderModel } from "../../src/index.js";
import { ENCODER_MODEL_TYPES } from "../../src/models/encoder/registry.js";
import { SHARED } from "../helpers/paths.js";
import { maxAbsDiff, readF32, readJson } from "../helpers/reference.js";

interface ArrayRef {
  file: string;
  shape: number[];
}
interface Case {
  name: string;
  kind: string;
  inputs: { input_ids: number[][]; attention_mask: number[][]; token_type_ids?: number[][] };
  outputs: Record<string, ArrayRef>;
}

const FIXTURES = join(SHARED, "fixtures/models");
const ATOL = 2e-5;
const index = readJson<{ models: { model: string; model_type: string }[] }>(join(FIXTURES, "index.json"));
const camel = (name: string): string => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

for (const entry of index.models.filter((m) => ENCODER_MODEL_TYPES.includes(m.model_type))) {
  const dir = join(FIXTURES, entry.model);
  const manifest = readJson<{ cases: Case[] }>(join(dir, "reference/manifest.json"));
  for (const c of manifest.cases.filter((c) => c.kind === "encoder_forward")) {
    for (const backend of ["js", "wasm"] as const) {
      test(`${entry.model} ${c.name} (${backend}): every output matches the reference`, async () => {
        const model = await loadModel<EncoderModel>(dir, { backend });
        const { input_ids, attention_mask, token_type_ids } = c.inputs;
        const outputs = await model.forward({ inputIds: input_ids, attentionMask: attention_mask, tokenTypeIds: token_type_ids });
        const got = outputs as unknown as Record<string, { data: Float32Array; shape: readonly number[] }>;
        assert.deepEqual(Object.keys(got).sort(), Object.keys(c.outputs).map(camel).sort(), "HF's output names, no more");
        for (const [name, ref] of Object.entries(c.outputs)) {
          const out = got[camel(name)]!;
          assert.deepEqual([...out.shape], ref.shape, `${name} shape`);
          const diff = maxAbsDiff(out.data, readF32(join(dir, "reference", ref.file)));
          assert.ok(diff <= ATOL, `${name}: max |Δ| = ${diff.toExponential(2)} > ${ATOL}`);
        }
      });
    }
  }
}
