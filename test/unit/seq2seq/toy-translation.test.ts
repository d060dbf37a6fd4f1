// End to end: the original Transformer (createModel "transformer") learns a
// made-up language pair the test writes — a deterministic word-for-word lexicon
// with reordering (subject–verb–object with adjectives before nouns becomes
// subject–object–verb with adjectives after nouns, and negation moves behind the
// verb) — by teacher forcing with label smoothing on the project's Trainer, then
// translates held-out sentences (word combinations never seen in training) by
// greedy decoding. Required: ≥ 95% of them exactly right, within a minute of CPU
// time (the process's own, so that other jobs on a shared machine do not decide it;
// the wall time is printed beside it).
import assert from "node:assert/strict";
import { test } from "node:test";
import { createModel, type Seq2SeqModel } from "../../../src/index.js";
import type { Seq2SeqBatch } from "../../../src/models/seq2seq/encoder-decoder.js";
import { Rng } from "../../../src/tensor/random.js";
import { PairBatches, type EncodedPair } from "../../../src/training/data/translation-pairs.js";
import { DEFAULT_TRAIN_CONFIG } from "../../../src/training/train-config.js";
import { Trainer } from "../../../src/training/trainer.js";
import type { TrainableModel } from "../../../src/training/trainable.js";

const PAD = 0;
const EOS = 1;
const START = 2;
const NOUNS = ["cat", "dog", "bird", "fish", "horse", "mouse", "frog", "bear"];
const ADJECTIVES = ["big", "small", "red", "blue", "old", "young"];
const VERBS = ["sees", "likes", "chases", "finds", "eats", "helps"];
const SOURCE_WORDS = [...NOUNS, ...ADJECTIVES, ...VERBS, "not"];
/** Source word i ↦ target word SOURCE_WORDS.length + i: ids 3 … 24 are the source language, 25 … 46 the target one. */
const sourceId = (word: string): number => 3 + SOURCE_WORDS.indexOf(word);
const targetId = (word: string): number => 3 + SOURCE_WORDS.length + SOURCE_WORDS.indexOf(word);
const VOCAB = 3 + 2 * SOURCE_WORDS.length;

interface Sentence {
  subject: string;
  subjectAdjective: string | null;
  verb: string;
  negated: boolean;
  object: string;
  objectAdjective: string | null;
}

function randomSentence(rng: Rng): Sentence {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rng.nextFloat() * list.length)]!;
  const maybeAdjective = () => (rng.nextFloat() < 0.5 ? pick(ADJECTIVES) : null);
  return { subject: pick(NOUNS), subjectAdjective: maybeAdjective(), verb: pick(VERBS), negated: rng.nextFloat() < 0.3, object: pick(NOUNS), objectAdjective: maybeAdjective() };
}

/** The source language: [adj] noun [not] verb [adj] noun. */
function sourceOf(s: Sentence): number[] {
  const words = [s.subjectAdjective, s.subject, s.negated ? "not" : null, s.verb, s.objectAdjective, s.object].filter((w): w is string => w !== null);
  return [...words.map(sourceId), EOS];
}

/** The target language: noun [adj] noun [adj] verb [not], each word its lexicon entry. */
function targetOf(s: Sentence): number[] {
  const words = [s.subject, s.subjectAdjective, s.object, s.objectAdjective, s.verb, s.negated ? "not" : null].filter((w): w is string => w !== null);
  return [...words.map(targetId), EOS];
}

function dataset(count: number, rng: Rng, exclude: ReadonlySet<string>): { pairs: EncodedPair[]; keys: Set<string> } {
  const pairs: EncodedPair[] = [];
  const keys = new Set<string>();
  while (pairs.length < count) {
    const sentence = randomSentence(rng);
    const source = sourceOf(sentence);
    const key = source.join(" ");
    if (exclude.has(key) || keys.has(key)) continue;
    keys.add(key);
    pairs.push({ source, target: targetOf(sentence) });
  }
  return { pairs, keys };
}

test("a tiny original Transformer learns a made-up translation task to ≥ 95% exact match on held-out sentences", { timeout: 120_000 }, async () => {
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();
  const train = dataset(3000, new Rng(1), new Set());
  const heldOut = dataset(200, new Rng(2), train.keys).pairs;
  const model = await createModel<Seq2SeqModel>(
    {
      model_type: "transformer",
      vocab_size: VOCAB,
      d_model: 64,
      encoder_layers: 2,
      decoder_layers: 2,
      encoder_attention_heads: 4,
      decoder_attention_heads: 4,
      encoder_ffn_dim: 128,
      decoder_ffn_dim: 128,
      max_position_embeddings: 16,
      pad_token_id: PAD,
      eos_token_id: EOS,
      decoder_start_token_id: START,
    },
    { seed: 3, backend: "wasm", threads: 1 },
  );
  assert.equal(model.kind, "seq2seq");
  const smoothed: TrainableModel<Seq2SeqBatch> = {
    loss: (batch, options) => model.loss(batch, { ...options, labelSmoothing: 0.1 }),
    evaluate: (batch) => model.evaluate(batch),
    namedParameters: () => model.namedParameters(),
    save: (dir) => model.save(dir),
  };
  const config = {
    ...DEFAULT_TRAIN_CONFIG,
    maxIters: 250,
    batchSize: 32,
    learningRate: 2e-3,
    minLearningRate: 2e-4,
    warmupIters: 40,
    lrDecayIters: 250,
    weightDecay: 0.01,
    betas: [0.9, 0.98] as [number, number],
    evalInterval: 0,
    checkpointInterval: 0,
    finalEval: false,
    seed: 4,
  };
  const trainer = new Trainer(smoothed, new PairBatches(train.pairs, heldOut, { pad: PAD, eos: EOS, decoderStart: START }), config);
  const progress = await trainer.train();
  const trainedAt = performance.now();
  const results = await model.generateSequences(heldOut.map((p) => ({ ids: p.source })), { numBeams: 1, maxTokens: 10 });
  const exact = results.filter((r, i) => r[0]!.ids.join(" ") === heldOut[i]!.target.join(" ")).length;
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const losses = progress.trainLosses;
  console.log(
    `# toy translation: loss ${losses[0]!.toFixed(3)} → ${losses[losses.length - 1]!.toFixed(3)}, exact match ${exact}/${heldOut.length} held out; ` +
      `trained in ${((trainedAt - started) / 1000).toFixed(1)} s, ${seconds.toFixed(1)} s in all (${cpuSeconds.toFixed(1)} s of CPU)`,
  );
  assert.ok(exact / heldOut.length >= 0.95, `exact match ${exact}/${heldOut.length}`);
  assert.ok(cpuSeconds < 60, `took ${cpuSeconds.toFixed(1)} s of CPU`);
});
