// BERT's text cleaning removes exactly what Hugging Face tokenizers removes
// (checked on every code point against test/fixtures/bert-clean-text.json, made
// by scripts/refs/bert-clean-text.py with the `tokenizers` package): control,
// format and private-use characters, but not unassigned code points, which
// survive and become [UNK]; and max_input_chars_per_word counts the characters
// of the normalized word. Expected tokens below are what `tokenizers` 0.23.2 gives.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BertNormalizer } from "../../../src/tokenizers/normalizers.js";
import { tokenizerFromJson, type Json } from "../../../src/tokenizers/tokenizer-json.js";
import { TEST_FIXTURES } from "../../helpers/paths.js";

interface CleanTextReference {
  removed: [number, number][];
  space: [number, number][];
}

describe("BertNormalizer clean_text", () => {
  const reference = JSON.parse(readFileSync(join(TEST_FIXTURES, "bert-clean-text.json"), "utf8")) as CleanTextReference;
  const inRanges = (ranges: [number, number][], cp: number): boolean => ranges.some(([a, b]) => cp >= a && cp <= b);
  const clean = new BertNormalizer({ cleanText: true, handleChineseChars: false, stripAccents: false, lowercase: false });

  it("removes, spaces or keeps every code point as Hugging Face tokenizers does", () => {
    const wrong: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const ch = String.fromCodePoint(cp);
      const expected = inRanges(reference.removed, cp) ? "" : inRanges(reference.space, cp) ? " " : ch;
      if (clean.normalize(ch) !== expected && wrong.length < 10) wrong.push(`U+${cp.toString(16).toUpperCase()}`);
    }
    assert.deepEqual(wrong, []);
  });

  it("keeps unassigned code points and format characters newer than the reference's tables", () => {
    for (const cp of [0xfffe, 0xffff, 0x0378, 0xfdd0, 0x10ffff, 0x0890, 0x110cd, 0x13430, 0xe0002]) {
      assert.equal(clean.normalize(`a${String.fromCodePoint(cp)}b`).length, String.fromCodePoint(cp).length + 2, `U+${cp.toString(16)}`);
    }
    assert.equal(clean.normalize("a\u200b\u00ad\ue000\u{f0000}\u0085\u000bb"), "ab");
  });
});

describe("WordPiece after BERT normalization", () => {
  const vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "a", "##a", "\u1112", "##\u1112", "##\u1161", "##\u11ab", "x", "##x"];
  const json: Json = {
    added_tokens: vocab.slice(0, 4).map((content, id) => ({ id, content, special: true, normalized: false })),
    normalizer: { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: "BertPreTokenizer" },
    model: { type: "WordPiece", unk_token: "[UNK]", continuing_subword_prefix: "##", max_input_chars_per_word: 12, vocab: Object.fromEntries(vocab.map((t, i) => [t, i])) },
  };
  const tok = tokenizerFromJson(json, undefined, "bert-test/tokenizer.json");
  const tokens = (text: string): string[] => tok.encode(text, { addSpecialTokens: false }).map((id) => tok.idToToken(id)!);

  it("turns unassigned code points into [UNK] instead of dropping them", () => {
    assert.deepEqual(tokens("a\ufffe"), ["[UNK]"]);
    assert.deepEqual(tokens("x\uffffx"), ["[UNK]"]);
    assert.deepEqual(tokens("x\u0378"), ["[UNK]"]);
    assert.deepEqual(tokens("x\u0890x"), ["[UNK]"]);
    assert.deepEqual(tokens("x\u200bx"), ["x", "##x"]);
    assert.deepEqual(tokens("x\ue000x"), ["x", "##x"]);
  });

  it("applies max_input_chars_per_word (12) to the normalized word", () => {
    // NFD (accent stripping) turns each Hangul syllable into three jamo: 4 syllables → 12 characters, 5 → 15.
    assert.deepEqual(tokens("\ud55c".repeat(4)), ["\u1112", "##\u1161", "##\u11ab", ...Array.from({ length: 3 }, () => ["##\u1112", "##\u1161", "##\u11ab"]).flat()]);
    assert.deepEqual(tokens("\ud55c".repeat(5)), ["[UNK]"]);
    // Removed control characters do not count: 24 raw characters are 12 after cleaning.
    assert.deepEqual(tokens("a\u0000".repeat(12)), ["a", ...Array<string>(11).fill("##a")]);
    assert.deepEqual(tokens("a\u0001".repeat(13)), ["[UNK]"]);
    assert.deepEqual(tokens("\u00e1".repeat(12)), ["a", ...Array<string>(11).fill("##a")]);
    assert.deepEqual(tok.encodeWithOffsets("a\u0001".repeat(13), { addSpecialTokens: false }).offsets, [[0, 25]]);
  });
});
