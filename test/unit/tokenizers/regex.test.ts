// Oniguruma → JavaScript regex translation for tokenizer.json patterns.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileOnigurumaPattern, onigurumaToJsSource } from "../../../src/tokenizers/regex.js";

const matches = (pattern: string, text: string): string[] => Array.from(text.matchAll(compileOnigurumaPattern(pattern)), (m) => m[0]);

describe("Oniguruma pattern translation", () => {
  it("turns \\s and \\S into Unicode White_Space, inside and outside classes", () => {
    assert.deepEqual(matches("\\s+", "a\u0085\u00a0b\ufeffc"), ["\u0085\u00a0"]);
    assert.deepEqual(matches("[^\\s\\p{L}]+", "a,\u0085;\ufeff"), [",", ";\ufeff"]);
    assert.deepEqual(matches("\\S+", "ab\u0085cd"), ["ab", "cd"]);
  });

  it("expands case-insensitive groups (?i:…)", () => {
    assert.deepEqual(matches("(?i:'s|'ll)", "'S 'Ll 's"), ["'S", "'Ll", "'s"]);
    assert.equal(onigurumaToJsSource("(?i:a)b"), "(?:[aA])b");
  });

  it("keeps \\p{…}, counted repetition and lookahead", () => {
    assert.deepEqual(matches("\\p{N}{1,3}", "12345"), ["123", "45"]);
    assert.deepEqual(matches("\\s+(?!\\S)", "a   b"), ["  "]);
  });

  it("rewrites identity escapes that u-mode rejects", () => {
    assert.deepEqual(matches("\\'\\#", "x'#"), ["'#"]);
  });

  it("rejects what it cannot translate, naming it", () => {
    assert.throws(() => compileOnigurumaPattern("a++"), /possessive/);
    assert.throws(() => compileOnigurumaPattern("(?>a)"), /atomic/);
  });
});
