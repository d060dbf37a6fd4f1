// Grapheme clusters in windows (graphemes.ts) against Intl.Segmenter on the
// whole string: regional-indicator runs, emoji ZWJ sequences and modifiers,
// tag sequences, prepended marks, Indic conjuncts, combining runs longer than
// a window, Hangul jamo, CR LF and ASCII between them. (Text reaches the
// normalizers well-formed: lone surrogates are U+FFFD by then.)
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { forEachGrapheme } from "../../../src/tokenizers/graphemes.js";
import { rng } from "./fixtures.js";

const PARTS = ["a", "b", " ", "\r", "\n", "\r\n", "\u0301", "\u0301".repeat(70), "\u{1f1eb}", "\u{1f1f7}", "\u{1f468}", "\u200d", "\u{1f469}", "\u{1f3fd}", "\ufe0f", "\u1100", "\u1161", "\u11a8", "한", "\u0915", "\u094d", "\u0937", "日", "\u{10000}", "\u0600", "\u0e33", "\u{1f3f4}", "\u{e0061}"];

function clustersOf(text: string): string[] {
  const out: string[] = [];
  forEachGrapheme(text, (start, end) => out.push(text.slice(start, end)));
  return out;
}

describe("grapheme clusters", () => {
  it("match Intl.Segmenter on the whole string", () => {
    const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });
    const random = rng(17);
    for (let trial = 0; trial < 1000; trial++) {
      const text = Array.from({ length: Math.floor(random() * 300) }, () => PARTS[Math.floor(random() * PARTS.length)]!).join("");
      assert.deepEqual(clustersOf(text), Array.from(segmenter.segment(text), (s) => s.segment), JSON.stringify(text));
    }
  });

  it("keep long clusters and regional-indicator pairs across windows", () => {
    const flags = "\u{1f1eb}\u{1f1f7}".repeat(100);
    assert.equal(clustersOf(flags).length, 100);
    assert.deepEqual(clustersOf(`x${"\u0301".repeat(1000)}y`), [`x${"\u0301".repeat(1000)}`, "y"]);
    assert.deepEqual(clustersOf("a\r\nb"), ["a", "\r\n", "b"]);
  });
});
