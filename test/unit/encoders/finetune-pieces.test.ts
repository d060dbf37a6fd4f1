// The pieces of encoder training, each on its own: the WordPiece vocabulary
// builder, encoding and padding of each task's batches (sub-word label
// alignment, sentence pairs, MLM + NSP masking), the learning-rate schedule and
// weight-decay grouping, seeded reproducibility of the loop, and fine-tuning
// from a pretrained folder with a new head (`--model`).
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { runEncoderFinetune } from "../../../src/cli/commands/finetune-encoder.js";
import { loadEncoderModel } from "../../../src/encoder-model.js";
import { Rng } from "../../../src/tensor/random.js";
import { loadVocabTxtTokenizer } from "../../../src/tokenizers/load.js";
import type { TextTokenizer } from "../../../src/tokenizers/tokenizer.js";
import { trainWordPieceVocab, writeVocabTxt } from "../../../src/tokenizers/wordpiece-trainer.js";
import { IGNORE_INDEX } from "../../../src/training/data/masking.js";
import { createEncoderForTask, loadEncoderForTask } from "../../../src/training/encoder-setup.js";
import {
  collatePretraining,
  collateSequences,
  collateTokens,
  encodeSentencePairs,
  encodeTaggedSentences,
  encodeTextExamples,
  maskingFor,
  sortLabels,
} from "../../../src/training/encoder-tasks.js";
import { decaysWeight, linearWarmupDecay, trainEncoder } from "../../../src/training/encoder-trainer.js";
import { captureIo } from "../../helpers/capture.js";
import { nerData, toConll } from "./finetune-data.js";
import { writeRandomBert } from "./random-bert.js";

let dir: string;
let tokenizer: TextTokenizer;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "lmscope-encoder-pieces-"));
  const corpus = ["The cat sat on the mat .", "The cats sat on the mats !", "A dog sat on a log .", "Kalomi visited Paris ."];
  tokenizer = await loadVocabTxtTokenizer(await writeVocabTxt(dir, trainWordPieceVocab(corpus, { vocabSize: 60 })));
});
after(async () => rm(dir, { recursive: true, force: true }));

test("WordPiece vocabulary: special tokens first, the alphabet, then merges; vocab.txt loads and encodes the corpus", async () => {
  const vocab = trainWordPieceVocab(["The cat sat on the mat .", "the cat sat", "the hat"], { vocabSize: 40 });
  assert.deepEqual(vocab.slice(0, 5), ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]);
  assert.ok(vocab.includes("t") && vocab.includes("##t") && vocab.includes("."), "first and continuing characters");
  assert.ok(vocab.includes("the") && vocab.includes("cat"), "frequent words become whole tokens");
  assert.equal(new Set(vocab).size, vocab.length, "no duplicates");
  assert.ok(vocab.length <= 40);
  assert.deepEqual(trainWordPieceVocab(["The cat sat on the mat ."], { vocabSize: 30 }), trainWordPieceVocab(["The cat sat on the mat ."], { vocabSize: 30 }));
  const ids = tokenizer.encode("The cat sat on the mat .");
  assert.equal(tokenizer.decode(ids, { skipSpecialTokens: true }), "the cat sat on the mat.");
  assert.ok(!ids.includes(tokenizer.unkTokenId!), "every corpus character is in the vocabulary");
  assert.equal(tokenizer.idToToken(ids[0]!), "[CLS]");
  assert.throws(() => trainWordPieceVocab(["a"], { vocabSize: 3 }), /vocabSize/);
});

test("sequence batches: pairs get token types, rows are right-padded with mask 0; unknown labels are errors", () => {
  const labels = sortLabels(["pos", "neg", "pos"]);
  assert.deepEqual(labels, ["neg", "pos"]);
  assert.deepEqual(sortLabels(["10", "2", "1"]), ["1", "2", "10"]);
  const examples = encodeTextExamples(tokenizer, [{ text: "the cat", label: "pos" }, { text: "a dog", textPair: "sat on a log", label: "neg" }], labels, { maxLength: 32 });
  const batch = collateSequences(examples, 0);
  assert.deepEqual(batch.labels, [1, 0]);
  const [first, second] = batch.inputIds as number[][];
  assert.equal(first!.length, second!.length);
  assert.deepEqual(batch.attentionMask![0], examples[0]!.inputIds.map(() => 1).concat(new Array(second!.length - examples[0]!.inputIds.length).fill(0)));
  assert.ok(batch.tokenTypeIds![1]!.includes(1), "the second sentence has token type 1");
  assert.equal(first![first!.length - 1], 0, "padding id");
  assert.throws(() => encodeTextExamples(tokenizer, [{ text: "x", label: "other" }], labels, { maxLength: 8 }), /"other"/);
});

test("token batches: a word's tag on its first sub-token, −100 on the rest, on specials and on padding", () => {
  const labels = ["B-PER", "O"];
  const [short, long] = encodeTaggedSentences(tokenizer, [{ tokens: ["cat"], tags: ["O"] }, { tokens: ["Kalomi", "sat"], tags: ["B-PER", "O"] }], labels, { maxLength: 32 });
  const pieces = tokenizer.encode("Kalomi", { addSpecialTokens: false }).length;
  assert.ok(pieces > 1, "the name is split into sub-words");
  assert.deepEqual(long!.labels, [IGNORE_INDEX, 0, ...new Array(pieces - 1).fill(IGNORE_INDEX), 1, IGNORE_INDEX]);
  const batch = collateTokens([short!, long!], 0);
  const row = (batch.labels as number[][])[0]!;
  assert.deepEqual(row, [IGNORE_INDEX, 1, IGNORE_INDEX, ...new Array(row.length - 3).fill(IGNORE_INDEX)]);
  assert.throws(() => encodeTaggedSentences(tokenizer, [{ tokens: ["cat"], tags: ["B-LOC"] }], labels, { maxLength: 8 }), /sentence 1: tag "B-LOC"/);
  // label_all_tokens: the other sub-tokens take the word's tag, B-X as I-X.
  const all = encodeTaggedSentences(tokenizer, [{ tokens: ["Kalomi", "sat"], tags: ["B-PER", "O"] }], ["B-PER", "I-PER", "O"], { maxLength: 32, labelAllTokens: true });
  assert.deepEqual(all[0]!.labels, [IGNORE_INDEX, 0, ...new Array(pieces - 1).fill(1), 2, IGNORE_INDEX]);
});

test("pretraining batches: seeded masks over real tokens only, NSP labels carried, at least one token always scored", () => {
  const pairs = encodeSentencePairs(tokenizer, [{ a: "the cat sat", b: "on the mat", label: 0 }, { a: "a dog", b: "the cat sat on a log", label: 1 }], { maxLength: 32 });
  const masking = maskingFor(tokenizer, tokenizer.vocabSize);
  const batch = collatePretraining(pairs, 0, new Rng(3), masking);
  assert.deepEqual(batch.nextSentenceLabel, [0, 1]);
  assert.deepEqual(collatePretraining(pairs, 0, new Rng(3), masking), batch, "the same seed, the same masks");
  const labels = batch.labels as number[][];
  labels.forEach((row, b) => row.forEach((label, t) => {
    if (label === IGNORE_INDEX) return;
    assert.equal(batch.attentionMask![b]![t], 1);
    assert.ok(!tokenizer.isSpecialToken(label), "special tokens are never selected");
  }));
  const none = collatePretraining(pairs, 0, new Rng(1), { ...masking, probability: 0 });
  assert.equal((none.labels as number[][]).flat().filter((l) => l !== IGNORE_INDEX).length, 1);
});

test("schedule and decay groups follow HF: linear warmup then linear decay to 0; no decay on biases and LayerNorm", () => {
  assert.equal(linearWarmupDecay(0, 1, 10, 100), 0);
  assert.equal(linearWarmupDecay(5, 1, 10, 100), 0.5);
  assert.equal(linearWarmupDecay(10, 1, 10, 100), 1);
  assert.equal(linearWarmupDecay(55, 1, 10, 100), 0.5);
  assert.equal(linearWarmupDecay(100, 1, 10, 100), 0);
  assert.equal(linearWarmupDecay(0, 2, 0, 4), 2);
  assert.ok(decaysWeight("bert.encoder.layer.0.attention.self.query.weight"));
  assert.ok(!decaysWeight("bert.encoder.layer.0.attention.self.query.bias"));
  assert.ok(!decaysWeight("bert.embeddings.LayerNorm.weight"));
});

test("the training loop is reproducible from its seed and lowers the loss", async () => {
  const data = nerData(2, 24, 0).train;
  const labels = sortLabels(data.flatMap((s) => s.tags));
  const corpusTokenizer = await loadVocabTxtTokenizer(await writeVocabTxt(join(dir, "ner-vocab"), trainWordPieceVocab(data.map((s) => s.tokens.join(" ")), { vocabSize: 120 })));
  const run = async () => {
    const model = await createEncoderForTask({ hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 40 }, { architecture: "BertForTokenClassification", labels }, corpusTokenizer, 4);
    const examples = encodeTaggedSentences(corpusTokenizer, data, labels, { maxLength: 40 });
    return trainEncoder(model, examples, (batch) => collateTokens(batch, 0), { epochs: 3, batchSize: 8, learningRate: 1e-2, dropout: 0.1, seed: 9 });
  };
  const a = await run();
  const b = await run();
  assert.equal(a.steps.length, 9);
  assert.deepEqual(a.steps.map((s) => s.loss), b.steps.map((s) => s.loss));
  assert.ok(a.epochs[2]!.trainLoss < a.epochs[0]!.trainLoss);
  assert.equal(a.steps[0]!.learningRate, 0, "HF's schedule starts warmup at 0");
});

test("finetune --model: a pretrained folder gets a fresh classifier, trains, and saves with labels and tokenizer", async () => {
  const pretrained = await writeRandomBert("BertForMaskedLM");
  try {
    // Through the setup function: the encoder's weights are kept, the head is new.
    const model = await loadEncoderForTask(pretrained.dir, { architecture: "BertForTokenClassification", labels: ["B-PER", "O"] });
    const original = await loadEncoderModel(pretrained.dir);
    const name = "bert.encoder.layer.1.output.dense.weight";
    const weight = (m: typeof model) => m.namedParameters().find(([n]) => n === name)![1].data;
    assert.deepEqual(weight(model), weight(original));
    assert.deepEqual(model.config.labels, ["B-PER", "O"]);

    // Through the CLI, with CoNLL data whose words are in the random BERT's vocabulary.
    const sentences = [{ tokens: ["john", "lives", "in", "paris"], tags: ["B-PER", "O", "O", "B-LOC"] }, { tokens: ["jose", "visited", "london"], tags: ["B-PER", "O", "B-LOC"] }];
    await writeFile(join(dir, "tiny.conll"), toConll(sentences));
    const out = join(dir, "from-pretrained");
    const io = captureIo();
    assert.equal(await runEncoderFinetune(["--task", "tokencls", "--model", pretrained.dir, "--data", join(dir, "tiny.conll"), "--out", out, "--epochs", "2", "--batch-size", "2"], io), 0);
    assert.match(io.stdout.text, /model: BertForTokenClassification from /);
    assert.match(io.stdout.text, /epoch 2\/2 +step 2 +train loss [\d.]+/);
    const config = JSON.parse(await readFile(join(out, "config.json"), "utf8")) as Record<string, unknown>;
    assert.deepEqual(config["id2label"], { 0: "B-LOC", 1: "B-PER", 2: "O" });
    assert.ok((await stat(join(out, "vocab.txt"))).isFile(), "the tokenizer is saved beside the model");
    const saved = await loadEncoderModel(out);
    const entities = await saved.ner("john lives in paris");
    for (const e of entities) assert.equal("john lives in paris".slice(e.start, e.end), e.word);
  } finally {
    await pretrained.cleanup();
  }
});
