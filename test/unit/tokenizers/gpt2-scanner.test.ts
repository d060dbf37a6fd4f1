// The hand-written GPT-2 pre-tokenization scanner must give exactly the
// matches of the regex it replaces, on random text rich in the pattern's
// edge cases (contractions, space runs before words, Unicode spaces, astral
// letters and digits, lone surrogates).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { splitGpt2 } from "../../../src/tokenizers/gpt2-scanner.js";
import { GPT2_PATTERN, splitWithRegex } from "../../../src/tokenizers/pretokenizers.js";
import { compileOnigurumaPattern } from "../../../src/tokenizers/regex.js";
import { rng } from "./fixtures.js";

const ATOMS = ["'", "s", "t", "re", "ve", "m", "ll", "d", "'S", "a", "Z", "é", "日", "𝐀", "𝟙", "7", "٣", " ", " ", "  ", "\t", "\n", "\r\n", "\u0085", "\u00a0", "\u3000", "\ufeff", "!", "…", "🙂", "\ud800", "\udc00", "_", "-", "\u0301"];

function pieces(split: (text: string, sink: (piece: string, offset: number) => void) => void, text: string): [string, number][] {
  const out: [string, number][] = [];
  split(text, (piece, offset) => out.push([piece, offset]));
  return out;
}

describe("GPT-2 scanner", () => {
  const regex = compileOnigurumaPattern(GPT2_PATTERN);
  const viaRegex = (text: string, sink: (piece: string, offset: number) => void): void => splitWithRegex(text, regex, "Isolated", false, sink);

  it("matches the GPT-2 regex on random text", () => {
    const random = rng(314);
    for (let trial = 0; trial < 5000; trial++) {
      const length = Math.floor(random() * 16);
      const text = Array.from({ length }, () => ATOMS[Math.floor(random() * ATOMS.length)]).join("");
      assert.deepEqual(pieces(splitGpt2, text), pieces(viaRegex, text), JSON.stringify(text));
    }
  });

  it("handles the documented cases", () => {
    assert.deepEqual(pieces(splitGpt2, "I'll  go!").map(([p]) => p), ["I", "'ll", " ", " go", "!"]);
    assert.deepEqual(pieces(splitGpt2, "x \u0085y").map(([p]) => p), ["x", " ", "\u0085", "y"]);
    assert.deepEqual(pieces(splitGpt2, "a   ").map(([p]) => p), ["a", "   "]);
  });
});
