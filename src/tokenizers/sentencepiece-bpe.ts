// The BPE model of SentencePiece .model files (sentencepiece bpe_model.cc
// SampleEncode without dropout): the normalized text starts as one symbol per
// character (a USER_DEFINED piece found at a position is one frozen symbol),
// then the adjacent pair whose concatenation is a piece with the highest score
// is merged, leftmost on ties, until no pair is a piece. A final symbol that
// is not a piece is unknown: runs of unknowns become one unk token, or UTF-8
// byte pieces with byte fallback. The merge loop is the heap of
// merge-queue.ts, so long inputs cost O(n log n).
import { mergeWithHeap } from "./merge-queue.js";
import type { TokenizerModel } from "./model.js";
import { PrefixTrie } from "./prefix-trie.js";
import type { UnigramPiece } from "./unigram.js";
import { utf8Bytes } from "./unicode-text.js";

export interface SentencePieceBpeOptions {
  pieces: readonly UnigramPiece[];
  unkId: number;
  byteFallback: boolean;
}

export class SentencePieceBpeModel implements TokenizerModel {
  readonly size: number;
  private readonly pieces: readonly UnigramPiece[];
  /** NORMAL and USER_DEFINED pieces: what symbols may merge into. */
  private readonly mergeable = new Map<string, number>();
  /** Every piece, for ids of final symbols. */
  private readonly ids = new Map<string, number>();
  /** id → dense rank of its score, 0 for the highest (a lower rank merges first). */
  private readonly scoreRank: Int32Array;
  private readonly userDefined: PrefixTrie | undefined;
  private readonly unkId: number;
  private readonly byteFallback: boolean;
  private readonly byteIds = new Int32Array(256).fill(-1);

  constructor(options: SentencePieceBpeOptions) {
    const { pieces } = options;
    this.pieces = pieces;
    this.size = pieces.length;
    this.unkId = options.unkId;
    this.byteFallback = options.byteFallback;
    const user = new PrefixTrie();
    pieces.forEach(({ piece, kind }, id) => {
      if (kind === "normal" || kind === "user") this.mergeable.set(piece, id);
      if (kind === "user") user.set(piece, id);
      if (!this.ids.has(piece) || kind === "normal" || kind === "user") this.ids.set(piece, id);
      if (kind === "byte") this.byteIds[parseInt(piece.slice(3, 5), 16)] = id;
    });
    this.userDefined = user.size > 0 ? user : undefined;
    const distinct = [...new Set(pieces.map((p) => Math.fround(p.score)))].sort((a, b) => b - a);
    const rank = new Map(distinct.map((s, i) => [s, i]));
    this.scoreRank = Int32Array.from(pieces, (p) => rank.get(Math.fround(p.score))!);
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.pieces[id]?.piece;
  }

  tokenize(piece: string, out: number[]): void {
    this.segment(piece, out, undefined);
  }

  tokenizeWithSpans(piece: string, out: number[], spans: number[]): void {
    this.segment(piece, out, spans);
  }

  private segment(text: string, out: number[], spans: number[] | undefined): void {
    if (text === "") return;
    // Symbols are ids into `texts`: the vocabulary's pieces first, then this text's own
    // characters and frozen user-defined symbols, which never merge.
    const texts: string[] = [];
    const frozen: boolean[] = [];
    const symbolOf = new Map<string, number>();
    /** A symbol for `s`: shared by equal texts, except that frozen symbols are never shared. */
    const symbolFor = (s: string, isFrozen: boolean): number => {
      let symbol = isFrozen ? undefined : symbolOf.get(s);
      if (symbol === undefined) {
        symbol = texts.length;
        texts.push(s);
        frozen.push(isFrozen);
        if (!isFrozen) symbolOf.set(s, symbol);
      }
      return symbol;
    };
    const starts: number[] = [];
    const symbols: number[] = [];
    for (let at = 0; at < text.length; ) {
      let length = this.userDefined?.longestPrefix(text, at, text.length) ?? 0;
      const isFrozen = length > 0;
      if (!isFrozen) length = text.codePointAt(at)! > 0xffff ? 2 : 1;
      symbols.push(symbolFor(text.slice(at, at + length), isFrozen));
      starts.push(at);
      at += length;
    }
    const pieceOfPair = (left: number, right: number): number | undefined =>
      frozen[left] || frozen[right] ? undefined : this.mergeable.get(texts[left]! + texts[right]!);
    const positions: number[] = [];
    const merged = mergeWithHeap(
      Int32Array.from(symbols),
      (left, right) => {
        const id = pieceOfPair(left, right);
        return id === undefined ? -1 : this.scoreRank[id]!;
      },
      (left, right) => symbolFor(texts[left]! + texts[right]!, false),
      positions,
    );
    let pendingUnk: [number, number] | undefined;
    const flushUnk = (): void => {
      if (pendingUnk === undefined) return;
      const [start, end] = pendingUnk;
      pendingUnk = undefined;
      if (this.byteFallback) {
        for (const b of utf8Bytes(text.slice(start, end))) {
          out.push(this.byteIds[b]! >= 0 ? this.byteIds[b]! : this.unkId);
          spans?.push(start, end);
        }
      } else {
        out.push(this.unkId);
        spans?.push(start, end);
      }
    };
    merged.forEach((symbol, k) => {
      const start = starts[positions[k]!]!;
      const end = k + 1 < merged.length ? starts[positions[k + 1]!]! : text.length;
      const id = this.ids.get(texts[symbol]!);
      if (id === undefined || id === this.unkId) {
        // Runs of unknown symbols become one unk token (byte fallback spells each one's bytes).
        if (pendingUnk !== undefined && !this.byteFallback) pendingUnk[1] = end;
        else {
          flushUnk();
          pendingUnk = [start, end];
        }
        return;
      }
      flushUnk();
      out.push(id);
      spans?.push(start, end);
    });
    flushUnk();
  }
}
