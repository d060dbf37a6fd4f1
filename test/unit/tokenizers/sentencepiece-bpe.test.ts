// SentencePiece-style BPE (Llama 2 / TinyStories tokenizer.json): Prepend +
// Replace normalizer, byte fallback, fused unk, and the decoder chain
// Replace + ByteFallback + Fuse + Strip.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { tokenizerFromJson } from "../../../src/tokenizers/index.js";
import { sentencePieceJson, sentencePieceTokenizer } from "./fixtures.js";

describe("SentencePiece-style BPE", () => {
  const tok = sentencePieceTokenizer();
  const piecesOf = (text: string): string[] => tok.encode(text, { addSpecialTokens: false }).map((id) => tok.idToToken(id)!);

  it("prepends ▁, replaces spaces and merges by rank", () => {
    assert.deepEqual(piecesOf("ab the"), ["▁ab", "▁the"]);
    assert.deepEqual(piecesOf(" on"), ["▁", "▁on"]);
    assert.deepEqual(piecesOf(""), []);
  });

  it("falls back to <0xXX> bytes for characters outside the vocabulary", () => {
    assert.deepEqual(piecesOf("a€"), ["▁a", "<0xE2>", "<0x82>", "<0xAC>"]);
    assert.equal(tok.decode(tok.encode("a€ é"), { skipSpecialTokens: true }), "a€ é");
  });

  it("adds BOS through the template and strips the decoder's leading space", () => {
    const ids = tok.encode("the cab");
    assert.equal(ids[0], 1);
    assert.equal(tok.bosTokenId, 1);
    assert.equal(tok.addBosToken, true);
    assert.equal(tok.decode(ids, { skipSpecialTokens: true }), "the cab");
    assert.equal(tok.decode(ids), "<s> the cab");
  });

  it("decodes invalid byte groups to one U+FFFD per byte, as HF ByteFallback does", () => {
    const b = (x: number): number => 3 + x;
    assert.equal(tok.decode([b(0xe2), b(0x82)]), "\ufffd\ufffd");
    assert.equal(tok.decode([b(0x41), b(0xff), tok.tokenToId("a")!]), "\ufffd\ufffda");
  });

  it("fuses consecutive unknown characters into one unk when byte fallback is off", () => {
    const json = sentencePieceJson();
    (json.model as { byte_fallback: boolean }).byte_fallback = false;
    const noFallback = tokenizerFromJson(json);
    assert.deepEqual(noFallback.encode("a€€", { addSpecialTokens: false }).map((id) => noFallback.idToToken(id)), ["▁a", "<unk>"]);
  });

  it("splits <s> out of raw text because added_tokens says so, normalizing each side on its own", () => {
    // As in HF tokenizers (legacy Llama): the segment after <s> gets its own "▁" prefix.
    assert.deepEqual(tok.encode("a<s>b", { addSpecialTokens: false }).map((id) => tok.idToToken(id)), ["▁a", "<s>", "▁", "b"]);
  });

  it("Metaspace pre-tokenizer: prepend_scheme first prefixes only the start of the text", () => {
    const json = sentencePieceJson();
    json.normalizer = null;
    json.pre_tokenizer = { type: "Metaspace", replacement: "▁", prepend_scheme: "first", split: true };
    const meta = tokenizerFromJson(json);
    const pieces = (text: string): string[] => meta.encode(text, { addSpecialTokens: false }).map((id) => meta.idToToken(id)!);
    assert.deepEqual(pieces("ab the"), ["▁ab", "▁the"]);
    assert.deepEqual(pieces("ab<s>ab"), ["▁ab", "<s>", "ab"]);
    json.pre_tokenizer = { type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: true };
    const always = tokenizerFromJson(json);
    assert.deepEqual(always.encode("ab<s>ab", { addSpecialTokens: false }).map((id) => always.idToToken(id)), ["▁ab", "<s>", "▁ab"]);
  });
});
