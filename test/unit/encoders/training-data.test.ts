// The pure pieces of encoder training: MLM masking statistics, NSP pairs,
// CoNLL / JSONL readers and sub-word label alignment, text-classification
// readers, accuracy and entity-level precision / recall / F1.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { loadEncoderModel } from "../../../src/encoder-model.js";
import { IGNORE_INDEX, maskBatch, maskTokens, type MaskingOptions } from "../../../src/training/data/masking.js";
import { makeSentencePairs, parseDocuments } from "../../../src/training/data/sentence-pairs.js";
import { parseTextClassificationCsv, parseTextClassificationJsonl, parseCsv } from "../../../src/training/data/text-classification.js";
import { alignWordLabels, labelMapFromTags, parseConll, parseTokenTagJsonl } from "../../../src/training/data/token-classification.js";
import { accuracy, entityScores, extractEntities } from "../../../src/training/metrics.js";
import type { TextTokenizer } from "../../../src/tokenizers/tokenizer.js";
import { NER_LABELS, writeRandomBert } from "./random-bert.js";

const MASK = 4;
const VOCAB_SIZE = 1000;
const options: MaskingOptions = { maskTokenId: MASK, vocabSize: VOCAB_SIZE, isSpecial: (id) => id <= 3 };

test("MLM masking: ≈15% of non-special tokens selected, 80% [MASK] / 10% random / 10% kept, −100 elsewhere", () => {
  const row = [2, ...Array.from({ length: 126 }, (_, i) => 100 + (i % 800)), 3];
  let content = 0;
  let selected = 0;
  let masked = 0;
  let randomised = 0;
  let kept = 0;
  const draws = 400;
  for (let seed = 0; seed < draws; seed++) {
    const { inputIds, labels } = maskTokens(row, seed, options);
    row.forEach((id, i) => {
      if (id <= 3) {
        assert.equal(labels[i], IGNORE_INDEX);
        assert.equal(inputIds[i], id);
        return;
      }
      content++;
      if (labels[i] === IGNORE_INDEX) {
        assert.equal(inputIds[i], id, "unselected tokens are unchanged");
        return;
      }
      assert.equal(labels[i], id, "the label is the original token");
      selected++;
      if (inputIds[i] === MASK) masked++;
      else if (inputIds[i] === id) kept++;
      else randomised++;
    });
  }
  const rate = selected / content;
  assert.ok(Math.abs(rate - 0.15) < 0.005, `selection rate ${rate}`);
  // A random replacement can draw the original id (1/1000) or [MASK]: within the tolerance.
  assert.ok(Math.abs(masked / selected - 0.8) < 0.01, `mask share ${masked / selected}`);
  assert.ok(Math.abs(randomised / selected - 0.1) < 0.01, `random share ${randomised / selected}`);
  assert.ok(Math.abs(kept / selected - 0.1) < 0.01, `kept share ${kept / selected}`);
  // Seeded: the same seed, the same masks; padding (attention mask 0) is never selected.
  assert.deepEqual(maskTokens(row, 42, options), maskTokens(row, 42, options));
  const padded = maskBatch([row, row], 7, { ...options, probability: 1 }, [row.map(() => 1), row.map((_, i) => (i < 10 ? 1 : 0))]);
  assert.ok(padded.labels[1]!.slice(10).every((l) => l === IGNORE_INDEX));
  assert.ok(padded.labels[0]!.slice(1, -1).every((l) => l !== IGNORE_INDEX));
  assert.throws(() => maskTokens(row, 1, { ...options, probability: 1.5 }), /probability/);
});

test("NSP pairs: consecutive sentences half the time (label 0), another document's sentence otherwise (label 1)", () => {
  const text = Array.from({ length: 40 }, (_, d) => Array.from({ length: 6 }, (_, s) => `doc${d} sentence${s}`).join("\n")).join("\n\n");
  const documents = parseDocuments(`\n\n${text}\n\n\n`);
  assert.equal(documents.length, 40);
  assert.deepEqual(documents[3]!.slice(0, 2), ["doc3 sentence0", "doc3 sentence1"]);
  const pairs = makeSentencePairs(documents, { seed: 5 });
  assert.equal(pairs.length, 40 * 5);
  const doc = (s: string) => s.split(" ")[0];
  const index = (s: string) => Number(s.split("sentence")[1]);
  let random = 0;
  for (const p of pairs) {
    if (p.label === 0) {
      assert.equal(doc(p.b), doc(p.a));
      assert.equal(index(p.b), index(p.a) + 1);
    } else {
      random++;
      assert.notEqual(doc(p.b), doc(p.a));
    }
  }
  assert.ok(Math.abs(random / pairs.length - 0.5) < 0.1, `random share ${random / pairs.length}`);
  assert.deepEqual(makeSentencePairs(documents, { seed: 5 }), pairs);
  // One document: the random sentence is never the true next one.
  const single = makeSentencePairs([["s0", "s1", "s2", "s3", "s4"]], { seed: 1, randomProbability: 1 });
  for (const p of single) assert.notEqual(index(p.b.replace("s", "sentence")), index(p.a.replace("s", "sentence")) + 1);
  assert.throws(() => makeSentencePairs([["only", "two"]]), /at least 3 sentences/);
});

test("CoNLL and JSONL token-classification readers", () => {
  const conll = "-DOCSTART- -X- O O\n\nJohn NNP B-PER\nlives VBZ O\nin IN O\nLondon NNP B-LOC\n\nParis NNP B-LOC\n";
  assert.deepEqual(parseConll(conll, "train.conll"), [
    { tokens: ["John", "lives", "in", "London"], tags: ["B-PER", "O", "O", "B-LOC"] },
    { tokens: ["Paris"], tags: ["B-LOC"] },
  ]);
  assert.throws(() => parseConll("John\n", "bad.conll"), /bad\.conll: line 1: expected "token … tag"/);
  const jsonl = '{"tokens": ["Zoë", "visited", "東京"], "tags": ["B-PER", "O", "B-LOC"]}\n\n{"tokens": ["x"], "ner_tags": [4]}\n';
  assert.deepEqual(parseTokenTagJsonl(jsonl, "t.jsonl", NER_LABELS), [
    { tokens: ["Zoë", "visited", "東京"], tags: ["B-PER", "O", "B-LOC"] },
    { tokens: ["x"], tags: ["O"] },
  ]);
  assert.throws(() => parseTokenTagJsonl('{"tokens": ["a", "b"], "tags": ["O"]}', "t.jsonl"), /line 1: "tags" must be a list as long as "tokens" \(2\)/);
  assert.deepEqual([...labelMapFromTags(parseConll(conll, "x"))], [["B-PER", 0], ["O", 1], ["B-LOC", 2]]);
});

let tokenizer: TextTokenizer;
let cleanup: () => Promise<void>;
before(async () => {
  const folder = await writeRandomBert("BertForTokenClassification");
  cleanup = folder.cleanup;
  tokenizer = (await loadEncoderModel(folder.dir)).tokenizer;
});
after(async () => cleanup());

test("sub-word alignment: the word's label on its first sub-token, −100 on the rest and on [CLS]/[SEP]", () => {
  const label2id = new Map(NER_LABELS.map((l, i) => [l, i]));
  const sentence = { tokens: ["Zoë", "visited", "東京", "!"], tags: ["B-PER", "O", "B-LOC", "O"] };
  const aligned = alignWordLabels(tokenizer, sentence, label2id);
  const pieces = aligned.inputIds.map((id) => tokenizer.idToToken(id));
  assert.deepEqual(pieces, ["[CLS]", "zo", "##e", "visited", "東", "京", "!", "[SEP]"]);
  const [bPer, , bLoc, , o] = [0, 1, 2, 3, 4];
  assert.deepEqual(aligned.labels, [-100, bPer, -100, o, bLoc, -100, o, -100]);
  assert.deepEqual(aligned.wordIds, [null, 0, 0, 1, 2, 2, 3, null]);
  assert.deepEqual(aligned.attentionMask, pieces.map(() => 1));
  // Truncation keeps [CLS] … [SEP] and drops the last tokens.
  const short = alignWordLabels(tokenizer, sentence, label2id, { maxLength: 4 });
  assert.deepEqual(short.inputIds.map((id) => tokenizer.idToToken(id)), ["[CLS]", "zo", "##e", "[SEP]"]);
  assert.throws(() => alignWordLabels(tokenizer, { tokens: ["a"], tags: ["B-ORG"] }, label2id), /tag "B-ORG" of word "a" is not a label/);
});

test("text-classification readers: CSV with quotes, commas and newlines; JSONL", () => {
  assert.deepEqual(parseCsv('a,b\n"x, ""y""",\n"multi\nline",z\r\n', "f.csv"), [["a", "b"], ['x, "y"', ""], ["multi\nline", "z"]]);
  const csv = 'text,text_pair,label\n"Great, really",so true,positive\nbad,"meh",negative\n';
  assert.deepEqual(parseTextClassificationCsv(csv, "f.csv"), [
    { text: "Great, really", textPair: "so true", label: "positive" },
    { text: "bad", textPair: "meh", label: "negative" },
  ]);
  assert.throws(() => parseTextClassificationCsv("sentence,label\nx,1\n", "f.csv"), /f\.csv: the header must name the columns "text" and "label"/);
  assert.throws(() => parseTextClassificationCsv("text,label\nx\n", "f.csv"), /row 2 has 1 fields/);
  assert.throws(() => parseCsv('"open', "f.csv"), /not closed/);
  assert.deepEqual(parseTextClassificationJsonl('{"text": "hi", "label": 1}\n{"text": "a", "text_pair": "b", "label": "x"}\n', "f.jsonl"), [
    { text: "hi", label: "1" },
    { text: "a", textPair: "b", label: "x" },
  ]);
  assert.throws(() => parseTextClassificationJsonl('{"label": 1}', "f.jsonl"), /line 1: "text" must be a string/);
});

test("accuracy skips −100; entity P/R/F1 match exact spans from B-/I-/O tags", () => {
  assert.equal(accuracy([1, 2, 3, 4], [1, 0, 3, IGNORE_INDEX]), 2 / 3);
  assert.equal(accuracy([], []), 0);
  assert.deepEqual(extractEntities(["B-PER", "I-PER", "O", "I-LOC", "I-LOC", "B-LOC", "I-PER", "O"]), [
    { type: "PER", start: 0, end: 2 },
    { type: "LOC", start: 3, end: 5 }, // I- after O starts an entity (conlleval)
    { type: "LOC", start: 5, end: 6 },
    { type: "PER", start: 6, end: 7 },
  ]);
  const gold = [
    ["B-PER", "I-PER", "O", "B-LOC"],
    ["B-LOC", "O", "B-PER", "O"],
  ];
  const predicted = [
    ["B-PER", "I-PER", "O", "B-PER"], // PER right; LOC missed, a wrong PER
    ["B-LOC", "I-LOC", "B-PER", "O"], // LOC too long (wrong span); PER right
  ];
  const s = entityScores(gold, predicted);
  assert.equal(s.truePositives, 2);
  assert.equal(s.predicted, 4);
  assert.equal(s.support, 4);
  assert.equal(s.precision, 0.5);
  assert.equal(s.recall, 0.5);
  assert.equal(s.f1, 0.5);
  assert.deepEqual(s.perType["PER"], { precision: 2 / 3, recall: 1, f1: 0.8, support: 2 });
  assert.deepEqual(s.perType["LOC"], { precision: 0, recall: 0, f1: 0, support: 2 });
  const perfect = entityScores(gold, gold);
  assert.equal(perfect.f1, 1);
  assert.throws(() => entityScores(gold, [gold[0]!]), /1 predicted sentences for 2 gold/);
});
