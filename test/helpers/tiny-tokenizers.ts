// Small tokenizers in Hugging Face's tokenizer.json form, trained on a fixed text, for
// tests that convert model folders to GGUF: byte-level BPE with GPT-2's, Qwen 2's or
// Llama 3's pre-tokenizer (as Qwen, Llama 3, SmolLM and OLMo ship them), and
// SentencePiece-style BPE with byte fallback (as Llama 2, Gemma and Phi-3 ship them:
// "▁" for spaces, <0xXX> byte pieces, a dummy prefix or not). Deterministic.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { trainByteLevelBpe } from "../../src/tokenizers/bpe-trainer.js";
import type { Json } from "../../src/tokenizers/tokenizer-json.js";

/** The training text, and strings that exercise digits, punctuation, spaces and unseen characters. */
export const TOKENIZER_TEXT = [
  "Once upon a time, there was a little girl named Lily. She liked to play outside in the sun.",
  "One day, she saw a big red ball in the park. \"Can I play with it?\" she asked her mom.",
  "The answer is 42, not 1234567 or 3.14159; isn't it? We'll see... 2024-06-01!",
  "  Indented   text\twith tabs\nand new lines\n\nand éàü accents, 日本語 and emoji 🙂.",
];
export const TOKENIZER_PROBES = [
  "Hello world",
  " leading space and trailing ",
  "Numbers: 12345 and 3.5e-7, 2024!",
  "Lily's ball isn't red; it's BLUE.",
  "tabs\tand\nnewlines\n\n  and  double  spaces",
  "ünïcödé 日本 🙂 ∑",
];

const QWEN2_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const LLAMA3_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

export type ByteLevelStyle = "gpt2" | "qwen2" | "llama3";

/** Byte-level BPE of `size` tokens (special tokens first) with the pre-tokenizer of `style`. */
export function byteLevelTokenizer(style: ByteLevelStyle, size: number, specials: readonly string[]): Json {
  const json = trainByteLevelBpe(TOKENIZER_TEXT, { vocabSize: size, minFrequency: 1, specialTokens: specials }) as { [key: string]: Json };
  if (style !== "gpt2") {
    json["pre_tokenizer"] = {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: style === "qwen2" ? QWEN2_PATTERN : LLAMA3_PATTERN }, behavior: "Isolated", invert: false },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    };
  }
  return json;
}

/**
 * SentencePiece-style BPE: <unk>, <s>, </s>, the 256 byte pieces, the text's characters,
 * then merges of the most frequent adjacent pair inside "▁"-words until `size` tokens,
 * then `extraSpecials` as added special tokens (Phi-3's <|endoftext|>, <|end|>, …).
 * `dummyPrefix`: a "▁" is put before the text (Llama 2), or not (Gemma).
 */
export function sentencePieceTokenizer(size: number, dummyPrefix: boolean, extraSpecials: readonly string[] = []): Json {
  const specials = ["<unk>", "<s>", "</s>"];
  const tokens = [...specials, ...Array.from({ length: 256 }, (_, b) => `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`)];
  const words = new Map<string, number>();
  for (const line of TOKENIZER_TEXT) {
    for (const w of line.replaceAll(" ", " ▁").split(" ")) if (w !== "") words.set(w, (words.get(w) ?? 0) + 1);
  }
  for (const ch of [...new Set([...words.keys()].flatMap((w) => Array.from(w)))].sort()) tokens.push(ch);
  const split = new Map([...words.keys()].map((w) => [w, Array.from(w)]));
  const merges: [string, string][] = [];
  while (tokens.length < size) {
    const counts = new Map<string, number>();
    for (const [w, parts] of split) {
      for (let i = 0; i + 1 < parts.length; i++) {
        const key = `${parts[i]}\u0000${parts[i + 1]}`;
        counts.set(key, (counts.get(key) ?? 0) + words.get(w)!);
      }
    }
    let best = "";
    let bestCount = 0;
    for (const [key, count] of counts) if (count > bestCount || (count === bestCount && key < best)) [best, bestCount] = [key, count];
    if (bestCount === 0) break;
    const [left, right] = best.split("\u0000") as [string, string];
    merges.push([left, right]);
    if (!tokens.includes(left + right)) tokens.push(left + right);
    for (const parts of split.values()) {
      for (let i = 0; i + 1 < parts.length; i++) if (parts[i] === left && parts[i + 1] === right) parts.splice(i, 2, left + right);
    }
  }
  const added = [...specials.map((content, id) => ({ id, content })), ...extraSpecials.map((content, i) => ({ id: tokens.length + i, content }))];
  tokens.push(...extraSpecials);
  const replace = { type: "Replace", pattern: { String: " " }, content: "▁" };
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: added.map(({ id, content }) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: dummyPrefix ? { type: "Sequence", normalizers: [{ type: "Prepend", prepend: "▁" }, replace] } : replace,
    pre_tokenizer: null,
    post_processor: {
      type: "TemplateProcessing",
      single: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
      pair: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "<s>", type_id: 1 } }, { Sequence: { id: "B", type_id: 1 } }],
      special_tokens: { "<s>": { id: "<s>", ids: [1], tokens: ["<s>"] } },
    },
    decoder: {
      type: "Sequence",
      decoders: [
        { type: "Replace", pattern: { String: "▁" }, content: " " },
        { type: "ByteFallback" },
        { type: "Fuse" },
        ...(dummyPrefix ? [{ type: "Strip", content: " ", start: 1, stop: 0 }] : []),
      ],
    },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: "<unk>",
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab: Object.fromEntries(tokens.map((t, id) => [t, id])),
      merges,
    },
  };
}

/** Writes tokenizer.json and tokenizer_config.json into `dir`. */
export async function writeTokenizerFiles(dir: string, tokenizer: Json, tokenizerConfig: Record<string, Json>): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "tokenizer.json"), JSON.stringify(tokenizer));
  await writeFile(join(dir, "tokenizer_config.json"), JSON.stringify(tokenizerConfig, null, 2));
}
