// The fill-mask and classification pipelines and their commands, on tiny
// random BERTs with a WordPiece vocab: probabilities are the softmax of the
// head's logits, results are ordered, and the wrong head is refused.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { classifyCommand } from "../../../src/cli/commands/classify.js";
import { fillMaskCommand } from "../../../src/cli/commands/fill-mask.js";
import { loadEncoderModel, type EncoderModel } from "../../../src/encoder-model.js";
import { InputError } from "../../../src/errors.js";
import { captureIo } from "../../helpers/capture.js";
import { SENTIMENT_LABELS, VOCAB, writeRandomBert } from "./random-bert.js";

const folders: { dir: string; cleanup: () => Promise<void> }[] = [];
let mlm: EncoderModel;
let pretraining: EncoderModel;
let classifier: EncoderModel;
let mlmDir: string;
let classifierDir: string;
before(async () => {
  for (const architecture of ["BertForMaskedLM", "BertForPreTraining", "BertForSequenceClassification"]) folders.push(await writeRandomBert(architecture));
  mlmDir = folders[0]!.dir;
  classifierDir = folders[2]!.dir;
  [mlm, pretraining, classifier] = await Promise.all(folders.map((f) => loadEncoderModel(f.dir)));
});
after(async () => {
  for (const f of folders) await f.cleanup();
});

function softmax(logits: ArrayLike<number>): number[] {
  const max = Math.max(...Array.from(logits));
  const e = Array.from(logits, (x) => Math.exp(x - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / sum);
}

test("fillMask: the k most probable tokens at each [MASK], as the MLM logits' softmax", async () => {
  for (const model of [mlm, pretraining]) {
    const text = "the [MASK] sat on the [MASK].";
    const masks = await model.fillMask(text, { topK: 4 });
    assert.equal(masks.length, 2);
    const ids = model.tokenizer.encode(text);
    const out = await model.forward({ inputIds: [ids] });
    const logits = (out.predictionLogits ?? out.logits)!.data;
    const V = VOCAB.length;
    ids.flatMap((id, i) => (id === 4 ? [i] : [])).forEach((position, m) => {
      const p = softmax(logits.subarray(position * V, (position + 1) * V));
      const best = p.map((x, id) => [x, id] as const).sort((a, b) => b[0] - a[0]).slice(0, 4);
      assert.deepEqual(masks[m]!.map((x) => x.tokenId), best.map(([, id]) => id));
      masks[m]!.forEach((x, k) => {
        assert.ok(Math.abs(x.score - best[k]![0]) < 1e-6);
        assert.equal(x.token, VOCAB[x.tokenId]);
        assert.ok(!x.sequence.includes("[CLS]") && !x.sequence.includes("[SEP]"));
      });
    });
  }
  await assert.rejects(mlm.fillMask("no mask here"), /no \[MASK\] token/);
  await assert.rejects(classifier.fillMask("the [MASK]"), (e: unknown) => e instanceof InputError && /needs a masked-LM head; this model is BertForSequenceClassification/.test(e.message));
});

test("classify: softmax over id2label for texts and pairs, best first", async () => {
  const results = await classifier.classify(["the cat sat", "music plays loud", ["the cat", "sat on the mat"]]);
  assert.equal(results.length, 3);
  const enc = classifier.tokenizer.encodePair("the cat", "sat on the mat");
  const out = await classifier.forward({ inputIds: [enc.ids], tokenTypeIds: [enc.tokenTypeIds] });
  const p = softmax(out.logits!.data);
  for (const r of results) {
    assert.deepEqual([...r.scores.map((s) => s.label)].sort(), [...SENTIMENT_LABELS].sort());
    assert.ok(Math.abs(r.scores.reduce((s, x) => s + x.score, 0) - 1) < 1e-9);
    assert.equal(r.label, r.scores[0]!.label);
    for (let k = 1; k < r.scores.length; k++) assert.ok(r.scores[k - 1]!.score >= r.scores[k]!.score);
  }
  for (const s of results[2]!.scores) assert.ok(Math.abs(s.score - p[SENTIMENT_LABELS.indexOf(s.label)]!) < 1e-6);
  // One text as a string; batches of any size give the same results.
  assert.deepEqual(await classifier.classify("the cat sat"), [results[0]]);
  const oneByOne = await classifier.classify(["the cat sat", "music plays loud"], { batchSize: 1 });
  oneByOne.forEach((r, i) => assert.ok(Math.abs(r.score - results[i]!.score) < 1e-6));
  await assert.rejects(mlm.classify("x"), /needs a sequence-classification head/);
  await assert.rejects(mlm.ner("x"), /needs a token-classification head/);
});

test("lmscope fill-mask and classify print their results", async () => {
  const fill = captureIo();
  assert.equal(await fillMaskCommand.run(["--model", mlmDir, "--top-k", "3", "the", "[MASK]", "sat"], fill), 0);
  const lines = fill.stdout.text.trim().split("\n");
  assert.equal(lines.length, 3);
  const expected = (await mlm.fillMask("the [MASK] sat", { topK: 3 }))[0]!;
  lines.forEach((line, k) => {
    assert.ok(line.startsWith(`${expected[k]!.score.toFixed(4)}  ${JSON.stringify(expected[k]!.token)}`), line);
    assert.ok(line.endsWith(expected[k]!.sequence));
  });
  await assert.rejects(fillMaskCommand.run(["--model", mlmDir, "--top-k", "0", "the [MASK]"], captureIo()), /--top-k/);

  const cls = captureIo();
  assert.equal(await classifyCommand.run(["--model", classifierDir, "--all", "the cat sat", "music plays loud"], cls), 0);
  const results = await classifier.classify(["the cat sat", "music plays loud"]);
  assert.match(cls.stdout.text, new RegExp(`^${results[0]!.label}\\s+${results[0]!.score.toFixed(4)}  the cat sat\\n`));
  assert.equal(cls.stdout.text.trim().split("\n").length, 2 * (1 + SENTIMENT_LABELS.length));
  const json = captureIo();
  assert.equal(await classifyCommand.run(["--model", classifierDir, "--json", "--pair", "sat on the mat", "the cat"], json), 0);
  const parsed = JSON.parse(json.stdout.text) as { text: string; label: string; score: number }[];
  const pair = (await classifier.classify([["the cat", "sat on the mat"]]))[0]!;
  assert.equal(parsed[0]!.label, pair.label);
  assert.ok(Math.abs(parsed[0]!.score - pair.score) < 1e-12);
});
