// Added tokens (lstrip / rstrip / single_word / normalized), tokenizer_config.json
// special tokens and add_bos_token, and a Llama-3-shaped pipeline (Split regex +
// ByteLevel without regex, ignore_merges, Sequence post-processor).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { tokenizerFromJson, type Json } from "../../../src/tokenizers/index.js";
import { byteLevelTokenizer, corpus, sentencePieceJson } from "./fixtures.js";

const CL100K_PATTERN = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

function withAdded(tokens: { [key: string]: Json }[]): ReturnType<typeof tokenizerFromJson> {
  const json = JSON.parse(JSON.stringify(byteLevelTokenizer().json)) as { added_tokens: Json[]; model: { vocab: { [k: string]: number } } };
  let next = Object.keys(json.model.vocab).length;
  for (const t of tokens) json.added_tokens.push({ id: next++, special: false, normalized: false, lstrip: false, rstrip: false, single_word: false, ...t });
  return tokenizerFromJson(json as never);
}

describe("added tokens", () => {
  it("lstrip and rstrip absorb the whitespace beside the token", () => {
    const tok = withAdded([{ content: "<mask>", lstrip: true, rstrip: true, special: true }]);
    const mask = tok.tokenToId("<mask>")!;
    assert.deepEqual(tok.encode("the  <mask>  cat"), [...tok.encode("the"), mask, ...tok.encode("cat")]);
  });

  it("single_word tokens only match as whole words", () => {
    const tok = withAdded([{ content: "cat", single_word: true }]);
    const cat = tok.tokenToId("cat")!;
    assert.ok(tok.encode("a cat sat").includes(cat));
    assert.ok(!tok.encode("concatenate").includes(cat));
  });

  it("prefers the longest token at the leftmost position", () => {
    const tok = withAdded([{ content: "<a>" }, { content: "<a><b>" }]);
    assert.deepEqual(tok.encode("<a><b>"), [tok.tokenToId("<a><b>")!]);
  });

  it("non-special added tokens stay in decode with skipSpecialTokens", () => {
    const tok = withAdded([{ content: "[X]" }]);
    assert.equal(tok.decode(tok.encode("a[X]b"), { skipSpecialTokens: true }), "a[X]b");
  });
});

describe("tokenizer_config.json", () => {
  it("add_bos_token / add_eos_token rebuild a Llama template", () => {
    const json = sentencePieceJson();
    const both = tokenizerFromJson(json, { tokenizer_class: "LlamaTokenizerFast", bos_token: "<s>", eos_token: "</s>", add_bos_token: true, add_eos_token: true });
    const ids = both.encode("ab");
    assert.deepEqual([ids[0], ids.at(-1)], [1, 2]);
    const none = tokenizerFromJson(json, { tokenizer_class: "LlamaTokenizer", bos_token: "<s>", eos_token: "</s>", add_bos_token: false });
    assert.equal(none.encode("ab")[0], none.tokenToId("▁ab"));
    assert.equal(none.addBosToken, false);
  });

  it("names bos/eos/pad/unk by content, as strings or AddedToken objects", () => {
    const tok = tokenizerFromJson(sentencePieceJson(), { bos_token: { content: "<s>" }, eos_token: "</s>", unk_token: "<unk>", pad_token: "</s>" });
    assert.deepEqual([tok.bosTokenId, tok.eosTokenId, tok.unkTokenId, tok.padTokenId], [1, 2, 0, 2]);
  });
});

describe("Llama-3-shaped byte-level pipeline", () => {
  it("Split (Oniguruma regex) + ByteLevel without regex + ignore_merges + Sequence post-processor", () => {
    const json = JSON.parse(JSON.stringify(byteLevelTokenizer().json)) as { [key: string]: Json };
    json.pre_tokenizer = {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: CL100K_PATTERN }, behavior: "Isolated", invert: false },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    };
    (json.model as { ignore_merges: boolean }).ignore_merges = true;
    json.post_processor = {
      type: "Sequence",
      processors: [
        { type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true },
        {
          type: "TemplateProcessing",
          single: [{ SpecialToken: { id: "<|endoftext|>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
          pair: [{ SpecialToken: { id: "<|endoftext|>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { Sequence: { id: "B", type_id: 1 } }],
          special_tokens: { "<|endoftext|>": { id: "<|endoftext|>", ids: [0], tokens: ["<|endoftext|>"] } },
        },
      ],
    };
    const tok = tokenizerFromJson(json);
    for (const line of [...corpus(30, 12), "I'LL 12345 don'T\r\n\r\n  x"]) {
      const ids = tok.encode(line);
      assert.equal(ids[0], 0);
      assert.equal(tok.decode(ids, { skipSpecialTokens: true }), line);
    }
    // Digits go in groups of at most three under this pattern.
    const digits = tok.encode("1234567", { addSpecialTokens: false }).map((id) => tok.decode([id]));
    assert.ok(digits.every((d) => d.length <= 3), JSON.stringify(digits));
    assert.deepEqual(tok.encodePair("a", "b").tokenTypeIds, [0, ...tok.encode("a", { addSpecialTokens: false }).map(() => 0), ...tok.encode("b", { addSpecialTokens: false }).map(() => 1)]);
  });
});
