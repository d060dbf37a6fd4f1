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

/**
 * The largest id + 1 a vocabulary of `tokenCount` tokens may use. Ids may leave
 * holes (padded or pruned vocabularies) but not run far past the tokens there
 * are: an id of 10⁹ in a file of a few thousand tokens is a broken or hostile
 * file, and would size every table indexed by id.
 */
export function idLimit(tokenCount: number): number {
  return 2 * tokenCount + 1024;
}

/**
 * Builds the id → token table of a vocabulary. `fail` receives what is wrong: an id
 * that is not a non-negative integer, an id past idLimit, or one id given to two tokens.
 */
export function invertVocab(vocab: ReadonlyMap<string, number>, fail: (detail: string) => never): string[] {
  const limit = idLimit(vocab.size);
  const tokens: string[] = [];
  for (const [token, id] of vocab) {
    if (!Number.isInteger(id) || id < 0) fail(`vocab entry ${JSON.stringify(token)} has invalid id ${String(id)}`);
    if (id >= limit) fail(`vocab entry ${JSON.stringify(token)} has id ${id}, far past the ${vocab.size} tokens of the vocab (ids must stay below ${limit})`);
    const holder = tokens[id];
    if (holder !== undefined) fail(`vocab entries ${JSON.stringify(holder)} and ${JSON.stringify(token)} both have id ${id}`);
    tokens[id] = token;
  }
  return tokens;
}
