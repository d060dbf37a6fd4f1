// The interface of a tokenization model (BPE, WordPiece): it turns one
// pre-tokenized piece into ids and maps between ids and vocabulary strings.

export interface TokenizerModel {
  /** Appends the ids of one piece of normalized, pre-tokenized text to `out`. */
  tokenize(piece: string, out: number[]): void;
  /** The same, also appending each token's [start, end) in the piece (UTF-16 units) to `spans`. */
  tokenizeWithSpans(piece: string, out: number[], spans: number[]): void;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /** Largest id + 1. */
  readonly size: number;
}

/** Builds the id → token table of a vocabulary, checking ids are non-negative integers. */
export function invertVocab(vocab: ReadonlyMap<string, number>, onBadId: (token: string, id: number) => never): string[] {
  const tokens: string[] = [];
  for (const [token, id] of vocab) {
    if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff) onBadId(token, id);
    if (tokens[id] === undefined) tokens[id] = token;
  }
  return tokens;
}
