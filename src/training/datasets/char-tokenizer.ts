// A character-level tokenizer (nanoGPT data/shakespeare_char/prepare.py): the
// vocabulary is the sorted set of characters of the text, one id per character
// (Unicode code point), sorted by code point as Python's sorted() does. It is
// stored as a Hugging Face tokenizer.json that any tokenizer.json reader loads
// back to the same ids: a BPE model whose vocabulary is the characters and
// which has no merges, no normalizer or pre-tokenizer (the whole text is one
// piece, split into characters), and a Fuse decoder (tokens are concatenated).
import { InputError } from "../../errors.js";
import { tokenizerFromJson, type Json } from "../../tokenizers/tokenizer-json.js";
import type { HfTokenizer } from "../../tokenizers/hf-tokenizer.js";

/** The distinct characters (code points) of text, sorted by code point. */
export function characterVocabulary(text: string): string[] {
  const seen = new Set<string>();
  for (const ch of text) seen.add(ch);
  return [...seen].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
}

/** tokenizer.json for a character vocabulary (id = index in `chars`). */
export function characterTokenizerJson(chars: readonly string[]): Json {
  const vocab: { [token: string]: Json } = Object.create(null) as { [token: string]: Json };
  chars.forEach((ch, id) => {
    if (Array.from(ch).length !== 1) throw new InputError(`character vocabulary entry ${id} is ${JSON.stringify(ch)}, not one character`);
    if (Object.hasOwn(vocab, ch)) throw new InputError(`character vocabulary lists ${JSON.stringify(ch)} twice`);
    vocab[ch] = id;
  });
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: null,
    post_processor: null,
    decoder: { type: "Fuse" },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: { ...vocab },
      merges: [],
    },
  };
}

/**
 * tokenizer_config.json to store beside it: decoding must not apply
 * transformers' clean-up of spaces before punctuation (" ." → "."), which
 * libraries otherwise default to and which would change the text.
 */
export function characterTokenizerConfig(): Json {
  return { tokenizer_class: "PreTrainedTokenizerFast", clean_up_tokenization_spaces: false };
}

/** The tokenizer of a character vocabulary, as loadTokenizer reads it from its tokenizer.json. */
export function characterTokenizer(chars: readonly string[]): HfTokenizer {
  return tokenizerFromJson(characterTokenizerJson(chars), undefined, "character vocabulary");
}

/**
 * The ids of text under a character vocabulary: what the tokenizer's encode
 * gives, computed with a table (fast on megabytes). A character outside the
 * vocabulary is an error naming it and its position.
 */
export function encodeCharacters(text: string, chars: readonly string[]): Int32Array {
  const idOf = new Map<number, number>();
  chars.forEach((ch, id) => idOf.set(ch.codePointAt(0)!, id));
  const ids = new Int32Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const codePoint = text.codePointAt(i)!;
    if (codePoint > 0xffff) i++;
    const id = idOf.get(codePoint);
    if (id === undefined) {
      throw new InputError(`character ${JSON.stringify(String.fromCodePoint(codePoint))} at position ${n} is not in the character vocabulary`);
    }
    ids[n++] = id;
  }
  return ids.slice(0, n);
}
