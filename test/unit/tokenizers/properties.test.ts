// Property tests on random strings: random code points (astral, combining
// marks, lone surrogates, NUL, controls, Unicode spaces), 100 kB of spaces and
// a 1 MB single word. Encoding never throws; byte-level BPE and byte-fallback
// BPE give back every well-formed string (lone surrogates become U+FFFD).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseLlama2cTokenizer } from "../../../src/tokenizers/index.js";
import { toWellFormed } from "../../../src/tokenizers/unicode-text.js";
import { byteLevelTokenizer, llama2cPieces, llama2cTokenizerBin, rng, sentencePieceTokenizer, wordPieceTokenizer } from "./fixtures.js";

const POOLS: [number, number][] = [
  [0x20, 0x7e],
  [0x00, 0x1f],
  [0x7f, 0x9f],
  [0x300, 0x36f],
  [0xd800, 0xdfff],
  [0x4e00, 0x4e40],
  [0x1f600, 0x1f64f],
  [0x20000, 0x20010],
  [0xe000, 0xe010],
];
const SPACES = [0x20, 0x09, 0x0a, 0x0d, 0x85, 0xa0, 0x2028, 0x3000, 0xfeff, 0x200b];

function randomString(random: () => number, maxLength: number): string {
  const length = Math.floor(random() * maxLength);
  let s = "";
  for (let i = 0; i < length; i++) {
    if (random() < 0.2) {
      s += String.fromCodePoint(SPACES[Math.floor(random() * SPACES.length)]!);
      continue;
    }
    const [lo, hi] = POOLS[Math.floor(random() * POOLS.length)]!;
    const cp = lo + Math.floor(random() * (hi - lo + 1));
    s += cp >= 0xd800 && cp <= 0xdfff ? String.fromCharCode(cp) : String.fromCodePoint(cp);
  }
  return s;
}

describe("encoding random strings", () => {
  const byteLevel = byteLevelTokenizer().tokenizer;
  const sentencePiece = sentencePieceTokenizer();
  const wordPiece = wordPieceTokenizer();
  const llama2c = parseLlama2cTokenizer(llama2cTokenizerBin(llama2cPieces()), "tok.bin");

  it("never throws, and byte-level BPE round-trips (lone surrogates → U+FFFD)", () => {
    const random = rng(2024);
    for (let i = 0; i < 2000; i++) {
      const s = randomString(random, 60);
      const expected = toWellFormed(s);
      assert.equal(byteLevel.decode(byteLevel.encode(s)), expected, JSON.stringify(s));
      assert.equal(sentencePiece.decode(sentencePiece.encode(s), { skipSpecialTokens: true }), expected, JSON.stringify(s));
      assert.equal(llama2c.decode(llama2c.encode(s), { skipSpecialTokens: true }), expected === "" ? "" : expected, JSON.stringify(s));
      const ids = wordPiece.encode(s);
      assert.ok(ids.every((id) => Number.isInteger(id) && id >= 0 && id < wordPiece.vocabSize));
    }
  });

  it("handles 100 kB of spaces and of mixed whitespace", () => {
    for (const s of [" ".repeat(100_000), " \t\n\u3000\u0085".repeat(20_000)]) {
      assert.equal(byteLevel.decode(byteLevel.encode(s)), s);
      assert.equal(sentencePiece.decode(sentencePiece.encode(s), { skipSpecialTokens: true }), s);
      assert.deepEqual(wordPiece.encode(s), [2, 3]);
      assert.equal(llama2c.decode(llama2c.encode(s), { skipSpecialTokens: true }), s);
    }
  });

  it("encodes a 1 MB single word (heap merging, no quadratic loop)", () => {
    const random = rng(5);
    const word = Array.from({ length: 1_000_000 }, () => "abcdthe"[Math.floor(random() * 7)]).join("");
    assert.equal(byteLevel.decode(byteLevel.encode(word)), word);
    assert.equal(llama2c.decode(llama2c.encode(word), { skipSpecialTokens: true }), word);
    assert.equal(sentencePiece.decode(sentencePiece.encode(word), { skipSpecialTokens: true }), word);
  });
});
