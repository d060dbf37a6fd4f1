// Small tokenizers built in memory for the unit tests (no files from ../shared):
// a byte-level BPE trained on a generated corpus, a SentencePiece-style BPE
// with byte fallback shaped like Llama 2's tokenizer.json, a BERT WordPiece
// and a llama2.c tokenizer.bin image.
import { tokenizerFromJson, trainByteLevelBpe, type HfTokenizer, type Json } from "../../../src/tokenizers/index.js";
import { BYTE_TO_CHAR } from "../../../src/tokenizers/byte-level.js";
import { seededRandom } from "../../helpers/random.js";

/** Deterministic pseudo-random numbers (the test helpers' mulberry32). */
export const rng = seededRandom;

const WORDS = ["the", "cat", "sat", "on", "mat", "and", "a", "dog", "ran", "quickly", "über", "naïve", "café", "日本", "語", "🙂", "don't", "it's", "42", "3.14", "hello", "world"];

/** A generated corpus of word salad with punctuation, digits, accents, CJK and emoji. */
export function corpus(lines: number, seed = 1): string[] {
  const random = rng(seed);
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const n = 3 + Math.floor(random() * 10);
    const words = Array.from({ length: n }, () => WORDS[Math.floor(random() * WORDS.length)]!);
    out.push(`${words.join(random() < 0.2 ? "  " : " ")}${random() < 0.5 ? "." : "!\n"}`);
  }
  return out;
}

let byteLevel: { json: Json; tokenizer: HfTokenizer } | undefined;

/** Byte-level BPE (GPT-2 style) with vocabulary 400 and special token <|endoftext|>. */
export function byteLevelTokenizer(): { json: Json; tokenizer: HfTokenizer } {
  if (byteLevel === undefined) {
    const json = trainByteLevelBpe(corpus(300), { vocabSize: 400, specialTokens: ["<|endoftext|>"] });
    byteLevel = { json, tokenizer: tokenizerFromJson(json, { bos_token: "<|endoftext|>", eos_token: "<|endoftext|>" }) };
  }
  return byteLevel;
}

/** A SentencePiece-style tokenizer.json in the shape of Llama 2 / TinyStories (Prepend + Replace, byte fallback). */
export function sentencePieceJson(): { [key: string]: Json } {
  const vocab: { [token: string]: number } = { "<unk>": 0, "<s>": 1, "</s>": 2 };
  for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`] = 3 + b;
  const pieces = ["▁", "a", "b", "c", "t", "h", "e", "o", "n", "é", "▁a", "ab", "▁ab", "th", "▁th", "▁the", "he", "on", "▁on", "▁c"];
  for (const p of pieces) vocab[p] = Object.keys(vocab).length;
  const merges = ["▁ a", "a b", "▁a b", "t h", "▁ th", "▁th e", "h e", "o n", "▁ on", "▁ c"];
  return {
    version: "1.0",
    added_tokens: [
      { id: 0, content: "<unk>", special: true, normalized: false, lstrip: false, rstrip: false, single_word: false },
      { id: 1, content: "<s>", special: true, normalized: false, lstrip: false, rstrip: false, single_word: false },
      { id: 2, content: "</s>", special: true, normalized: false, lstrip: false, rstrip: false, single_word: false },
    ],
    normalizer: { type: "Sequence", normalizers: [{ type: "Prepend", prepend: "▁" }, { type: "Replace", pattern: { String: " " }, content: "▁" }] },
    pre_tokenizer: null,
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
      pair: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "<s>", type_id: 1 } }, { Sequence: { id: "B", type_id: 1 } }],
      special_tokens: { "<s>": { id: "<s>", ids: [1], tokens: ["<s>"] } },
    },
    decoder: {
      type: "Sequence",
      decoders: [{ type: "Replace", pattern: { String: "▁" }, content: " " }, { type: "ByteFallback" }, { type: "Fuse" }, { type: "Strip", content: " ", start: 1, stop: 0 }],
    },
    model: { type: "BPE", dropout: null, unk_token: "<unk>", fuse_unk: true, byte_fallback: true, vocab, merges },
  };
}

export function sentencePieceTokenizer(): HfTokenizer {
  return tokenizerFromJson(sentencePieceJson(), { bos_token: "<s>", eos_token: "</s>", unk_token: "<unk>", pad_token: null });
}

/** A BERT-style WordPiece tokenizer.json (uncased). */
export function wordPieceJson(): { [key: string]: Json } {
  const tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
  const chars = "abcdefghijklmnopqrstuvwxyz0123456789.,!?'-日本";
  for (const c of chars) tokens.push(c);
  for (const c of "abcdefghijklmnopqrstuvwxyz") tokens.push(`##${c}`);
  tokens.push("the", "cat", "sat", "hell", "##o", "world", "##ing", "run", "don", "cafe", "##s", "it");
  const vocab: { [token: string]: number } = {};
  for (const t of tokens) if (!(t in vocab)) vocab[t] = Object.keys(vocab).length;
  const special = (id: number, content: string): Json => ({ id, content, special: true, normalized: false, lstrip: false, rstrip: false, single_word: false });
  return {
    version: "1.0",
    added_tokens: [special(0, "[PAD]"), special(1, "[UNK]"), special(2, "[CLS]"), special(3, "[SEP]"), special(4, "[MASK]")],
    normalizer: { type: "BertNormalizer", clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "[CLS]", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "[SEP]", type_id: 0 } }],
      pair: [
        { SpecialToken: { id: "[CLS]", type_id: 0 } },
        { Sequence: { id: "A", type_id: 0 } },
        { SpecialToken: { id: "[SEP]", type_id: 0 } },
        { Sequence: { id: "B", type_id: 1 } },
        { SpecialToken: { id: "[SEP]", type_id: 1 } },
      ],
      special_tokens: { "[CLS]": { id: "[CLS]", ids: [2], tokens: ["[CLS]"] }, "[SEP]": { id: "[SEP]", ids: [3], tokens: ["[SEP]"] } },
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: { type: "WordPiece", unk_token: "[UNK]", continuing_subword_prefix: "##", max_input_chars_per_word: 20, vocab },
  };
}

export function wordPieceTokenizer(): HfTokenizer {
  return tokenizerFromJson(wordPieceJson(), { pad_token: "[PAD]", unk_token: "[UNK]", bos_token: null, eos_token: null, clean_up_tokenization_spaces: true, model_max_length: 32 });
}

/** The bytes of a llama2.c tokenizer.bin holding `pieces` (strings, "▁" already a space) with scores. */
export function llama2cTokenizerBin(pieces: readonly (readonly [string, number])[]): Uint8Array {
  const encoded = pieces.map(([p, score]) => [new TextEncoder().encode(p), score] as const);
  const maxLength = Math.max(...encoded.map(([b]) => b.length));
  const size = 4 + encoded.reduce((n, [b]) => n + 8 + b.length, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, maxLength, true);
  let at = 4;
  for (const [bytes, score] of encoded) {
    view.setFloat32(at, score, true);
    view.setInt32(at + 4, bytes.length, true);
    out.set(bytes, at + 8);
    at += 8 + bytes.length;
  }
  return out;
}

/** A llama2.c-style vocabulary: <unk>, BOS, EOS, 256 byte pieces, then merged pieces scored by rank. */
export function llama2cPieces(): [string, number][] {
  const pieces: [string, number][] = [["<unk>", 0], ["\n<s>\n", 0], ["\n</s>\n", 0]];
  for (let b = 0; b < 256; b++) pieces.push([`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`, 0]);
  const merged = [" ", "a", "b", "c", "t", "h", "e", " a", "ab", " ab", "th", " th", " the", "é"];
  merged.forEach((p, i) => pieces.push([p, -i]));
  return pieces;
}

export { BYTE_TO_CHAR };
