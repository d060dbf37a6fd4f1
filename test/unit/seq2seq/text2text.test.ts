// translate / summarize: T5's task prefixes and the task's generation settings from
// config.json's task_specific_params are applied (the result is the decoded best
// sequence of generateSequences on the prefixed text with those settings; explicit
// options win), a model without task parameters gets the text as it is, and asking
// a multi-pair model without a language pair, or for a pair it lacks, is an error.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createModel, InputError, type Seq2SeqModel } from "../../../src/index.js";
import { pairCharacterTokenizer, pairCharacterTokenizerJson } from "../../../src/training/data/translation-pairs.js";

const TEXT = "translate English to German: summarize: the house is small.";
const tokenizer = pairCharacterTokenizer(pairCharacterTokenizerJson([{ source: TEXT, target: "das Haus ist klein" }]));
const T5 = {
  model_type: "t5", vocab_size: tokenizer.vocabSize, d_model: 16, d_kv: 4, d_ff: 24, num_layers: 1, num_heads: 4,
  feed_forward_proj: "relu", decoder_start_token_id: 0, eos_token_id: 1, pad_token_id: 0,
  task_specific_params: {
    "translation_en_to_de": { prefix: "translate English to German: ", num_beams: 3, max_length: 6 },
    "translation_en_to_fr": { prefix: "translate English to French: ", max_length: 6 },
    summarization: { prefix: "summarize: ", num_beams: 2, max_length: 5, no_repeat_ngram_size: 2 },
  },
};

test("translate and summarize apply the task's prefix and settings; explicit options win", async () => {
  const model = await createModel<Seq2SeqModel>(T5, { seed: 2, backend: "js", tokenizer });
  const decode = (ids: number[]) => tokenizer.decode(ids, { skipSpecialTokens: true });
  const [german] = await model.generateSequences("translate English to German: the house", { numBeams: 3, maxTokens: 5 });
  assert.equal(await model.translate("the house", { source: "en", target: "de" }), decode(german!.ids));
  const [greedy] = await model.generateSequences("translate English to German: the house", { numBeams: 1, maxTokens: 5 });
  assert.deepEqual(await model.translate(["the house"], { source: "en", target: "de", numBeams: 1 }), [decode(greedy!.ids)]);
  const [summary] = await model.generateSequences("summarize: the house is small.", { numBeams: 2, maxTokens: 4, noRepeatNgramSize: 2 });
  assert.equal(await model.summarize("the house is small."), decode(summary!.ids));
  await assert.rejects(model.translate("the house"), /several language pairs; name one with \{ source, target \} \(translation_en_to_de, translation_en_to_fr\)/);
  await assert.rejects(model.translate("the house", { source: "en", target: "es" }), /no task "translation_en_to_es"/);
  await assert.rejects(model.translate("the house", { source: "en" }), InputError);
  await assert.rejects(model.summarize([]), /non-empty array of texts/);
});

test("a model without task parameters translates the text as it is", async () => {
  const { task_specific_params: _tasks, ...plain } = T5;
  const model = await createModel<Seq2SeqModel>(plain, { seed: 2, backend: "js", tokenizer });
  const [best] = await model.generateSequences("the house", { maxTokens: 5 });
  assert.equal(await model.translate("the house", { maxTokens: 5 }), tokenizer.decode(best!.ids, { skipSpecialTokens: true }));
  assert.equal(await model.translate("the house", { source: "en", target: "de", maxTokens: 5 }), tokenizer.decode(best!.ids, { skipSpecialTokens: true }));
});
