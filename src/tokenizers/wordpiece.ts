// The WordPiece model (BERT; huggingface/tokenizers src/models/wordpiece):
// greedy longest-match-first over each word, continuation pieces carry the
// "##" prefix, a word with an unmatchable part or more than
// max_input_chars_per_word characters becomes the unk token.
import { ModelFormatError } from "../errors.js";
import { invertVocab, type TokenizerModel } from "./model.js";

export interface WordPieceOptions {
  vocab: ReadonlyMap<string, number>;
  unkToken: string;
  continuingSubwordPrefix: string;
  maxInputCharsPerWord: number;
  file: string;
}

export class WordPieceModel implements TokenizerModel {
  readonly size: number;
  readonly continuingSubwordPrefix: string;
  private readonly vocab: ReadonlyMap<string, number>;
  private readonly tokens: string[];
  private readonly unkId: number;
  private readonly maxChars: number;

  constructor(options: WordPieceOptions) {
    this.vocab = options.vocab;
    this.tokens = invertVocab(options.vocab, (detail) => {
      throw new ModelFormatError(options.file, `WordPiece ${detail}`);
    });
    this.size = this.tokens.length;
    const unk = options.vocab.get(options.unkToken);
    if (unk === undefined) throw new ModelFormatError(options.file, `WordPiece unk_token ${JSON.stringify(options.unkToken)} is not in the vocab`);
    this.unkId = unk;
    this.continuingSubwordPrefix = options.continuingSubwordPrefix;
    this.maxChars = options.maxInputCharsPerWord;
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.tokens[id];
  }

  tokenize(word: string, out: number[]): void {
    this.tokenizeWithSpans(word, out);
  }

  tokenizeWithSpans(word: string, out: number[], spans?: number[]): void {
    const chars = Array.from(word);
    if (chars.length > this.maxChars) {
      out.push(this.unkId);
      spans?.push(0, word.length);
      return;
    }
    /** UTF-16 offset of each character boundary. */
    const offsets = [0];
    for (const ch of chars) offsets.push(offsets[offsets.length - 1]! + ch.length);
    const pieceSpans: number[] = [];
    const pieces: number[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: number | undefined;
      while (start < end) {
        const sub = chars.slice(start, end).join("");
        found = this.vocab.get(start > 0 ? this.continuingSubwordPrefix + sub : sub);
        if (found !== undefined) break;
        end--;
      }
      if (found === undefined) {
        out.push(this.unkId);
        spans?.push(0, word.length);
        return;
      }
      pieces.push(found);
      pieceSpans.push(offsets[start]!, offsets[end]!);
      start = end;
    }
    for (const id of pieces) out.push(id);
    spans?.push(...pieceSpans);
  }
}
