// tokenizer.json loading: malformed files and unsupported component types
// fail with ModelFormatError naming the file and the type; loadTokenizer finds
// each layout in a folder.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ModelFormatError } from "../../../src/errors.js";
import { loadTokenizer, tokenizerFromJson, type Json } from "../../../src/tokenizers/index.js";
import { byteLevelTokenizer, corpus, llama2cPieces, llama2cTokenizerBin, sentencePieceJson, wordPieceJson } from "./fixtures.js";

function broken(edit: (json: { [key: string]: Json }) => void): () => unknown {
  const json = sentencePieceJson();
  edit(json);
  return () => tokenizerFromJson(json, undefined, "broken/tokenizer.json");
}

const formatError = (pattern: RegExp) => (e: unknown) => e instanceof ModelFormatError && e.file === "broken/tokenizer.json" && pattern.test(e.message);

describe("tokenizer.json checks", () => {
  it("names unsupported component types", () => {
    assert.throws(broken((j) => ((j.model as { type: string }).type = "WordLevel")), formatError(/unsupported model type "WordLevel"/));
    assert.throws(broken((j) => (j.normalizer = { type: "Nmt" })), formatError(/normalizer: unsupported normalizer type "Nmt"/));
    assert.throws(broken((j) => (j.pre_tokenizer = { type: "UnicodeScripts" })), formatError(/unsupported pre_tokenizer type "UnicodeScripts"/));
    assert.throws(broken((j) => (j.decoder = { type: "CTC" })), formatError(/unsupported decoder type "CTC"/));
    assert.throws(broken((j) => (j.post_processor = { type: "Magic" })), formatError(/unsupported post_processor type "Magic"/));
  });

  it("reports inconsistent vocabularies and merges", () => {
    assert.throws(broken((j) => ((j.model as { merges: Json[] }).merges = ["x y"])), formatError(/merge 0 .*"x" is not in the vocab/));
    assert.throws(broken((j) => ((j.model as { vocab: { [k: string]: Json } }).vocab.a = -4)), formatError(/model\.vocab\["a"\]/));
    assert.throws(broken((j) => ((j.model as { unk_token: string }).unk_token = "<nope>")), formatError(/unk_token "<nope>" is not in the vocab/));
    assert.throws(broken((j) => ((j.model as { merges: Json[] }).merges = [42])), formatError(/merges\[0\]/));
    assert.throws(broken((j) => (j.added_tokens = [{ content: "x" }])), formatError(/added_tokens\[0\]\.id/));
    assert.throws(broken((j) => (j.pre_tokenizer = { type: "Split", pattern: { Regex: "a++" }, behavior: "Isolated" })), formatError(/cannot use the regex.*possessive/));
    assert.throws(broken((j) => delete j.model), formatError(/model: missing/));
    assert.throws(() => tokenizerFromJson([] as Json, undefined, "broken/tokenizer.json"), formatError(/expected an object/));
  });

  it("rejects a vocab that gives one id to two tokens, naming both (BPE and WordPiece)", () => {
    assert.throws(
      broken((j) => {
        const vocab = (j.model as { vocab: { [k: string]: number } }).vocab;
        vocab["zz"] = vocab["a"]!;
      }),
      formatError(/BPE vocab entries "a" and "zz" both have id \d+/),
    );
    const wordPiece = wordPieceJson();
    const vocab = (wordPiece.model as { vocab: { [k: string]: number } }).vocab;
    vocab["##zz"] = vocab["the"]!;
    assert.throws(() => tokenizerFromJson(wordPiece, undefined, "broken/tokenizer.json"), formatError(/WordPiece vocab entries "the" and "##zz" both have id/));
  });

  it("rejects ids far past the vocabulary, in the vocab or in added_tokens, naming the token", () => {
    assert.throws(broken((j) => ((j.model as { vocab: { [k: string]: number } }).vocab["far"] = 1e9)), formatError(/vocab entry "far" has id 1000000000, far past/));
    const added = (id: number) => broken((j) => (j.added_tokens = [...(j.added_tokens as Json[]), { id, content: "<|far|>", special: true }]));
    assert.throws(added(2 ** 32 - 1), formatError(/added token "<\|far\|>" has id 4294967295, far past the vocabulary/));
    assert.throws(added(1e6), formatError(/added token "<\|far\|>" has id 1000000/));
    // Just past the vocabulary (the usual place of added tokens) is fine.
    const size = tokenizerFromJson(sentencePieceJson(), undefined, "ok/tokenizer.json").vocabSize;
    assert.equal((added(size + 3)() as { vocabSize: number }).vocabSize, size + 4);
  });

  it("rejects tokenizer files that are not UTF-8 or not files, naming them", async () => {
    const dir = await mkdtemp(join(tmpdir(), "lmscope-tok-"));
    await writeFile(join(dir, "tokenizer.json"), new Uint8Array([0x7b, 0xff, 0x7d]));
    await assert.rejects(loadTokenizer(dir), (e: unknown) => e instanceof ModelFormatError && /tokenizer\.json: is not valid UTF-8/.test(e.message));
    const nested = await mkdtemp(join(tmpdir(), "lmscope-tok-"));
    await mkdir(join(nested, "vocab.txt"));
    await assert.rejects(loadTokenizer(nested), (e: unknown) => e instanceof ModelFormatError && /vocab\.txt: is not a regular file/.test(e.message));
  });

  it("reports unreadable files with their path", async () => {
    const dir = await mkdtemp(join(tmpdir(), "lmscope-tok-"));
    await writeFile(join(dir, "tokenizer.json"), "{ not json");
    await assert.rejects(loadTokenizer(dir), (e: unknown) => e instanceof ModelFormatError && e.message.includes(join(dir, "tokenizer.json")));
    await assert.rejects(loadTokenizer(join(dir, "missing")), ModelFormatError);
    const empty = await mkdtemp(join(tmpdir(), "lmscope-tok-"));
    await assert.rejects(loadTokenizer(empty), /no tokenizer found/);
  });
});

describe("loadTokenizer layouts", () => {
  it("loads tokenizer.json, vocab.json + merges.txt, vocab.txt and tokenizer.bin", async () => {
    const { json, tokenizer } = byteLevelTokenizer();
    const text = corpus(5, 3).join("");
    const jsonDir = await mkdtemp(join(tmpdir(), "lmscope-tok-"));
    await writeFile(join(jsonDir, "tokenizer.json"), JSON.stringify(json));
    assert.deepEqual((await loadTokenizer(jsonDir)).encode(text), tokenizer.encode(text));

    const model = (json as { model: { vocab: { [k: string]: number }; merges: [string, string][] } }).model;
    const classic = await mkdtemp(join(tmpdir(), "lmscope-tok-"));
    await writeFile(join(classic, "vocab.json"), JSON.stringify(model.vocab));
    await writeFile(join(classic, "merges.txt"), `#version: 0.2\n${model.merges.map((m) => m.join(" ")).join("\n")}\n`);
    await writeFile(join(classic, "tokenizer_config.json"), JSON.stringify({ eos_token: "<|endoftext|>", bos_token: "<|endoftext|>" }));
    const fromClassic = await loadTokenizer(classic);
    assert.deepEqual(fromClassic.encode(`${text}<|endoftext|>`), tokenizer.encode(`${text}<|endoftext|>`));
    assert.equal(fromClassic.eosTokenId, tokenizer.eosTokenId);

    const bert = await mkdtemp(join(tmpdir(), "lmscope-tok-"));
    const vocab = (wordPieceJson().model as { vocab: { [k: string]: number } }).vocab;
    const byId = Object.entries(vocab).sort((a, b) => a[1] - b[1]).map(([token]) => token);
    await writeFile(join(bert, "vocab.txt"), `${byId.join("\n")}\n`);
    const fromTxt = await loadTokenizer(bert);
    const fromJson = tokenizerFromJson(wordPieceJson());
    assert.deepEqual(fromTxt.encodePair("Hello, world!", "the cat"), fromJson.encodePair("Hello, world!", "the cat"));
    assert.equal(fromTxt.padTokenId, 0);

    const llama = await mkdtemp(join(tmpdir(), "lmscope-tok-"));
    await writeFile(join(llama, "tok512.bin"), llama2cTokenizerBin(llama2cPieces()));
    assert.equal((await loadTokenizer(llama)).decode((await loadTokenizer(join(llama, "tok512.bin"))).encode("the cab"), { skipSpecialTokens: true }), "the cab");
  });
});
