// llama2.c tokenizer.bin: parsing with checks, run.c encode() (dummy prefix,
// per-character lookup, byte fallback as byte+3, highest-score merges) checked
// against a direct transcription of run.c's O(n²) loop, and run.c decode().
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ModelFormatError } from "../../../src/errors.js";
import { parseLlama2cTokenizer } from "../../../src/tokenizers/index.js";
import { llama2cPieces, llama2cTokenizerBin, rng } from "./fixtures.js";

/** run.c encode(), transcribed literally (strings instead of bytes; the test alphabet is BMP-only). */
function runCEncode(pieces: [string, number][], text: string): number[] {
  const lookup = (s: string): number => pieces.findIndex(([p]) => p === s);
  const tokens: number[] = [1];
  if (text === "") return tokens;
  tokens.push(lookup(" "));
  for (const ch of text) {
    const id = lookup(ch);
    if (id >= 0) tokens.push(id);
    else for (const b of new TextEncoder().encode(ch)) tokens.push(b + 3);
  }
  for (;;) {
    let bestScore = -1e10;
    let bestId = -1;
    let bestIdx = -1;
    for (let i = 1; i + 1 < tokens.length; i++) {
      const id = lookup(pieces[tokens[i]!]![0] + pieces[tokens[i + 1]!]![0]);
      if (id >= 0 && pieces[id]![1] > bestScore) {
        bestScore = pieces[id]![1];
        bestId = id;
        bestIdx = i;
      }
    }
    if (bestIdx < 0) return tokens;
    tokens.splice(bestIdx, 2, bestId);
  }
}

describe("llama2.c tokenizer", () => {
  const pieces = llama2cPieces();
  const tok = parseLlama2cTokenizer(llama2cTokenizerBin(pieces), "tok.bin");

  it("reads every piece and score", () => {
    assert.equal(tok.vocabSize, pieces.length);
    assert.equal(tok.idToToken(1), "\n<s>\n");
    assert.equal(tok.tokenToId(" the"), pieces.findIndex(([p]) => p === " the"));
    assert.equal(tok.score(tok.tokenToId(" th")!), -11);
  });

  it("encodes exactly as run.c's loop on random strings", () => {
    const random = rng(11);
    const alphabet = ["a", "b", "c", "t", "h", "e", " ", "é", "€", "x"];
    for (let i = 0; i < 300; i++) {
      const text = Array.from({ length: Math.floor(random() * 40) }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
      assert.deepEqual(tok.encode(text), runCEncode(pieces, text), JSON.stringify(text));
    }
  });

  it("adds BOS only when asked, and nothing else for empty text", () => {
    assert.deepEqual(tok.encode(""), [1]);
    assert.deepEqual(tok.encode("", { addSpecialTokens: false }), []);
    assert.equal(tok.encode("the", { addSpecialTokens: false })[0], tok.tokenToId(" the"));
  });

  it("decodes like run.c: no leading space after BOS, <0xXX> pieces are bytes", () => {
    const the = tok.tokenToId(" the")!;
    assert.equal(tok.decode([1, the], { skipSpecialTokens: true }), "the");
    assert.equal(tok.decode([the, the]), " the the");
    assert.equal(tok.decode([1, the]), "\n<s>\nthe");
    assert.equal(tok.decode([3 + 0xe2, 3 + 0x82, 3 + 0xac]), "€");
  });

  it("rejects malformed files with ModelFormatError naming the file", () => {
    const good = llama2cTokenizerBin(pieces);
    assert.throws(() => parseLlama2cTokenizer(good.subarray(0, good.length - 3), "bad.bin"), (e: unknown) => e instanceof ModelFormatError && /bad\.bin/.test(e.message));
    assert.throws(() => parseLlama2cTokenizer(new Uint8Array(2), "short.bin"), ModelFormatError);
    const tooLong = good.slice();
    new DataView(tooLong.buffer).setUint32(0, 2, true);
    assert.throws(() => parseLlama2cTokenizer(tooLong, "max.bin"), /max_token_length/);
  });
});
