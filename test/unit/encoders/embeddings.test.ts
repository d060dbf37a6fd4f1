// Sentence embeddings: pooling, cosine similarity, z-score statistics (fit,
// apply, save, load), and the anisotropy check through model.embed and the
// `embed` and `similarity` commands on a tiny random BERT with a WordPiece vocab.
import assert from "node:assert/strict";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { embedCommand } from "../../../src/cli/commands/embed.js";
import { similarityCommand } from "../../../src/cli/commands/similarity.js";
import { averagePairwiseCosine, cosineSimilarity, normalizeL2 } from "../../../src/embeddings/similarity.js";
import { poolRow } from "../../../src/embeddings/pooling.js";
import { applyZScore, fitZScore, loadZScore, saveZScore, zScoreFromJson } from "../../../src/embeddings/zscore.js";
import { loadEncoderModel, type EncoderModel } from "../../../src/encoder-model.js";
import { ModelFormatError, OptionError } from "../../../src/errors.js";
import { captureIo } from "../../helpers/capture.js";
import { seededRandom } from "../../helpers/random.js";
import { VOCAB, writeRandomBert } from "./random-bert.js";

let model: EncoderModel;
let dir: string;
let cleanup: () => Promise<void>;
before(async () => {
  ({ dir, cleanup } = await writeRandomBert("BertModel"));
  model = await loadEncoderModel(dir);
});
after(async () => cleanup());

/** Random sentences over the test vocabulary's whole words. */
function sentences(count: number, seed: number): string[] {
  const words = VOCAB.slice(5, 47);
  const random = seededRandom(seed);
  return Array.from({ length: count }, () => Array.from({ length: 4 + Math.floor(random() * 6) }, () => words[Math.floor(random() * words.length)]).join(" "));
}

test("mean pooling averages the real tokens only; cls takes the first", () => {
  // [B=2, T=3, D=2]
  const hidden = Float32Array.from([1, 2, 3, 4, 100, 100, /* row 1 */ 5, 6, 7, 8, 9, 10]);
  assert.deepEqual([...poolRow(hidden, 0, 3, 2, [1, 1, 0], "mean")], [2, 3]);
  assert.deepEqual([...poolRow(hidden, 1, 3, 2, [1, 1, 1], "mean")], [7, 8]);
  assert.deepEqual([...poolRow(hidden, 1, 3, 2, undefined, "cls")], [5, 6]);
});

test("cosine similarity, pairwise average and normalization", () => {
  assert.equal(cosineSimilarity([1, 0], [0, 1]), 0);
  assert.ok(Math.abs(cosineSimilarity([1, 2, 3], [2, 4, 6]) - 1) < 1e-12);
  assert.ok(Math.abs(cosineSimilarity([1, 0], [-1, 0]) + 1) < 1e-12);
  assert.equal(cosineSimilarity([0, 0], [1, 1]), 0);
  assert.ok(Math.abs(averagePairwiseCosine([[1, 0], [0, 1], [1, 1]]) - (0 + Math.SQRT1_2 + Math.SQRT1_2) / 3) < 1e-12);
  assert.ok(Math.abs(Math.hypot(...normalizeL2(Float32Array.of(3, 4))) - 1) < 1e-7);
  assert.throws(() => cosineSimilarity([1], [1, 2]), /1 and 2 dimensions/);
});

test("z-score: fit gives per-dimension mean and std; apply standardizes; JSON round trip; bad files named", async () => {
  const vectors = [Float32Array.of(1, 10, 5), Float32Array.of(3, 30, 5)];
  const stats = fitZScore(vectors, { pooling: "mean" });
  assert.deepEqual([...stats.mean], [2, 20, 5]);
  assert.deepEqual([...stats.std], [1, 10, 0]);
  assert.deepEqual([...applyZScore(vectors[0]!, stats)], [-1, -1, 0]); // a constant dimension is only centred
  const path = join(dir, "stats-roundtrip.json");
  await saveZScore(path, stats);
  const loaded = await loadZScore(path);
  assert.deepEqual(loaded, stats);
  assert.throws(() => zScoreFromJson({ format: "lmscope-zscore", version: 1, dimension: 2, count: 5, mean: [0, 0], std: [1, -1] }, "s.json"), /"std"\[1\] is -1/);
  assert.throws(() => zScoreFromJson({ format: "other" }, "s.json"), (e: unknown) => e instanceof ModelFormatError && /s\.json.*"format"/.test(e.message));
  await assert.rejects(loadZScore(join(dir, "nope.json")), /nope\.json/);
  await assert.rejects(model.embed(["a cat"], { zscore: stats }), /3 dimensions but the model's embeddings have 32/);
});

test("z-scoring with corpus statistics lowers the average cosine similarity of unrelated sentences", async () => {
  const corpus = sentences(100, 1);
  const unrelated = sentences(12, 2);
  for (const pooling of ["mean", "cls"] as const) {
    const stats = fitZScore(await model.embed(corpus, { pooling }));
    const before = averagePairwiseCosine(await model.embed(unrelated, { pooling }));
    const after = averagePairwiseCosine(await model.embed(unrelated, { pooling, zscore: stats }));
    assert.ok(before > 0.5, `${pooling}: raw embeddings should be anisotropic, got ${before}`);
    assert.ok(after < before - 0.4 && Math.abs(after) < 0.3, `${pooling}: ${before} → ${after}`);
  }
});

test("embed pads batches without changing a text's vector", async () => {
  const texts = ["the cat", "the big old dog sat on the new red mat"];
  const together = await model.embed(texts, { batchSize: 2 });
  const apart = await model.embed(texts, { batchSize: 1 });
  together.forEach((v, i) => v.forEach((x, d) => assert.ok(Math.abs(x - apart[i]![d]!) < 1e-5)));
  const unit = await model.embed(texts, { normalize: true });
  for (const v of unit) assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-5);
});

test("lmscope embed --fit saves statistics and prints the average similarity before and after; --zscore applies them", async () => {
  const corpusPath = join(dir, "corpus.txt");
  await writeFile(corpusPath, `${sentences(100, 1).join("\n")}\n`);
  const statsPath = join(dir, "stats.json");
  const unrelated = sentences(8, 2);
  const fit = captureIo();
  assert.equal(await embedCommand.run(["--model", dir, "--fit", corpusPath, "--zscore", statsPath, ...unrelated], fit), 0);
  assert.match(fit.stdout.text, /fitted z-score statistics on 100 sentences \(32 dimensions, mean pooling\)/);
  const figures = (text: string): [number, number] => {
    const before = /before z-score\s+(-?[\d.]+)/.exec(text);
    const after = /after z-score\s+(-?[\d.]+)/.exec(text);
    assert.ok(before !== null && after !== null, text);
    return [Number(before[1]), Number(after[1])];
  };
  const [before, after] = figures(fit.stdout.text);
  assert.match(fit.stdout.text, /between the texts \(8 sentences, 28 pairs\)/);
  assert.ok(after < before - 0.4, `${before} → ${after}`);
  const saved = JSON.parse(await readFile(statsPath, "utf8")) as { dimension: number; count: number; meta: { pooling: string } };
  assert.equal(saved.dimension, 32);
  assert.equal(saved.count, 100);
  assert.equal(saved.meta.pooling, "mean");

  // The saved statistics, applied later: the same report.
  const report = captureIo();
  assert.equal(await embedCommand.run(["--model", dir, "--zscore", statsPath, "--report", ...unrelated], report), 0);
  assert.deepEqual(figures(report.stdout.text), [before, after]);

  // Vectors: one JSON array per text, z-scored as model.embed does it.
  const vectors = captureIo();
  assert.equal(await embedCommand.run(["--model", dir, "--zscore", statsPath, unrelated[0]!, unrelated[1]!], vectors), 0);
  const rows = vectors.stdout.text.trim().split("\n").map((line) => JSON.parse(line) as number[]);
  assert.equal(rows.length, 2);
  const expected = await model.embed(unrelated.slice(0, 2), { zscore: await loadZScore(statsPath) });
  rows.forEach((row, i) => row.forEach((x, d) => assert.ok(Math.abs(x - expected[i]![d]!) < 1e-5)));

  // Without texts, --fit reports on the corpus itself.
  const corpusOnly = captureIo();
  assert.equal(await embedCommand.run(["--model", dir, "--fit", corpusPath, "--zscore", join(dir, "stats2.json")], corpusOnly), 0);
  assert.match(corpusOnly.stdout.text, /between the corpus sentences \(100 sentences, 4950 pairs\)/);

  await assert.rejects(embedCommand.run(["--model", dir, "--fit", corpusPath], captureIo()), (e: unknown) => e instanceof OptionError && /--fit.*--zscore/.test(e.message));
  await assert.rejects(embedCommand.run(["--model", dir, "--zscore", statsPath, "--pooling", "cls", "a"], captureIo()), /fitted on mean pooling, not cls/);
  await assert.rejects(embedCommand.run(["--model", dir, "--pooling", "max", "a"], captureIo()), /--pooling.*"mean" or "cls"/);
});

test("lmscope similarity compares the first text with the others", async () => {
  const texts = ["the cat sat on the mat", "the cat sat on the mat", "music plays loud"];
  const io = captureIo();
  assert.equal(await similarityCommand.run(["--model", dir, ...texts], io), 0);
  const lines = io.stdout.text.trim().split("\n");
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /^1\.0000  the cat sat on the mat$/);
  const [a, , c] = await model.embed(texts);
  assert.equal(lines[1], `${cosineSimilarity(a!, c!).toFixed(4)}  music plays loud`);
  await assert.rejects(similarityCommand.run(["--model", dir, "one"], captureIo()), /at least two texts/);
});
