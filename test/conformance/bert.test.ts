// Conformance of the BERT encoder against ../shared/fixtures/models/bert-tiny-*:
// every output of every `encoder_forward` case (last_hidden_state, pooler_output,
// MLM / NSP logits, sequence and token classification logits), at every position
// of the padded batch, within atol 2e-5 (the fixtures' recommendation). Every
// BERT listed in index.json is tested, whatever its shape. The checkpoint quirks
// (no "bert." prefix, gamma/beta, explicit decoder, position_ids buffer) are
// tested by renaming the same tensors in memory. The span aligner is checked on
// the shared WordPiece tokenizer's corpus.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { jsBackend } from "../../src/backend/js/index.js";
import { EncoderModel, loadEncoderModel } from "../../src/encoder-model.js";
import { readJsonObject } from "../../src/io/json-file.js";
import { readSafetensorsDir } from "../../src/io/safetensors-index.js";
import { buildBert, parseBertConfig } from "../../src/models/encoder/bert.js";
import type { EncoderOutputs } from "../../src/models/encoder.js";
import { alignTokenSpans, foldForAlignment } from "../../src/pipelines/token-spans.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { loadTokenizer } from "../../src/tokenizers/index.js";
import type { TextTokenizer } from "../../src/tokenizers/tokenizer.js";
import { SHARED } from "../helpers/paths.js";
import { maxAbsDiff, readF32, readJson } from "../helpers/reference.js";

interface ArrayRef {
  file: string;
  shape: number[];
}
interface Case {
  name: string;
  kind: string;
  inputs: { input_ids: number[][]; attention_mask: number[][]; token_type_ids: number[][] };
  outputs: Record<string, ArrayRef>;
}
interface Index {
  models: { model: string; model_type: string; cases: string[] }[];
}

const FIXTURES = join(SHARED, "fixtures/models");
const ATOL = 2e-5;
const index = readJson<Index>(join(FIXTURES, "index.json"));
const camel = (name: string): string => name.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

function compareOutputs(outputs: EncoderOutputs, c: Case, dir: string): void {
  const got = outputs as unknown as Record<string, { data: Float32Array; shape: readonly number[] }>;
  for (const [name, ref] of Object.entries(c.outputs)) {
    const out = got[camel(name)];
    assert.ok(out !== undefined, `output ${camel(name)} (${name}) is missing; got ${Object.keys(got).join(", ")}`);
    assert.deepEqual([...out.shape], ref.shape, `${name} shape`);
    const diff = maxAbsDiff(out.data, readF32(join(dir, "reference", ref.file)));
    assert.ok(diff <= ATOL, `${name}: max |Δ| = ${diff.toExponential(2)} > ${ATOL}`);
  }
}

for (const entry of index.models.filter((m) => m.model_type === "bert")) {
  const dir = join(FIXTURES, entry.model);
  const manifest = readJson<{ cases: Case[] }>(join(dir, "reference/manifest.json"));
  for (const c of manifest.cases.filter((c) => c.kind === "encoder_forward")) {
    test(`${entry.model} ${c.name}: every output matches the reference at every position`, async () => {
      const model = await loadEncoderModel(dir);
      assert.equal(model.kind, "encoder");
      const { input_ids, attention_mask, token_type_ids } = c.inputs;
      const outputs = await model.forward({ inputIds: input_ids, attentionMask: attention_mask, tokenTypeIds: token_type_ids });
      compareOutputs(outputs, c, dir);
      // HF names only: nothing beyond what the reference has.
      assert.deepEqual(Object.keys(outputs).sort(), Object.keys(c.outputs).map(camel).sort());
    });

    test(`${entry.model} ${c.name}: legacy checkpoint layouts give the same outputs`, async () => {
      const configJson = await readJsonObject(join(dir, "config.json"));
      const config = parseBertConfig(configJson, "config.json");
      const tensors = await readSafetensorsDir(dir);
      const legacy = new Map<string, Tensor>();
      for (const [name, t] of tensors) {
        let renamed = name.startsWith("bert.") ? name.slice("bert.".length) : name; // saved from BertModel
        renamed = renamed.replace(/LayerNorm\.weight$/, "LayerNorm.gamma").replace(/LayerNorm\.bias$/, "LayerNorm.beta");
        legacy.set(renamed, t);
      }
      const positions = Float32Array.from({ length: config.maxPositions }, (_, i) => i);
      legacy.set("embeddings.position_ids", { data: positions, shape: [1, config.maxPositions] });
      if (tensors.has("cls.predictions.bias")) {
        legacy.set("cls.predictions.decoder.weight", tensors.get("bert.embeddings.word_embeddings.weight")!);
        legacy.set("cls.predictions.decoder.bias", tensors.get("cls.predictions.bias")!);
      }
      const network = buildBert(config, legacy, "legacy", jsBackend);
      const source = { path: "legacy", format: "huggingface" as const, dtypes: ["F32"], fileBytes: 0 };
      const model = new EncoderModel({ network, tokenizer: null, source, config: {} });
      const { input_ids, attention_mask, token_type_ids } = c.inputs;
      compareOutputs(await model.forward({ inputIds: input_ids, attentionMask: attention_mask, tokenTypeIds: token_type_ids }), c, dir);
    });
  }
}

test("bert-uncased tokenizer: every word piece's span in the corpus folds to the piece itself", async () => {
  const dir = join(SHARED, "fixtures/tokenizers/bert-uncased");
  const tokenizer = (await loadTokenizer(dir)) as TextTokenizer;
  const lines = readFileSync(join(SHARED, "fixtures/tokenizers/corpus.jsonl"), "utf8").split("\n").filter((l) => l.trim() !== "");
  let checked = 0;
  for (const line of lines) {
    const { text } = JSON.parse(line) as { text: string };
    const ids = tokenizer.encode(text);
    const spans = alignTokenSpans(tokenizer, text, ids);
    assert.equal(spans.length, ids.length);
    let previousStart = 0;
    ids.forEach((id, i) => {
      const token = tokenizer.idToToken(id)!;
      const span = spans[i]!;
      if (tokenizer.isSpecialToken(id) || id === tokenizer.unkTokenId) return;
      assert.ok(span !== null, `no span for ${JSON.stringify(token)} in ${JSON.stringify(text)}`);
      assert.ok(span.start >= previousStart, `spans go backwards at ${JSON.stringify(token)} in ${JSON.stringify(text)}`);
      const piece = foldForAlignment(token.startsWith("##") ? token.slice(2) : token);
      const covered = foldForAlignment(text.slice(span.start, span.end));
      // Equal, except where a piece is part of one decomposed character (a Hangul syllable's jamo).
      if (covered !== piece) {
        assert.ok(covered.includes(piece) && [...text.slice(span.start, span.end)].length === 1, `token ${JSON.stringify(token)} at ${JSON.stringify(text.slice(span.start, span.end))} in ${JSON.stringify(text)}`);
      }
      previousStart = span.start;
      checked++;
    });
  }
  assert.ok(checked > 1000, `only ${checked} tokens checked`);
});
