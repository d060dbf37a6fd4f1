// Byte-level BPE: the GPT-2 alphabet, merges by rank (short and long words
// agree with a naive reference), special tokens split out of text only when
// the file lists them, and the round trip decode(encode(s)) === s.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BYTE_TO_CHAR, byteLevelTokenBytes } from "../../../src/tokenizers/byte-level.js";
import { BpeModel } from "../../../src/tokenizers/bpe.js";
import { tokenizerFromJson } from "../../../src/tokenizers/index.js";
import { ByteLevelPreTokenizer } from "../../../src/tokenizers/pretokenizers.js";
import { byteLevelTokenizer, corpus, rng } from "./fixtures.js";

/** The textbook BPE loop: merge the lowest-ranked adjacent pair (leftmost), until none is left. */
function naiveBpe(symbols: string[], ranks: Map<string, number>): string[] {
  const word = [...symbols];
  for (;;) {
    let best = -1;
    let at = -1;
    for (let i = 0; i + 1 < word.length; i++) {
      const r = ranks.get(`${word[i]} ${word[i + 1]}`);
      if (r !== undefined && (best < 0 || r < best)) {
        best = r;
        at = i;
      }
    }
    if (at < 0) return word;
    word.splice(at, 2, word[at]! + word[at + 1]!);
  }
}

describe("byte-level alphabet", () => {
  it("maps 256 bytes to 256 distinct characters, printable ASCII to itself", () => {
    assert.equal(new Set(BYTE_TO_CHAR).size, 256);
    assert.equal(BYTE_TO_CHAR[0x41], "A");
    assert.equal(BYTE_TO_CHAR[0x20], "Ġ");
    assert.equal(BYTE_TO_CHAR[0x0a], "Ċ");
    assert.deepEqual(Array.from(byteLevelTokenBytes("ĠA")), [0x20, 0x41]);
    assert.deepEqual(Array.from(byteLevelTokenBytes("日")), [0xe6, 0x97, 0xa5], "characters outside the alphabet keep their UTF-8");
  });
});

describe("BPE merging", () => {
  const letters = ["a", "b", "c", "d"];
  const vocab = new Map<string, number>(letters.map((l, i) => [l, i]));
  const merges: [string, string][] = [];
  const random = rng(7);
  // Random merges over a 4-letter alphabet, each producing a new token.
  while (merges.length < 40) {
    const tokens = [...vocab.keys()];
    const left = tokens[Math.floor(random() * tokens.length)]!;
    const right = tokens[Math.floor(random() * tokens.length)]!;
    if (vocab.has(left + right)) continue;
    vocab.set(left + right, vocab.size);
    merges.push([left, right]);
  }
  const model = new BpeModel({ vocab, merges, file: "test" });
  const ranks = new Map(merges.map(([l, r], i) => [`${l} ${r}`, i]));

  it("agrees with the naive loop on short and long (heap) words", () => {
    for (const length of [1, 2, 5, 17, 63, 64, 65, 200, 3000]) {
      for (let trial = 0; trial < 5; trial++) {
        const word = Array.from({ length }, () => letters[Math.floor(random() * 4)]!);
        const ids: number[] = [];
        model.tokenize(word.join(""), ids);
        const expected = naiveBpe(word, ranks).map((t) => vocab.get(t)!);
        assert.deepEqual(ids, expected, `length ${length}`);
      }
    }
  });

  it("merges a long run of one letter pairwise, leftmost first", () => {
    const v = new Map([["a", 0], ["aa", 1], ["aaaa", 2]]);
    const m = new BpeModel({ vocab: v, merges: [["a", "a"], ["aa", "aa"]], file: "test" });
    for (const n of [7, 1001]) {
      const ids: number[] = [];
      m.tokenize("a".repeat(n), ids);
      const expected = naiveBpe(Array<string>(n).fill("a"), new Map([["a a", 0], ["aa aa", 1]])).map((t) => v.get(t)!);
      assert.deepEqual(ids, expected);
    }
  });

  it("honours ignore_merges, continuing_subword_prefix and byte_fallback", () => {
    const v = new Map([["<unk>", 0], ["a", 1], ["##b", 2], ["ab", 3], ["<0xC3>", 4], ["<0xA9>", 5], ["abab", 6]]);
    const prefixed = new BpeModel({ vocab: v, merges: [["a", "##b"]], continuingSubwordPrefix: "##", unkToken: "<unk>", file: "test" });
    const out: number[] = [];
    prefixed.tokenize("ab", out);
    assert.deepEqual(out, [3]);
    const ignoring = new BpeModel({ vocab: v, merges: [["a", "##b"]], continuingSubwordPrefix: "##", ignoreMerges: true, file: "test" });
    const whole: number[] = [];
    ignoring.tokenize("abab", whole);
    assert.deepEqual(whole, [6]);
    const fallback = new BpeModel({ vocab: v, merges: [], byteFallback: true, unkToken: "<unk>", fuseUnk: true, file: "test" });
    const bytes: number[] = [];
    fallback.tokenize("éxy", bytes);
    assert.deepEqual(bytes, [4, 5, 0], "é falls back to its bytes; x and y fuse into one unk");
  });
});

describe("byte-level BPE tokenizer", () => {
  const { json, tokenizer } = byteLevelTokenizer();

  it("round-trips every corpus line and random well-formed strings", () => {
    for (const line of corpus(50, 99)) assert.equal(tokenizer.decode(tokenizer.encode(line)), line);
    assert.equal(tokenizer.decode(tokenizer.encode("")), "");
  });

  it("splits special tokens out of text because added_tokens lists them", () => {
    const eot = tokenizer.tokenToId("<|endoftext|>")!;
    const ids = tokenizer.encode("the cat<|endoftext|>sat");
    assert.ok(ids.includes(eot));
    assert.equal(tokenizer.decode(ids), "the cat<|endoftext|>sat");
    assert.equal(tokenizer.decode(ids, { skipSpecialTokens: true }), "the catsat");
    assert.equal(tokenizer.isSpecialToken(eot), true);
  });

  it("does not split a special-token string that added_tokens does not list", () => {
    const copy = JSON.parse(JSON.stringify(json)) as { added_tokens: unknown[] };
    copy.added_tokens = [];
    const plain = tokenizerFromJson(copy as never);
    const eot = plain.tokenToId("<|endoftext|>")!;
    assert.ok(!plain.encode("a<|endoftext|>b").includes(eot));
    assert.equal(plain.decode(plain.encode("a<|endoftext|>b")), "a<|endoftext|>b");
  });

  it("uses Unicode White_Space for \\s: U+0085 is whitespace, U+FEFF is not", () => {
    const split = (text: string): string[] => {
      const pieces: string[] = [];
      new ByteLevelPreTokenizer(false, true).split(text, (p) => pieces.push(p));
      return pieces;
    };
    assert.deepEqual(split("x \u0085y"), ["x", " ", "\u0085", "y"]);
    assert.deepEqual(split("x \ufeffy"), ["x", " \ufeff", "y"]);
    assert.equal(tokenizer.decode(tokenizer.encode("x \u0085y \ufeffz")), "x \u0085y \ufeffz");
  });

  it("add_prefix_space puts a space before the first word", () => {
    const copy = JSON.parse(JSON.stringify(json)) as { pre_tokenizer: { add_prefix_space: boolean } };
    copy.pre_tokenizer.add_prefix_space = true;
    const spaced = tokenizerFromJson(copy as never);
    assert.deepEqual(spaced.encode("the"), tokenizer.encode(" the"));
  });
});
