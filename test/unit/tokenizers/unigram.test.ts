// The Unigram tokenizer and SentencePiece .model files against the committed
// fixtures (scripts/refs/make-unigram-fixtures.py): tokenizer.json gives
// huggingface/tokenizers' ids, offsets and decoded text, .model files give
// sentencepiece's ids and decoded text (Unigram with custom normalization
// rules, user-defined symbols and byte fallback; identity normalization; BPE).
// Also: how a folder's .model is found and which tokenizer classes it serves,
// special tokens, Metaspace's prepend schemes and the checks of tokenizer.json.
import assert from "node:assert/strict";
import { copyFile, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { InputError, ModelFormatError } from "../../../src/errors.js";
import { loadTokenizer, tokenizerFromJson, type Json, type TextTokenizer } from "../../../src/tokenizers/index.js";
import { fixtureLines, sentencePieceTokenizer, UNIGRAM_FIXTURES, unigramJson, unigramJsonTokenizer, utf16Offset, type FixtureModel } from "./unigram-fixtures.js";

function streamDecode(tok: TextTokenizer, ids: readonly number[], options = {}): string {
  const stream = tok.decodeStream(options);
  let text = "";
  for (const id of ids) text += stream.push(id);
  return text + stream.flush();
}

describe("Unigram from tokenizer.json", () => {
  for (const name of ["rules-unigram", "plain-unigram"] as const) {
    it(`${name}: tokenizers' ids, offsets and decoded text on every test string`, () => {
      const tok = unigramJsonTokenizer(name);
      const lines = fixtureLines(name);
      assert.ok(lines.length >= 40);
      for (const line of lines) {
        const where = JSON.stringify(line.text.slice(0, 50));
        assert.deepEqual(tok.encode(line.text), line.ids, where);
        assert.equal(tok.decode(line.ids!), line.decoded, `${where} decode`);
        assert.equal(tok.decode(line.ids!, { skipSpecialTokens: true }), line.decoded_skip_special, `${where} decode, skip special`);
        assert.equal(streamDecode(tok, line.ids!), line.decoded, `${where} stream`);
        const { ids, offsets } = tok.encodeWithOffsets(line.text);
        assert.deepEqual(ids, line.ids, `${where} with offsets`);
        assert.deepEqual(
          offsets,
          line.offsets!.map(([s, e]) => [utf16Offset(line.text, s), utf16Offset(line.text, e)]),
          `${where} offsets`,
        );
      }
    });
  }

  it("refuses malformed Unigram models and charsmaps, naming the field", () => {
    const broken = (edit: (json: { [key: string]: Json }) => void): (() => unknown) => {
      const json = unigramJson("rules-unigram");
      edit(json);
      return () => tokenizerFromJson(json, undefined, "broken/tokenizer.json");
    };
    const model = (j: { [key: string]: Json }): { [key: string]: Json } => j.model as { [key: string]: Json };
    const normalizers = (j: { [key: string]: Json }): { [key: string]: Json }[] => (j.normalizer as { normalizers: { [key: string]: Json }[] }).normalizers;
    const error = (pattern: RegExp) => (e: unknown) => e instanceof ModelFormatError && e.file === "broken/tokenizer.json" && pattern.test(e.message);
    assert.throws(broken((j) => ((model(j).vocab as Json[])[5] = ["x"])), error(/model\.vocab\[5\]: expected \[piece, score\]/));
    assert.throws(broken((j) => ((model(j).vocab as Json[])[5] = ["x", "high"])), error(/model\.vocab\[5\]\[1\]: expected a finite score/));
    assert.throws(broken((j) => ((model(j).vocab as Json[])[5] = [7, -1])), error(/model\.vocab\[5\]\[0\]: expected a string/));
    assert.throws(broken((j) => (model(j).unk_id = 100000)), error(/model\.unk_id: 100000 is not an id/));
    assert.throws(broken((j) => (model(j).unk_id = -1)), error(/model\.unk_id: expected a non-negative integer/));
    assert.throws(broken((j) => (model(j).byte_fallback = "yes")), error(/model\.byte_fallback: expected true or false/));
    assert.throws(broken((j) => (model(j).vocab = {})), error(/model\.vocab: expected an array/));
    assert.throws(broken((j) => (normalizers(j)[0]!.precompiled_charsmap = "not base64!")), error(/precompiled_charsmap: not valid base64/));
    assert.throws(broken((j) => (normalizers(j)[0]!.precompiled_charsmap = "AAAA")), error(/precompiled_charsmap: 3 bytes/));
    assert.throws(broken((j) => (normalizers(j)[0]!.precompiled_charsmap = btoa("\xff\xff\x00\x00abcdefgh"))), error(/trie size 65535 must be/));
  });

  it("without an unk_id, a character no piece covers is an InputError", () => {
    const json = unigramJson("plain-unigram");
    const model = json.model as { [key: string]: Json };
    model.unk_id = null;
    model.byte_fallback = false;
    const tok = tokenizerFromJson(json, undefined, "no-unk/tokenizer.json");
    assert.deepEqual(tok.encode("the cat"), unigramJsonTokenizer("plain-unigram").encode("the cat"));
    assert.throws(() => tok.encode("ꙮ"), (e: unknown) => e instanceof InputError && /no-unk\/tokenizer\.json.*"ꙮ".*no unk_id/.test(e.message));
  });

  it("Metaspace prepend schemes: always, first (not after a special token at the start) and never", () => {
    const withScheme = (scheme: string): TextTokenizer => {
      const json = unigramJson("rules-unigram");
      json.pre_tokenizer = { type: "Metaspace", replacement: "▁", prepend_scheme: scheme, split: true };
      json.decoder = { type: "Metaspace", replacement: "▁", prepend_scheme: scheme, split: true };
      return tokenizerFromJson(json, undefined, `${scheme}.json`);
    };
    const always = withScheme("always");
    const first = withScheme("first");
    const never = withScheme("never");
    const cat = (tok: TextTokenizer, text: string): string => tok.encode(text, { addSpecialTokens: false }).map((id) => tok.idToToken(id)).join("|");
    assert.ok(cat(always, "cat").startsWith("▁"));
    assert.equal(cat(first, "cat"), cat(always, "cat"));
    assert.ok(!cat(never, "cat").startsWith("▁"));
    // After a special token at the start, "first" no longer prepends; "always" does.
    const afterSpecial = (tok: TextTokenizer): string => tok.idToToken(tok.encode("<mask>cat", { addSpecialTokens: false })[1]!)!;
    assert.ok(afterSpecial(always).startsWith("▁"));
    assert.ok(!afterSpecial(first).startsWith("▁"));
    assert.equal(never.decode(never.encode("a cat", { addSpecialTokens: false })), "a cat");
  });

  it("split: false keeps a segment whole, so pieces may span spaces", () => {
    const json = unigramJson("plain-unigram");
    json.pre_tokenizer = { type: "Metaspace", replacement: "▁", prepend_scheme: "always", split: false };
    const whole = tokenizerFromJson(json, undefined, "whole.json");
    const split = unigramJsonTokenizer("plain-unigram");
    for (const text of ["the cat sat on the mat", "a b c"]) {
      assert.equal(whole.decode(whole.encode(text)), split.decode(split.encode(text)));
    }
  });
});

describe("SentencePiece .model files", () => {
  for (const name of ["rules-unigram", "plain-unigram", "plain-bpe"] as const satisfies readonly FixtureModel[]) {
    it(`${name}: sentencepiece's ids and decoded text on every test string`, () => {
      const tok = sentencePieceTokenizer(name);
      const unk = tok.idToToken(tok.unkTokenId!)!;
      for (const line of fixtureLines(name)) {
        const where = JSON.stringify(line.text.slice(0, 50));
        assert.deepEqual(tok.encode(line.text, { splitSpecialTokens: true }), line.spm_ids, where);
        const decoded = line.spm_decoded.replaceAll(" \u2047 ", unk);
        assert.equal(tok.decode(line.spm_ids), decoded, `${where} decode`);
        assert.equal(streamDecode(tok, line.spm_ids), decoded, `${where} stream`);
        const { ids, offsets } = tok.encodeWithOffsets(line.text, { splitSpecialTokens: true });
        assert.deepEqual(ids, line.spm_ids, `${where} with offsets`);
        assert.ok(offsets.every(([s, e]) => 0 <= s && s <= e && e <= line.text.length), `${where} offsets in range`);
      }
    });
  }

  it("cuts special tokens (control and unknown pieces) out of the text unless splitSpecialTokens", () => {
    const tok = sentencePieceTokenizer("rules-unigram");
    const eos = tok.tokenToId("</s>")!;
    const mask = tok.tokenToId("<mask>")!;
    const ids = tok.encode("cat</s>dog<mask>");
    assert.ok(ids.includes(eos) && ids.includes(mask));
    assert.deepEqual(ids.slice(0, ids.indexOf(eos)), tok.encode("cat"));
    assert.ok(!tok.encode("cat</s>dog<mask>", { splitSpecialTokens: true }).includes(eos));
    // Each segment between special tokens gets sentencepiece's dummy prefix.
    assert.equal(tok.decode(ids, { skipSpecialTokens: true }), "cat dog");
    assert.ok(tok.isSpecialToken(eos) && tok.isSpecialToken(tok.unkTokenId!));
    // User-defined symbols are never split and never normalized.
    const sep = tok.tokenToId("<sep>")!;
    assert.deepEqual(tok.encode("a<sep>b", { splitSpecialTokens: true }).filter((id) => id === sep).length, 1);
  });

  it("loadTokenizer finds tokenizer.model, spiece.model and sentencepiece.bpe.model in a folder", async () => {
    for (const name of ["tokenizer.model", "spiece.model", "sentencepiece.bpe.model"]) {
      const dir = await mkdtemp(join(tmpdir(), "lmscope-spm-"));
      await copyFile(join(UNIGRAM_FIXTURES, "plain-unigram.model"), join(dir, name));
      const tok = await loadTokenizer(dir);
      assert.deepEqual(tok.encode("the cat sat"), sentencePieceTokenizer("plain-unigram").encode("the cat sat"), name);
      assert.equal(tok.eosTokenId, 2);
    }
  });

  it("serves T5 and Llama tokenizer classes, and refuses classes that remap the file's ids", async () => {
    const dir = await mkdtemp(join(tmpdir(), "lmscope-spm-"));
    await copyFile(join(UNIGRAM_FIXTURES, "rules-unigram.model"), join(dir, "spiece.model"));
    const plain = sentencePieceTokenizer("rules-unigram");
    const size = plain.vocabSize;

    await writeFile(join(dir, "tokenizer_config.json"), JSON.stringify({ tokenizer_class: "T5Tokenizer", eos_token: "</s>", pad_token: "<pad>", unk_token: "<unk>", extra_ids: 3 }));
    const t5 = await loadTokenizer(dir);
    assert.deepEqual(t5.encode("the cat"), [...plain.encode("the cat"), 1]);
    assert.equal(t5.tokenToId("<extra_id_0>"), size + 2);
    assert.equal(t5.tokenToId("<extra_id_2>"), size);
    assert.deepEqual(t5.encode("<extra_id_0> cat", { addSpecialTokens: false }), [size + 2, ...plain.encode("cat")]);
    assert.equal(t5.vocabSize, size + 3);
    assert.deepEqual(t5.encodePair("a", "b").ids, [...plain.encode("a"), 1, ...plain.encode("b"), 1]);

    await writeFile(join(dir, "tokenizer_config.json"), JSON.stringify({ tokenizer_class: "LlamaTokenizer", bos_token: "</s>", add_eos_token: true }));
    assert.deepEqual((await loadTokenizer(dir)).encode("cat"), [1, ...plain.encode("cat"), 1]);

    await writeFile(join(dir, "tokenizer_config.json"), JSON.stringify({ tokenizer_class: "XLMRobertaTokenizer" }));
    await assert.rejects(loadTokenizer(dir), (e: unknown) => e instanceof ModelFormatError && /"XLMRobertaTokenizer".*tokenizer\.json/.test(e.message));
    await writeFile(join(dir, "tokenizer_config.json"), JSON.stringify({ tokenizer_class: "T5Tokenizer", legacy: false }));
    await assert.rejects(loadTokenizer(dir), (e: unknown) => e instanceof ModelFormatError && /legacy: false/.test(e.message));
  });

  it("a .model and its tokenizer.json agree wherever the two references agree", () => {
    for (const name of ["rules-unigram", "plain-unigram"] as const) {
      const model = sentencePieceTokenizer(name);
      const json = unigramJsonTokenizer(name);
      for (const text of ["the cat sat on the mat", "über naïve café", "日本 語 東京", "42 and 3.14"]) {
        const fromJson = json.encode(text, { addSpecialTokens: false });
        assert.deepEqual(model.encode(text), fromJson, `${name} ${text}`);
      }
    }
  });
});
