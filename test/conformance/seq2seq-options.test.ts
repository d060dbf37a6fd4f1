// Generation options beyond the shared fixtures' cases, against transformers' own
// generate() on the same tiny T5, BART and Marian models
// (scripts/refs/seq2seq-generation-options.py wrote seq2seq-generation-options.json
// beside this file): beam search with length penalties 0.5 / 1 / 2, early_stopping
// true / false / "never", 2–5 returned sequences, no-repeat n-grams, minimum lengths
// and the repetition penalty on top of each model's generation_config.json, and
// greedy decoding with those processors. Ids exact; scores within 1e-4 (transformers
// accumulates them in float32).
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { loadModel, type Seq2SeqModel, type SequenceGenerationOptions } from "../../src/index.js";
import { REPO_ROOT, SHARED } from "../helpers/paths.js";
import { readJson } from "../helpers/reference.js";

interface OptionCase {
  model: string;
  generate_kwargs: Record<string, number | boolean | string>;
  input_ids: number[];
  generated_ids: number[][];
  sequences_scores: number[] | null;
}

const CAMEL: Record<string, keyof SequenceGenerationOptions> = {
  num_beams: "numBeams",
  length_penalty: "lengthPenalty",
  early_stopping: "earlyStopping",
  num_return_sequences: "numReturnSequences",
  max_new_tokens: "maxTokens",
  no_repeat_ngram_size: "noRepeatNgramSize",
  min_length: "minLength",
  min_new_tokens: "minTokens",
  repetition_penalty: "repetitionPenalty",
};

const { cases } = readJson<{ cases: OptionCase[] }>(join(REPO_ROOT, "test/conformance/seq2seq-generation-options.json"));

for (const backend of ["js", "wasm"] as const) {
  test(`generation options match transformers' generate on the tiny T5, BART and Marian (${backend}): ${cases.length} cases`, async () => {
    const models = new Map<string, Seq2SeqModel>();
    for (const c of cases) {
      if (!models.has(c.model)) models.set(c.model, await loadModel<Seq2SeqModel>(join(SHARED, "fixtures/seq2seq", c.model), { backend }));
      const options: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(c.generate_kwargs)) options[CAMEL[key] ?? key] = value;
      const found = await models.get(c.model)!.generateSequences({ ids: c.input_ids }, options as SequenceGenerationOptions);
      const what = `${c.model} ${JSON.stringify(c.generate_kwargs)} input ${JSON.stringify(c.input_ids)}`;
      assert.deepEqual(found.map((s) => s.ids), c.generated_ids, what);
      c.sequences_scores?.forEach((score, i) => assert.ok(Math.abs(found[i]!.score - score) <= 1e-4, `${what}: score ${i} ${found[i]!.score} vs ${score}`));
    }
  });
}
