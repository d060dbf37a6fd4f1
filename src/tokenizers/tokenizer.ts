// The tokenizer contract every tokenizer family implements (byte-level BPE,
// SentencePiece-style BPE, WordPiece, llama2.c tokenizer.bin). Model code and
// the generation loop depend only on this interface.

export interface EncodeOptions {
  /** Add the special tokens the tokenizer's post-processor defines (BOS, [CLS]/[SEP]). Default true. */
  addSpecialTokens?: boolean;
}

export interface DecodeOptions {
  /** Leave special tokens (BOS, EOS, [CLS], …) out of the text. Default false. */
  skipSpecialTokens?: boolean;
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
