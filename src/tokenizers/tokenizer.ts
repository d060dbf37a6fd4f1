// The tokenizer contract every tokenizer family implements (byte-level BPE,
// SentencePiece-style BPE, WordPiece, llama2.c tokenizer.bin). Model code and
// the generation loop depend only on this interface.

import { InputError } from "../errors.js";

export interface EncodeOptions {
  /** Add the special tokens the tokenizer's post-processor defines (BOS, [CLS]/[SEP]). Default true. */
  addSpecialTokens?: boolean;
  /**
   * Encode the text of special tokens ("</s>", "<extra_id_0>") as plain text
   * instead of as their ids, as transformers' `split_special_tokens=True`.
   * Default false.
   */
  splitSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** Leave special tokens (BOS, EOS, [CLS], …) out of the text. Default false. */
  skipSpecialTokens?: boolean;
  /**
   * transformers' clean_up_tokenization (" ." → ".", " 's" → "'s", …). Default:
   * tokenizer_config.json `clean_up_tokenization_spaces` (false when absent).
   * Ignored by llama2.c tokenizers.
   */
  cleanUpTokenizationSpaces?: boolean;
}

/**
 * Incremental decoder for streaming generation. Feeding ids one at a time and
 * concatenating every returned piece plus `flush()` gives exactly
 * `decode(allIds)`; no returned piece ends inside a UTF-8 character.
 */
export interface StreamDecoder {
  /** Add one token id; returns the text that became complete (possibly ""). */
  push(id: number): string;
  /** Returns whatever text is still held back (incomplete bytes become U+FFFD). */
  flush(): string;
}

export interface Tokenizer {
  /** Number of ids: the largest id + 1, counting added tokens. */
  readonly vocabSize: number;
  readonly bosTokenId: number | undefined;
  readonly eosTokenId: number | undefined;
  readonly padTokenId: number | undefined;
  readonly unkTokenId: number | undefined;
  encode(text: string, options?: EncodeOptions): number[];
  decode(ids: readonly number[], options?: DecodeOptions): string;
  decodeStream(options?: DecodeOptions): StreamDecoder;
  /** The vocabulary string of an id (as stored in the file), or undefined when out of range. */
  idToToken(id: number): string | undefined;
  tokenToId(token: string): number | undefined;
}

/** The ids of one encoded sequence or sentence pair, as models take them. */
export interface Encoding {
  ids: number[];
  tokenTypeIds: number[];
  attentionMask: number[];
}

export interface TruncationOptions {
  /** Cut sequences longer than `maxLength` (a pair loses tokens from its longer part first). Default false. */
  truncation?: boolean;
  /** Length limit for truncation and for `padding: "max_length"`; default the tokenizer's model_max_length. */
  maxLength?: number;
}

export interface PairEncodeOptions extends EncodeOptions, TruncationOptions {}

export interface BatchEncodeOptions extends EncodeOptions, TruncationOptions {
  /** true / "longest": pad to the longest encoding; "max_length": pad to maxLength. Default false. */
  padding?: boolean | "longest" | "max_length";
  /** Which side padding goes on. Default "right". */
  paddingSide?: "left" | "right";
}

/** What every loaded tokenizer offers beyond the core contract. */
export interface TextTokenizer extends Tokenizer {
  /** Where the tokenizer was loaded from. */
  readonly source: string;
  /** True when encode() with special tokens starts with BOS. */
  readonly addBosToken: boolean;
  readonly modelMaxLength: number | undefined;
  /** A sentence pair with token type ids and attention mask ([CLS] A [SEP] B [SEP] for BERT). */
  encodePair(a: string, b: string, options?: PairEncodeOptions): Encoding;
  /** Many texts or pairs, truncated and padded as asked. */
  encodeBatch(inputs: readonly (string | readonly [string, string])[], options?: BatchEncodeOptions): Encoding[];
  /** Whether decode with skipSpecialTokens leaves this id out. */
  isSpecialToken(id: number): boolean;
}

/** `tokenizer`, or an InputError saying the model from `source` has none and how to give it one. */
export function requireTokenizer<T>(tokenizer: T | null, source: string): T {
  if (tokenizer === null) throw new InputError(`${source} has no tokenizer; load it with { tokenizer: "<file or folder>" }`);
  return tokenizer;
}
