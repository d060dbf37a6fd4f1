// llama.cpp's names for byte-level BPE pre-tokenizers (`tokenizer.ggml.pre`) and the
// Hugging Face `pre_tokenizer` each name stands for (llama.cpp src/llama-vocab.cpp,
// `llm_tokenizer_bpe`: the regex list of each LLAMA_VOCAB_PRE_TYPE).
//
// llama.cpp's converter (convert_hf_to_gguf.py, get_vocab_base_pre) names a tokenizer by
// hashing the ids it gives for a test string; the hash stands for the pre-tokenizer's
// splitting rules, so lmscope names it by those rules instead: the splitting steps of the
// tokenizer.json pre_tokenizer (Split regexes, ByteLevel's built-in GPT-2 regex, Digits)
// must equal those of a known name. The GGUF reader uses the same table the other way round.

import type { Json } from "../tokenizers/tokenizer-json.js";

/** GPT-2's regex (the one ByteLevel applies when use_regex is true). */
const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
/** Llama 3 (tiktoken cl100k style): numbers in runs of up to three digits. */
const LLAMA3_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
/** Qwen 2 / 2.5 / 3: Llama 3's regex with single digits. */
const QWEN2_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const byteLevel = (useRegex: boolean): Json => ({ type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: useRegex });
const split = (pattern: string): Json => ({ type: "Split", pattern: { Regex: pattern }, behavior: "Isolated", invert: false });

/** The pre-tokenizer of each name lmscope writes and reads, as tokenizer.json spells it. */
const PRE_TOKENIZERS: Readonly<Record<string, Json>> = {
  "gpt-2": byteLevel(true),
  "llama-bpe": { type: "Sequence", pretokenizers: [split(LLAMA3_PATTERN), byteLevel(false)] },
  qwen2: { type: "Sequence", pretokenizers: [split(QWEN2_PATTERN), byteLevel(false)] },
  smollm: { type: "Sequence", pretokenizers: [{ type: "Digits", individual_digits: true }, byteLevel(true)] },
};

/** Other names llama.cpp gives the same rules (src/llama-vocab.cpp maps them to one pre-type). */
const ALIASES: Readonly<Record<string, string>> = {
  default: "gpt-2",
  gpt2: "gpt-2",
  llama3: "llama-bpe",
  "llama-v3": "llama-bpe",
  dbrx: "llama-bpe",
  "smaug-bpe": "llama-bpe",
  "deepseek-r1-qwen": "qwen2",
};

/** The names `preTokenizerOfName` knows, for error messages. */
export const KNOWN_PRE_TOKENIZER_NAMES: readonly string[] = [...Object.keys(PRE_TOKENIZERS), ...Object.keys(ALIASES)];

/** The tokenizer.json pre_tokenizer a `tokenizer.ggml.pre` name stands for, or undefined when unknown. */
export function preTokenizerOfName(name: string): Json | undefined {
  return PRE_TOKENIZERS[ALIASES[name] ?? name];
}

/**
 * The llama.cpp name of a tokenizer.json pre_tokenizer (byte-level BPE), or undefined when
 * its splitting rules match none that lmscope knows.
 */
export function nameOfPreTokenizer(preTokenizer: unknown): string | undefined {
  const steps = splittingSteps(preTokenizer);
  if (steps === undefined) return undefined;
  const key = steps.join("\n");
  return Object.keys(PRE_TOKENIZERS).find((name) => splittingSteps(PRE_TOKENIZERS[name])?.join("\n") === key);
}

/**
 * The rules by which a pre-tokenizer splits text, in order: each Split's regex (isolated
 * matches), ByteLevel's GPT-2 regex when it applies one, "digits" for single digits.
 * Undefined when a step is of another kind or would change the text (a prefix space).
 */
function splittingSteps(node: unknown): string[] | undefined {
  if (node === null || typeof node !== "object" || Array.isArray(node)) return undefined;
  const value = node as Record<string, unknown>;
  switch (value["type"]) {
    case "Sequence": {
      const parts = value["pretokenizers"];
      if (!Array.isArray(parts)) return undefined;
      const steps: string[] = [];
      for (const part of parts) {
        const inner = splittingSteps(part);
        if (inner === undefined) return undefined;
        steps.push(...inner);
      }
      return steps;
    }
    case "ByteLevel":
      if (value["add_prefix_space"] === true) return undefined;
      return value["use_regex"] === false ? [] : [`regex:${GPT2_PATTERN}`];
    case "Split": {
      const pattern = value["pattern"];
      const regex = typeof pattern === "object" && pattern !== null && !Array.isArray(pattern) ? (pattern as Record<string, unknown>)["Regex"] : undefined;
      if (typeof regex !== "string" || (value["behavior"] ?? "Isolated") !== "Isolated" || value["invert"] === true) return undefined;
      return [`regex:${regex}`];
    }
    case "Digits":
      return value["individual_digits"] === true ? ["digits"] : undefined;
    default:
      return undefined;
  }
}
