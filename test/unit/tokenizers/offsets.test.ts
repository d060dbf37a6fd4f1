// encodeWithOffsets: the same ids as encode, and spans of the caller's string
// that hold each token's text, through normalizers (Prepend, Replace, BERT
// lowercasing and accent stripping) and pre-tokenizers.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { alignedIdentity } from "../../../src/tokenizers/alignment.js";
import { BertNormalizer, PrependNormalizer, ReplaceNormalizer, SequenceNormalizer, UnicodeNormalizer } from "../../../src/tokenizers/normalizers.js";
import { byteLevelTokenizer, corpus, sentencePieceTokenizer, wordPieceTokenizer } from "./fixtures.js";

describe("normalizer alignments", () => {
  it("track each output unit back to its source span", () => {
    const seq = new SequenceNormalizer([new PrependNormalizer("▁"), new ReplaceNormalizer({ string: " " }, "▁")]);
    const a = seq.normalizeAligned(alignedIdentity("a b"));
    assert.equal(a.text, "▁a▁b");
    assert.deepEqual(a.starts, [0, 0, 1, 2]);
    assert.deepEqual(a.ends, [1, 1, 2, 3]);
    const bert = new BertNormalizer({ cleanText: true, handleChineseChars: true, stripAccents: null, lowercase: true }).normalizeAligned(alignedIdentity("É日"));
    assert.equal(bert.text, "e 日 ");
    assert.deepEqual(bert.starts, [0, 1, 1, 1]);
    const nfc = new UnicodeNormalizer("NFC").normalizeAligned(alignedIdentity("e\u0301x"));
    assert.equal(nfc.text, "éx");
    assert.deepEqual([nfc.starts, nfc.ends], [[0, 2], [2, 3]]);
  });
});

describe("encodeWithOffsets", () => {
  const cases = [
    ["byte-level BPE", byteLevelTokenizer().tokenizer],
    ["SentencePiece BPE", sentencePieceTokenizer()],
    ["WordPiece", wordPieceTokenizer()],
  ] as const;
  for (const [name, tok] of cases) {
    it(`gives encode's ids and ordered spans inside the text: ${name}`, () => {
      for (const text of [...corpus(40, 8), "", "  the  cat ", "a€b<s>x"]) {
        const { ids, offsets } = tok.encodeWithOffsets(text);
        assert.deepEqual(ids, tok.encode(text));
        let previous = 0;
        offsets.forEach(([start, end], i) => {
          assert.ok(start >= 0 && start <= end && end <= text.length, `${name}: span ${start}-${end} of ${JSON.stringify(text)}`);
          if (!tok.isSpecialToken(ids[i]!)) {
            assert.ok(start >= previous - 2, "spans do not go backwards");
            previous = start;
          }
        });
      }
    });
  }

  it("spans the text of each byte-level token", () => {
    const tok = byteLevelTokenizer().tokenizer;
    const text = "the cat sat on the mat. don't!";
    const { ids, offsets } = tok.encodeWithOffsets(text);
    assert.deepEqual(
      offsets.map(([s, e]) => text.slice(s, e)),
      ids.map((id) => tok.decode([id])),
    );
  });

  it("maps lowercased WordPiece tokens to the original casing and [CLS]/[SEP] to [0, 0]", () => {
    const tok = wordPieceTokenizer();
    const text = "Hello, World";
    const { offsets } = tok.encodeWithOffsets(text);
    assert.deepEqual(offsets.map(([s, e]) => text.slice(s, e)), ["", "Hell", "o", ",", "World", ""]);
    assert.deepEqual(offsets[0], [0, 0]);
  });
});
