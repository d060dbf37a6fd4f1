// The tokenizer a Hugging Face folder carries, written as GGUF metadata the way llama.cpp's
// converter writes it, and read back by lmscope's GGUF tokenizer: byte-level BPE ("gpt2")
// with the pre-tokenizer's llama.cpp name, SentencePiece-style BPE ("llama") with or without
// a dummy prefix, the token list padded to vocab_size, special ids and flags, chat
// templates; the ids the GGUF tokenizer gives equal the ones of the folder's tokenizer.json.
import assert from "node:assert/strict";
import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ModelFormatError } from "../../../src/errors.js";
import { modelToGguf } from "../../../src/io/gguf-convert.js";
import type { GgufValue } from "../../../src/io/gguf.js";
import { readGguf, writeGguf } from "../../../src/io/gguf.js";
import { loadGgufDecoder } from "../../../src/io/gguf-model.js";
import { tokenizerFromGguf } from "../../../src/io/gguf-tokenizer.js";
import type { JsonObject } from "../../../src/models/config-reader.js";
import { loadTokenizer } from "../../../src/tokenizers/load.js";
import { parseSentencePieceModel } from "../../../src/tokenizers/sentencepiece-model.js";
import type { Json } from "../../../src/tokenizers/tokenizer-json.js";
import { FAMILY_CONFIGS } from "../../helpers/family-configs.js";
import { writeFamilyFolder } from "../../helpers/family-folders.js";
import { TEST_FIXTURES } from "../../helpers/paths.js";
import { readJson } from "../../helpers/reference.js";
import { TOKENIZER_PROBES, byteLevelTokenizer, sentencePieceTokenizer, writeTokenizerFiles, type ByteLevelStyle } from "../../helpers/tiny-tokenizers.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "gguf-hf-vocab-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const VOCAB = 384;
const CHAT_TEMPLATE = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}";

async function folder(name: string, modelType: string, tokenizer: Json, tokenizerConfig: Record<string, Json>, extra: JsonObject = {}): Promise<string> {
  const path = join(dir, name);
  const config = { ...FAMILY_CONFIGS[modelType]!, vocab_size: VOCAB, ...extra };
  if (modelType === "qwen2") for (const k of ["use_sliding_window", "sliding_window", "max_window_layers"]) delete (config as Record<string, unknown>)[k];
  await writeFamilyFolder(path, config, 3);
  await writeTokenizerFiles(path, tokenizer, tokenizerConfig);
  return path;
}

async function metadataOf(source: string): Promise<Map<string, GgufValue>> {
  return (await modelToGguf(source, "f32")).metadata;
}

const value = (metadata: Map<string, GgufValue>, key: string): unknown => metadata.get(key)?.value;

/** The GGUF tokenizer encodes and decodes every probe as the folder's tokenizer.json does. */
async function assertSameTokenizer(source: string, metadata: Map<string, GgufValue>): Promise<void> {
  const hf = await loadTokenizer(source);
  const gguf = tokenizerFromGguf(metadata, `${source}.gguf`);
  for (const text of TOKENIZER_PROBES) {
    for (const addSpecialTokens of [false, true]) {
      assert.deepEqual(gguf.encode(text, { addSpecialTokens }), hf.encode(text, { addSpecialTokens }), `${JSON.stringify(text)} (special tokens ${addSpecialTokens})`);
    }
    const ids = hf.encode(text, { addSpecialTokens: false });
    assert.equal(gguf.decode(ids), hf.decode(ids), `decode of ${JSON.stringify(text)}`);
  }
}

describe("byte-level BPE tokenizers (gpt2)", () => {
  it("Qwen 2 style: pre-tokenizer qwen2, tokens padded to vocab_size, special ids from tokenizer_config then config.json, the chat template", async () => {
    const tokenizer = byteLevelTokenizer("qwen2", 350, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]);
    const source = await folder("qwen2-bpe", "qwen2", tokenizer, {
      bos_token: null, eos_token: "<|im_end|>", pad_token: "<|endoftext|>", add_bos_token: false, chat_template: CHAT_TEMPLATE,
    });
    const metadata = await metadataOf(source);
    assert.equal(value(metadata, "tokenizer.ggml.model"), "gpt2");
    assert.equal(value(metadata, "tokenizer.ggml.pre"), "qwen2");
    const tokens = value(metadata, "tokenizer.ggml.tokens") as string[];
    const types = value(metadata, "tokenizer.ggml.token_type") as number[];
    assert.equal(tokens.length, VOCAB);
    assert.deepEqual([tokens[0], types[0], tokens[2], types[2]], ["<|endoftext|>", 3, "<|im_end|>", 3]);
    assert.deepEqual([tokens[VOCAB - 1], types[VOCAB - 1]], [`[PAD${VOCAB - 1}]`, 5]);
    assert.equal((value(metadata, "tokenizer.ggml.merges") as string[]).length, (tokenizer as { model: { merges: unknown[] } }).model.merges.length);
    assert.equal(value(metadata, "tokenizer.ggml.eos_token_id"), 2);
    assert.equal(value(metadata, "tokenizer.ggml.padding_token_id"), 0);
    assert.equal(value(metadata, "tokenizer.ggml.bos_token_id"), 1, "config.json's bos_token_id when tokenizer_config names none");
    assert.equal(value(metadata, "tokenizer.ggml.add_bos_token"), false);
    assert.equal(value(metadata, "tokenizer.chat_template"), CHAT_TEMPLATE);
    assert.equal(metadata.has("tokenizer.ggml.scores"), false);
    await assertSameTokenizer(source, metadata);

    const path = join(dir, "qwen2-bpe.gguf");
    await writeGguf(path, await modelToGguf(source, "q8_0"));
    const loaded = await loadGgufDecoder(path);
    assert.ok(loaded.tokenizer !== null);
    assert.equal(loaded.tokenizerConfig?.["chat_template"], CHAT_TEMPLATE);
  });

  for (const [style, pre] of [["gpt2", "gpt-2"], ["llama3", "llama-bpe"]] as const) {
    it(`${style} style: pre-tokenizer ${pre}`, async () => {
      const source = await folder(`llama-${style}`, "llama", byteLevelTokenizer(style as ByteLevelStyle, 330, ["<|endoftext|>"]), { eos_token: "<|endoftext|>" }, { rope_scaling: null });
      const metadata = await metadataOf(source);
      assert.equal(value(metadata, "tokenizer.ggml.pre"), pre);
      await assertSameTokenizer(source, metadata);
    });
  }

  it("a pre-tokenizer llama.cpp has no name for, an id past vocab_size and a non-BPE model are refused, naming tokenizer.json", async () => {
    const odd = byteLevelTokenizer("gpt2", 300, []) as { [key: string]: Json };
    odd["pre_tokenizer"] = { type: "Sequence", pretokenizers: [{ type: "Whitespace" }, { type: "ByteLevel", add_prefix_space: false, use_regex: false }] };
    const oddSource = await folder("odd-pre", "qwen3", odd, {});
    await assert.rejects(metadataOf(oddSource), (e: unknown) => e instanceof ModelFormatError && /tokenizer\.json: its pre_tokenizer .* matches none of llama\.cpp's pre-tokenizers that lmscope writes \(gpt-2, llama-bpe, qwen2, smollm/.test(e.message));
    const big = await folder("too-big", "qwen3", byteLevelTokenizer("qwen2", 380, []), {}, { vocab_size: 300 });
    await assert.rejects(metadataOf(big), (e: unknown) => e instanceof ModelFormatError && /tokenizer\.json: model\.vocab: token .* has id 3\d\d, past config\.json's vocab_size 300/.test(e.message));
    const unigram = await folder("unigram", "qwen3", { version: "1.0", model: { type: "Unigram", vocab: [["a", 0]] } }, {});
    await assert.rejects(metadataOf(unigram), (e: unknown) => e instanceof ModelFormatError && /tokenizer\.json: only BPE tokenizers can be written to GGUF \(got "Unigram"\)/.test(e.message));
  });
});

describe("SentencePiece-style tokenizers (llama)", () => {
  it("Gemma style (no dummy prefix): add_space_prefix false, scores, token types, BOS added by the template", async () => {
    const source = await folder("gemma2-spm", "gemma2", sentencePieceTokenizer(360, false), { bos_token: "<s>", eos_token: "</s>", unk_token: "<unk>" });
    const metadata = await metadataOf(source);
    assert.equal(value(metadata, "tokenizer.ggml.model"), "llama");
    assert.equal(value(metadata, "tokenizer.ggml.pre"), "default");
    assert.equal(value(metadata, "tokenizer.ggml.add_space_prefix"), false);
    const types = value(metadata, "tokenizer.ggml.token_type") as number[];
    const scores = value(metadata, "tokenizer.ggml.scores") as number[];
    assert.deepEqual(types.slice(0, 4), [2, 3, 3, 6]);
    assert.equal(types[VOCAB - 1], 5);
    assert.equal(scores.length, VOCAB);
    assert.deepEqual([value(metadata, "tokenizer.ggml.bos_token_id"), value(metadata, "tokenizer.ggml.eos_token_id"), value(metadata, "tokenizer.ggml.unknown_token_id")], [1, 2, 0]);
    assert.equal(value(metadata, "tokenizer.ggml.add_bos_token"), true);
    await assertSameTokenizer(source, metadata);
  });

  it("Llama 2 style (dummy prefix): llama.cpp's default add_space_prefix, same ids as tokenizer.json", async () => {
    const source = await folder("llama-spm", "llama", sentencePieceTokenizer(360, true), { bos_token: "<s>", eos_token: "</s>", unk_token: "<unk>", add_bos_token: true }, { rope_scaling: null });
    const metadata = await metadataOf(source);
    assert.equal(metadata.has("tokenizer.ggml.add_space_prefix"), false);
    await assertSameTokenizer(source, metadata);
  });
});

describe("tokenizer.model (SentencePiece)", () => {
  it("pieces, scores and types as sentencepiece reports them, padded to vocab_size; encodes as sentencepiece does", async () => {
    const model = parseSentencePieceModel(new Uint8Array(await readFile(join(TEST_FIXTURES, "unigram/plain-bpe.model"))), "plain-bpe.model");
    const source = join(dir, "llama-sentencepiece");
    await writeFamilyFolder(source, { ...FAMILY_CONFIGS["llama"]!, rope_scaling: null, vocab_size: model.pieces.length + 3 }, 3);
    await copyFile(join(TEST_FIXTURES, "unigram/plain-bpe.model"), join(source, "tokenizer.model"));
    const metadata = await metadataOf(source);
    assert.equal(value(metadata, "tokenizer.ggml.model"), "llama");
    const tokens = value(metadata, "tokenizer.ggml.tokens") as string[];
    const scores = value(metadata, "tokenizer.ggml.scores") as number[];
    const types = value(metadata, "tokenizer.ggml.token_type") as number[];
    assert.deepEqual(tokens.slice(0, model.pieces.length), model.pieces.map((p) => p.piece));
    assert.deepEqual(scores.slice(0, model.pieces.length), model.pieces.map((p) => p.score));
    const TYPES = { normal: 1, unknown: 2, control: 3, user: 1, unused: 5, byte: 6 } as const;
    assert.deepEqual(types.slice(0, model.pieces.length), model.pieces.map((p) => TYPES[p.kind]));
    assert.deepEqual(tokens.slice(model.pieces.length), [0, 1, 2].map((i) => `[PAD${model.pieces.length + i}]`));
    assert.deepEqual([value(metadata, "tokenizer.ggml.bos_token_id"), value(metadata, "tokenizer.ggml.eos_token_id")], [1, 2], "config.json's ids");
    const tokenizer = tokenizerFromGguf(metadata, "llama-sentencepiece.gguf");
    // Control tokens written in the text are special to llama.cpp (and lmscope's GGUF tokenizer), plain text to sentencepiece.
    const lines = readJson<Record<string, { text: string; spm_ids: number[] }[]>>(join(TEST_FIXTURES, "unigram/expected.json"))["plain-bpe"]!.filter((l) => !/<\/?s>|<unk>/.test(l.text));
    assert.ok(lines.length >= 30);
    for (const line of lines) assert.deepEqual(tokenizer.encode(line.text, { addSpecialTokens: false }), line.spm_ids, JSON.stringify(line.text));
  });
});

describe("special tokens and templates", () => {
  it("named chat templates: the default and tokenizer.chat_template.<name>, listed in tokenizer.chat_templates", async () => {
    const source = await folder("templates", "qwen3", byteLevelTokenizer("qwen2", 300, ["<|im_end|>"]), {
      eos_token: "<|im_end|>",
      chat_template: [{ name: "default", template: CHAT_TEMPLATE }, { name: "tool use", template: "{{ tools }}" }],
    });
    const metadata = await metadataOf(source);
    assert.equal(value(metadata, "tokenizer.chat_template"), CHAT_TEMPLATE);
    assert.equal(value(metadata, "tokenizer.chat_template.tool_use"), "{{ tools }}");
    assert.deepEqual(value(metadata, "tokenizer.chat_templates"), ["tool_use"]);
  });

  it("a chat_template.jinja beside tokenizer_config.json is the template", async () => {
    const source = await folder("jinja", "qwen3", byteLevelTokenizer("qwen2", 300, ["<|im_end|>"]), { eos_token: "<|im_end|>" });
    await writeFile(join(source, "chat_template.jinja"), CHAT_TEMPLATE);
    assert.equal(value(await metadataOf(source), "tokenizer.chat_template"), CHAT_TEMPLATE);
  });

  it("llama.cpp's Llama rule: a vocabulary of 49152 (Granite, SmolLM) adds no BOS", async () => {
    const source = await folder("granite-49152", "granite", sentencePieceTokenizer(360, true), { bos_token: "<s>", add_bos_token: true }, { vocab_size: 49152 });
    const file = join(dir, "granite-49152.gguf");
    await writeGguf(file, await modelToGguf(source, "f32"));
    assert.equal((await readGguf(file)).metadata.get("tokenizer.ggml.add_bos_token")?.value, false);
  });
});
