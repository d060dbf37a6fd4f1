// Character-level and tokenizer datasets: vocabulary order, the tokenizer.json
// round trip through loadTokenizer, the 90/10 split by position, and random
// windows of block_size + 1 tokens with targets shifted by one.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Rng } from "../../../src/tensor/random.js";
import { loadTokenizer } from "../../../src/tokenizers/load.js";
import {
  characterDataset,
  characterTokenizer,
  characterTokenizerJson,
  characterVocabulary,
  encodeCharacters,
  randomWindows,
  splitText,
  textFingerprint,
  tokenizedDataset,
  windowsAt,
} from "../../../src/training/datasets/index.js";

const TEXT = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n";

test("the character vocabulary is the sorted set of code points (Python's sorted(set(text)))", () => {
  assert.deepEqual(characterVocabulary("banana\n"), ["\n", "a", "b", "n"]);
  // U+1F600 (a surrogate pair in UTF-16) sorts after U+FF01, although its first code unit is smaller
  assert.deepEqual(characterVocabulary("😀！a"), ["a", "！", "😀"]);
});

test("the character tokenizer saved as tokenizer.json loads back with identical ids and text", async () => {
  const text = `${TEXT}naïve 😀 ok`;
  const chars = characterVocabulary(text);
  const dir = await mkdtemp(join(tmpdir(), "lmscope-chartok-"));
  try {
    await writeFile(join(dir, "tokenizer.json"), JSON.stringify(characterTokenizerJson(chars)));
    const loaded = await loadTokenizer(dir);
    const fast = Array.from(encodeCharacters(text, chars));
    assert.equal(fast.length, Array.from(text).length);
    assert.deepEqual(loaded.encode(text), fast);
    assert.deepEqual(characterTokenizer(chars).encode(text), fast);
    assert.equal(loaded.decode(fast), text);
    assert.equal(loaded.vocabSize, chars.length);
    assert.equal(loaded.idToToken(fast[0]!), "F");
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("encoding a character outside the vocabulary names it and its position", () => {
  assert.throws(() => encodeCharacters("abz", ["a", "b"]), /character "z" at position 2 is not in the character vocabulary/);
});

test("the split is by character position: first floor(n·0.9) characters for training", () => {
  const { train, validation } = splitText("0123456789", 0.9);
  assert.equal(train, "012345678");
  assert.equal(validation, "9");
  const astral = splitText("😀😀😀😀😀😀😀😀😀x", 0.9); // 10 code points, 19 UTF-16 units
  assert.equal(Array.from(astral.train).length, 9);
  assert.equal(astral.validation, "x");
  assert.throws(() => splitText("abc", 1.5), /train fraction/);
});

test("a character dataset encodes both splits with the vocabulary of the whole text", () => {
  const data = characterDataset(TEXT, { trainFraction: 0.5 });
  const chars = characterVocabulary(TEXT);
  assert.equal(data.vocabSize, chars.length);
  const cut = Math.floor(TEXT.length * 0.5);
  assert.deepEqual(Array.from(data.train), Array.from(encodeCharacters(TEXT.slice(0, cut), chars)));
  assert.deepEqual(Array.from(data.validation), Array.from(encodeCharacters(TEXT.slice(cut), chars)));
  assert.equal(data.tokenizer.decode(Array.from(data.validation)), TEXT.slice(cut));
  assert.notEqual(data.tokenizerJson, undefined);
});

test("a tokenizer dataset encodes each split without special tokens", () => {
  const tokenizer = characterTokenizer(characterVocabulary(TEXT));
  const data = tokenizedDataset(TEXT, tokenizer);
  assert.equal(data.tokenizerJson, undefined);
  assert.equal(data.train.length + data.validation.length, TEXT.length);
});

test("windows hold block_size inputs and the same tokens shifted by one as targets", () => {
  const ids = Int32Array.from({ length: 20 }, (_, i) => 100 + i);
  const batch = windowsAt(ids, [0, 15], 4);
  assert.deepEqual(batch.inputIds, [[100, 101, 102, 103], [115, 116, 117, 118]]);
  assert.deepEqual(batch.targets, [[101, 102, 103, 104], [116, 117, 118, 119]]);
  assert.throws(() => windowsAt(ids, [16], 4), /does not fit/);
});

test("random windows start uniformly in [0, n − block_size) and repeat under the same seed", () => {
  const ids = Int32Array.from({ length: 12 }, (_, i) => i);
  const seen = new Set<number>();
  for (let s = 0; s < 50; s++) {
    const batch = randomWindows(ids, 4, 8, new Rng(s));
    for (let b = 0; b < 4; b++) {
      const start = batch.inputIds[b]![0]!;
      seen.add(start);
      assert.deepEqual(batch.targets[b], batch.inputIds[b]!.map((x) => x + 1));
    }
  }
  assert.deepEqual([...seen].sort((a, b) => a - b), [0, 1, 2, 3]); // every start, and none past n − block_size − 1
  assert.deepEqual(randomWindows(ids, 3, 5, new Rng(7)), randomWindows(ids, 3, 5, new Rng(7)));
  assert.throws(() => randomWindows(ids, 1, 12, new Rng(1)), /need at least 13/);
});

test("the text fingerprint changes with the text", () => {
  assert.equal(textFingerprint("abc"), textFingerprint("abc"));
  assert.notEqual(textFingerprint("abc"), textFingerprint("abd"));
});
