// The BPE model of HF tokenizer.json (huggingface/tokenizers src/models/bpe):
// merges applied by rank (lowest first, leftmost on ties), optional byte-level
// input (the GPT-2 alphabet), byte fallback to <0xXX> tokens, unk fusing,
// continuing-subword prefix / end-of-word suffix and ignore_merges.
//
// Hot spots: a bounded cache of piece → ids; short pieces merge with a rank
// scan over an array, long pieces with the heap of merge-queue.ts, so a 1 MB
// "word" costs O(n log n), not O(n²).
import { ModelFormatError } from "../errors.js";
import { BYTE_TO_CHAR, bytesToByteLevel } from "./byte-level.js";
import { mergeWithHeap } from "./merge-queue.js";
import { invertVocab, type TokenizerModel } from "./model.js";
import { PairTable } from "./pair-table.js";
import { utf8Bytes } from "./unicode-text.js";

export interface BpeOptions {
  vocab: ReadonlyMap<string, number>;
  /** Merges in rank order, as (left, right) token pairs. */
  merges: readonly (readonly [string, string])[];
  unkToken?: string | undefined;
  continuingSubwordPrefix?: string | undefined;
  endOfWordSuffix?: string | undefined;
  fuseUnk?: boolean;
  byteFallback?: boolean;
  ignoreMerges?: boolean;
  /** Pieces are plain text whose UTF-8 bytes are spelled with the GPT-2 alphabet (ByteLevel pre-tokenizer). */
  byteLevel?: boolean;
  /** The file the vocabulary came from, for error messages. */
  file: string;
}

const CACHE_CAPACITY = 65536;
const CACHEABLE_LENGTH = 256;
/** Pieces with at most this many symbols merge by rescanning an array; longer ones use the heap. */
const SHORT_WORD = 64;

export class BpeModel implements TokenizerModel {
  readonly size: number;
  private readonly vocab: ReadonlyMap<string, number>;
  private readonly tokens: string[];
  /** (left id, right id) → merge rank. */
  private readonly ranks: PairTable;
  /** rank → id of the merged token. */
  private readonly mergedIds: Int32Array;
  private readonly byteToId = new Int32Array(256).fill(-1);
  private readonly unkId: number | undefined;
  private readonly prefix: string;
  private readonly suffix: string;
  private readonly fuseUnk: boolean;
  private readonly byteFallback: boolean;
  private readonly ignoreMerges: boolean;
  private readonly byteLevel: boolean;
  /** piece → its ids; a piece that is a single token (the common case) is stored as the bare id. */
  private readonly cache = new Map<string, number | Int32Array>();

  constructor(options: BpeOptions) {
    const { vocab, file } = options;
    this.vocab = vocab;
    this.tokens = invertVocab(vocab, (detail) => {
      throw new ModelFormatError(file, `BPE ${detail}`);
    });
    this.size = this.tokens.length;
    this.prefix = options.continuingSubwordPrefix ?? "";
    this.suffix = options.endOfWordSuffix ?? "";
    this.fuseUnk = options.fuseUnk ?? false;
    this.byteFallback = options.byteFallback ?? false;
    this.ignoreMerges = options.ignoreMerges ?? false;
    this.byteLevel = options.byteLevel ?? false;
    if (options.unkToken !== undefined) {
      this.unkId = vocab.get(options.unkToken);
      if (this.unkId === undefined) throw new ModelFormatError(file, `BPE unk_token ${JSON.stringify(options.unkToken)} is not in the vocab`);
    }
    for (let b = 0; b < 256; b++) this.byteToId[b] = vocab.get(BYTE_TO_CHAR[b]!) ?? -1;
    this.mergedIds = new Int32Array(options.merges.length);
    this.ranks = new PairTable(options.merges.length);
    options.merges.forEach(([left, right], rank) => {
      const a = vocab.get(left);
      const b = vocab.get(right);
      const merged = vocab.get(left + (this.prefix !== "" && right.startsWith(this.prefix) ? right.slice(this.prefix.length) : right));
      if (a === undefined || b === undefined || merged === undefined) {
        const missing = a === undefined ? left : b === undefined ? right : left + right;
        throw new ModelFormatError(file, `BPE merge ${rank} (${JSON.stringify(left)} ${JSON.stringify(right)}): token ${JSON.stringify(missing)} is not in the vocab`);
      }
      if (!this.ranks.has(a, b)) this.ranks.set(a, b, rank);
      this.mergedIds[rank] = merged;
    });
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.tokens[id];
  }

  tokenize(piece: string, out: number[]): void {
    const cached = this.cache.get(piece);
    if (typeof cached === "number") {
      out.push(cached);
      return;
    }
    let ids = cached;
    if (ids === undefined) {
      ids = this.tokenizeUncached(piece);
      if (piece.length <= CACHEABLE_LENGTH) {
        if (this.cache.size >= CACHE_CAPACITY) this.cache.clear();
        this.cache.set(piece, ids.length === 1 ? ids[0]! : ids);
      }
    }
    for (let i = 0; i < ids.length; i++) out.push(ids[i]!);
  }

  private tokenizeUncached(piece: string): Int32Array {
    const plainByteLevel = this.byteLevel && this.prefix === "" && this.suffix === "";
    if (this.ignoreMerges) {
      const whole = this.vocab.get(this.byteLevel ? bytesToByteLevel(utf8Bytes(piece)) : piece);
      if (whole !== undefined) return Int32Array.of(whole);
    }
    const symbols = plainByteLevel ? this.byteSymbols(piece) : this.charSymbols(this.byteLevel ? bytesToByteLevel(utf8Bytes(piece)) : piece);
    return symbols.length <= SHORT_WORD ? this.mergeShort(symbols) : this.mergeLong(symbols);
  }

  /** Initial symbols of a byte-level piece: one per UTF-8 byte (each spanning its character when `spans` is given). */
  private byteSymbols(piece: string, spans?: number[]): Int32Array {
    const bytes = utf8Bytes(piece);
    const symbols = new Int32Array(bytes.length);
    let n = 0;
    let lastWasUnk = false;
    let char = 0;
    let charEnd = 0;
    for (const b of bytes) {
      if (spans !== undefined && (b & 0xc0) !== 0x80) {
        char = charEnd;
        charEnd = char + (b >= 0xf0 ? 2 : 1);
      }
      const id = this.byteToId[b]!;
      if (id >= 0) {
        symbols[n++] = id;
        lastWasUnk = false;
      } else if (this.unkId !== undefined && !(this.fuseUnk && lastWasUnk)) {
        symbols[n++] = this.unkId;
        lastWasUnk = true;
      } else {
        if (lastWasUnk && spans !== undefined) spans[spans.length - 1] = charEnd;
        continue;
      }
      spans?.push(char, charEnd);
    }
    return symbols.subarray(0, n);
  }

  /** Initial symbols of a piece: one per character, else its <0xXX> bytes, else unk (with each one's span when asked). */
  private charSymbols(piece: string, spans?: number[]): Int32Array {
    const chars = Array.from(piece);
    const symbols: number[] = [];
    let lastWasUnk = false;
    let at = 0;
    chars.forEach((ch, i) => {
      const start = at;
      at += ch.length;
      let s = ch;
      if (i > 0) s = this.prefix + s;
      if (i === chars.length - 1) s += this.suffix;
      const id = this.vocab.get(s);
      if (id !== undefined) {
        symbols.push(id);
        spans?.push(start, at);
        lastWasUnk = false;
        return;
      }
      if (this.byteFallback) {
        const byteIds = Array.from(utf8Bytes(s), (b) => this.vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`));
        if (byteIds.every((b) => b !== undefined)) {
          for (const b of byteIds as number[]) {
            symbols.push(b);
            spans?.push(start, at);
          }
          lastWasUnk = false;
          return;
        }
      }
      if (this.unkId === undefined) return;
      if (this.fuseUnk && lastWasUnk) {
        if (spans !== undefined) spans[spans.length - 1] = at;
        return;
      }
      symbols.push(this.unkId);
      spans?.push(start, at);
      lastWasUnk = true;
    });
    return Int32Array.from(symbols);
  }

  tokenizeWithSpans(piece: string, out: number[], spans: number[]): void {
    if (this.ignoreMerges) {
      const whole = this.vocab.get(this.byteLevel ? bytesToByteLevel(utf8Bytes(piece)) : piece);
      if (whole !== undefined) {
        out.push(whole);
        spans.push(0, piece.length);
        return;
      }
    }
    const symbolSpans: number[] = [];
    let symbols: Int32Array;
    if (this.byteLevel && this.prefix === "" && this.suffix === "") symbols = this.byteSymbols(piece, symbolSpans);
    else if (!this.byteLevel) symbols = this.charSymbols(piece, symbolSpans);
    else {
      // Byte-level with prefix/suffix: symbols are characters of the byte-level spelling.
      const spelled = bytesToByteLevel(utf8Bytes(piece));
      symbols = this.charSymbols(spelled);
      this.byteSymbols(piece, symbolSpans);
    }
    const positions: number[] = [];
    const ids = this.mergeLong(symbols, positions);
    ids.forEach((id, k) => {
      const first = positions[k]!;
      const last = (positions[k + 1] ?? symbols.length) - 1;
      out.push(id);
      spans.push(symbolSpans[2 * first]!, symbolSpans[2 * last + 1]!);
    });
  }

  private rankOf(left: number, right: number): number {
    return this.ranks.get(left, right);
  }

  /** Rank scan over an array: merge the lowest-ranked pair, leftmost on ties, until none is left. */
  private mergeShort(symbols: Int32Array): Int32Array {
    const sym = symbols.slice();
    let n = sym.length;
    const pairRank = new Int32Array(Math.max(n - 1, 0));
    for (let i = 0; i + 1 < n; i++) pairRank[i] = this.rankOf(sym[i]!, sym[i + 1]!);
    for (;;) {
      let best = -1;
      let at = -1;
      for (let i = 0; i + 1 < n; i++) {
        const r = pairRank[i]!;
        if (r >= 0 && (best < 0 || r < best)) {
          best = r;
          at = i;
        }
      }
      if (at < 0) break;
      sym[at] = this.mergedIds[best]!;
      sym.copyWithin(at + 1, at + 2, n);
      pairRank.copyWithin(at + 1, at + 2, n - 1);
      n--;
      if (at > 0) pairRank[at - 1] = this.rankOf(sym[at - 1]!, sym[at]!);
      if (at + 1 < n) pairRank[at] = this.rankOf(sym[at]!, sym[at + 1]!);
    }
    return sym.slice(0, n);
  }

  /** Long pieces: heap-ordered merging, O(n log n). */
  private mergeLong(symbols: Int32Array, positions?: number[]): Int32Array {
    return mergeWithHeap(
      symbols,
      (left, right) => this.rankOf(left, right),
      (_left, _right, rank) => this.mergedIds[rank]!,
      positions,
    );
  }
}
