// The five delimiter behaviours of tokenizers' split (Split pre-tokenizer,
// Metaspace), on huggingface/tokenizers' own example and on runs of
// delimiters: a delimiter joins its neighbour only when that neighbour is not
// a delimiter too.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MetaspacePreTokenizer, splitWithRegex, type SplitBehavior } from "../../../src/tokenizers/pretokenizers.js";

function pieces(text: string, pattern: RegExp, behavior: SplitBehavior): string[] {
  const out: string[] = [];
  splitWithRegex(text, pattern, behavior, false, (piece) => out.push(piece));
  return out;
}

describe("split behaviours", () => {
  it("match tokenizers on 'the-final--countdown'", () => {
    const text = "the-final--countdown";
    assert.deepEqual(pieces(text, /-/gu, "Removed"), ["the", "final", "countdown"]);
    assert.deepEqual(pieces(text, /-/gu, "Isolated"), ["the", "-", "final", "-", "-", "countdown"]);
    assert.deepEqual(pieces(text, /-/gu, "MergedWithPrevious"), ["the-", "final-", "-", "countdown"]);
    assert.deepEqual(pieces(text, /-/gu, "MergedWithNext"), ["the", "-final", "-", "-countdown"]);
    assert.deepEqual(pieces(text, /-/gu, "Contiguous"), ["the", "-", "final", "--", "countdown"]);
  });

  it("Metaspace cuts before every replacement character, as tokenizers does", () => {
    const split = (text: string, scheme: "always" | "never"): [string, number][] => {
      const out: [string, number][] = [];
      new MetaspacePreTokenizer("▁", scheme, true).split(text, (piece, offset) => out.push([piece, offset]), true);
      return out;
    };
    // tokenizers' Metaspace().pre_tokenize_str("a   b  ")
    assert.deepEqual(split("a   b  ", "always"), [["▁a", -1], ["▁", 1], ["▁", 2], ["▁b", 3], ["▁", 5], ["▁", 6]]);
    assert.deepEqual(split("  ", "always"), [["▁", 0], ["▁", 1]]);
    assert.deepEqual(split("x▁▁y", "never"), [["x", 0], ["▁", 1], ["▁y", 2]]);
  });
});
