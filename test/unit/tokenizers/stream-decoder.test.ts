// Incremental decoding: for random id sequences of every tokenizer family and
// decoder type, the pushes plus flush() equal decode(all ids), and no piece
// is emitted before its UTF-8 character is complete.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseLlama2cTokenizer, tokenizerFromJson, type DecodeOptions, type Json, type TextTokenizer } from "../../../src/tokenizers/index.js";
import { byteLevelTokenizer, llama2cPieces, llama2cTokenizerBin, rng, sentencePieceJson, sentencePieceTokenizer, wordPieceJson, wordPieceTokenizer } from "./fixtures.js";

function streamed(tok: TextTokenizer, ids: readonly number[], options: DecodeOptions): { text: string; pieces: string[] } {
  const stream = tok.decodeStream(options);
  const pieces = ids.map((id) => stream.push(id));
  pieces.push(stream.flush());
  return { text: pieces.join(""), pieces };
}

function withDecoder(base: { [key: string]: Json }, decoder: Json): TextTokenizer {
  return tokenizerFromJson({ ...base, decoder });
}

const families: [string, () => TextTokenizer][] = [
  ["byte-level BPE", () => byteLevelTokenizer().tokenizer],
  ["SentencePiece BPE (Replace+ByteFallback+Fuse+Strip)", sentencePieceTokenizer],
  ["WordPiece with clean-up", wordPieceTokenizer],
  ["llama2.c tokenizer.bin", () => parseLlama2cTokenizer(llama2cTokenizerBin(llama2cPieces()), "tok.bin")],
  ["Metaspace decoder", () => withDecoder(sentencePieceJson(), { type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: true })],
  ["BPEDecoder suffix", () => withDecoder(sentencePieceJson(), { type: "BPEDecoder", suffix: "b" })],
  ["no decoder (joined with spaces)", () => withDecoder(wordPieceJson(), null)],
  ["Strip both sides + multi-character Replace", () =>
    withDecoder(sentencePieceJson(), { type: "Sequence", decoders: [{ type: "Replace", pattern: { String: "▁a" }, content: " A" }, { type: "ByteFallback" }, { type: "Strip", content: " ", start: 2, stop: 1 }] })],
  ["Fuse then Strip right", () => withDecoder(sentencePieceJson(), { type: "Sequence", decoders: [{ type: "Replace", pattern: { String: "▁" }, content: " " }, { type: "Fuse" }, { type: "Strip", content: " ", start: 1, stop: 2 }] })],
];

describe("decodeStream", () => {
  for (const [name, make] of families) {
    it(`equals decode on random id sequences: ${name}`, () => {
      const tok = make();
      const random = rng(name.length * 7919);
      for (let trial = 0; trial < 300; trial++) {
        const length = Math.floor(random() * 30);
        // Bias towards low ids so byte tokens and specials come up often.
        const ids = Array.from({ length }, () => Math.floor((random() < 0.5 ? random() * 270 : random() * tok.vocabSize)) % tok.vocabSize);
        for (const options of [{}, { skipSpecialTokens: true }, { cleanUpTokenizationSpaces: true }]) {
          const { text, pieces } = streamed(tok, ids, options);
          assert.equal(text, tok.decode(ids, options), `ids ${JSON.stringify(ids)} options ${JSON.stringify(options)}`);
          for (const p of pieces) assert.ok(!/[\ud800-\udbff]$/.test(p), "no piece ends inside a surrogate pair");
        }
      }
    });
  }

  it("holds back bytes of a character split over tokens (byte-level and byte fallback)", () => {
    const text = "a€🙂é日b";
    for (const tok of [byteLevelTokenizer().tokenizer, sentencePieceTokenizer(), parseLlama2cTokenizer(llama2cTokenizerBin(llama2cPieces()), "tok.bin")]) {
      const ids = tok.encode(text);
      const { text: out, pieces } = streamed(tok, ids, { skipSpecialTokens: true });
      assert.equal(out, tok.decode(ids, { skipSpecialTokens: true }));
      assert.ok(out.endsWith("a€🙂é日b"));
      for (const p of pieces) assert.ok(!p.includes("\ufffd"), `no replacement character while a character is incomplete: ${JSON.stringify(pieces)}`);
    }
  });

  it("emits text as soon as it is complete", () => {
    const tok = byteLevelTokenizer().tokenizer;
    const stream = tok.decodeStream();
    const out = tok.encode("the cat").map((id) => stream.push(id));
    assert.equal(out.join(""), "the cat");
    assert.equal(stream.flush(), "");
  });
});
