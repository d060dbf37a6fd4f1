// WordPiece (BERT): BertNormalizer, BertPreTokenizer, ## continuation,
// max_input_chars_per_word, [CLS] A [SEP] B [SEP] templates with type ids,
// batches with padding and truncation, and the decoder with clean-up.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { OptionError } from "../../../src/errors.js";
import { BertNormalizer } from "../../../src/tokenizers/normalizers.js";
import { wordPieceTokenizer } from "./fixtures.js";

describe("BertNormalizer", () => {
  const n = new BertNormalizer({ cleanText: true, handleChineseChars: true, stripAccents: null, lowercase: true });
  it("cleans control characters, spaces out CJK, strips accents and lowercases", () => {
    assert.equal(n.normalize("Café\u0000\tNAÏVE"), "cafe naive");
    assert.equal(n.normalize("日本x"), " 日  本 x");
    assert.equal(n.normalize("a\ufffdb\u200bc"), "abc");
    assert.equal(n.normalize("ΑΣ"), "ασ", "no final-sigma rule, as Rust char::to_lowercase");
  });
});

describe("WordPiece tokenizer", () => {
  const tok = wordPieceTokenizer();
  const tokens = (ids: number[]): string[] => ids.map((id) => tok.idToToken(id)!);

  it("splits words greedily into ## pieces and wraps them in [CLS] … [SEP]", () => {
    assert.deepEqual(tokens(tok.encode("Hello, World!")), ["[CLS]", "hell", "##o", ",", "world", "!", "[SEP]"]);
    assert.deepEqual(tokens(tok.encode("running", { addSpecialTokens: false })), ["run", "##n", "##ing"]);
  });

  it("makes an unmatchable or over-long word one [UNK]", () => {
    assert.deepEqual(tokens(tok.encode("x€y", { addSpecialTokens: false })), ["[UNK]"]);
    assert.deepEqual(tokens(tok.encode("a".repeat(21), { addSpecialTokens: false })), ["[UNK]"]);
    assert.deepEqual(tokens(tok.encode("a".repeat(20), { addSpecialTokens: false })).length, 20);
  });

  it("encodes pairs with token type ids and attention mask", () => {
    const e = tok.encodePair("the cat", "sat");
    assert.deepEqual(tokens(e.ids), ["[CLS]", "the", "cat", "[SEP]", "sat", "[SEP]"]);
    assert.deepEqual(e.tokenTypeIds, [0, 0, 0, 0, 1, 1]);
    assert.deepEqual(e.attentionMask, [1, 1, 1, 1, 1, 1]);
  });

  it("pads batches to the longest or to maxLength, on either side", () => {
    const [a, b] = tok.encodeBatch(["the cat sat", "it"], { padding: true });
    assert.equal(a!.ids.length, 5);
    assert.deepEqual(b!.ids, [2, tok.tokenToId("it")!, 3, 0, 0]);
    assert.deepEqual(b!.attentionMask, [1, 1, 1, 0, 0]);
    const [c] = tok.encodeBatch(["it"], { padding: "max_length", maxLength: 6, paddingSide: "left" });
    assert.deepEqual(c!.attentionMask, [0, 0, 0, 1, 1, 1]);
  });

  it("truncates the longer part of a pair first", () => {
    const [e] = tok.encodeBatch([["the cat sat the cat", "it"]], { truncation: true, maxLength: 6 });
    assert.deepEqual(tokens(e!.ids), ["[CLS]", "the", "cat", "[SEP]", "it", "[SEP]"]);
    const long = tok.encodePair("the ".repeat(40), "cat", { truncation: true });
    assert.equal(long.ids.length, 32, "model_max_length from tokenizer_config.json");
  });

  it("rejects bad batch options with OptionError", () => {
    assert.throws(() => tok.encodeBatch(["a"], { padding: "sideways" as never }), OptionError);
    assert.throws(() => tok.encodeBatch(["a"], { truncation: true, maxLength: 1 }), OptionError);
    assert.throws(() => tok.encodeBatch(["a"], { padding: true, paddingSide: "up" as never }), OptionError);
  });

  it("decodes with ## joining and optional clean-up of spaces", () => {
    const ids = tok.encode("don't run, it's hello!");
    assert.equal(tok.decode(ids, { skipSpecialTokens: true }), "don't run, it's hello!");
    assert.equal(tok.decode(ids, { skipSpecialTokens: true, cleanUpTokenizationSpaces: false }), "don ' t run, it ' s hello!");
    assert.equal(tok.decode(ids), "[CLS] don't run, it's hello! [SEP]");
  });
});
