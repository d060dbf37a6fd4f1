// The Unigram language-model tokenizer (Kudo 2018, "Subword Regularization"):
// each piece has a log-probability score and a text is cut into the pieces
// whose scores sum highest, found by Viterbi over the lattice of every
// vocabulary piece that occurs in it. A character that no piece covers becomes
// an unknown node scored (lowest piece score − 10); runs of unknowns are fused
// into one unk token, or spelled as <0xXX> byte pieces with byte fallback.
//
// Two variants of the lattice, as the two reference implementations build it:
// - "tokenizers" (huggingface/tokenizers models/unigram, tokenizer.json): every
//   vocabulary entry is a node, scores add in float64, and each resulting
//   token's id is looked up by its text.
// - "sentencepiece" (sentencepiece unigram_model.cc EncodeOptimized, .model
//   files): only NORMAL and USER_DEFINED pieces are nodes, user-defined pieces
//   score (UTF-8 length × highest score − 0.1) so they always win, and path
//   scores are kept in float32.
// Ties keep the first path found (the longer last piece). The trie makes the
// lattice cost O(text length × longest piece); its arrays are reused between
// calls, and the ids of short pieces are cached, as tokenizers caches them.
import { InputError, ModelFormatError } from "../errors.js";
import type { TokenizerModel } from "./model.js";
import { PrefixTrie } from "./prefix-trie.js";
import { utf8Bytes } from "./unicode-text.js";

/** The SentencePiece piece types (ModelProto.SentencePiece.Type). */
export type PieceKind = "normal" | "unknown" | "control" | "user" | "unused" | "byte";

export interface UnigramPiece {
  piece: string;
  score: number;
  kind: PieceKind;
}

export interface UnigramOptions {
  /** The vocabulary; a piece's index is its id. */
  pieces: readonly UnigramPiece[];
  unkId: number | undefined;
  byteFallback: boolean;
  lattice: "tokenizers" | "sentencepiece";
  /** Where the vocabulary came from, for messages. */
  file: string;
}

/** sentencepiece's kUnkPenalty: an unknown node scores this much below the lowest piece. */
const UNK_PENALTY = 10;
const CACHE_CAPACITY = 65536;
/** Only pieces up to this many code units are cached. */
const CACHEABLE_LENGTH = 256;

/** The "<0xXX>" piece of a byte. */
function byteFallbackPiece(byte: number): string {
  return `<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`;
}

export class UnigramModel implements TokenizerModel {
  readonly size: number;
  readonly unkId: number | undefined;
  private readonly pieces: readonly UnigramPiece[];
  private readonly trie = new PrefixTrie();
  /** text → id (the last of duplicate entries, as a hash map filled in order keeps it). */
  private readonly ids = new Map<string, number>();
  /** id → the score its lattice node gets. */
  private readonly nodeScores: Float64Array;
  private readonly unkScore: number;
  private readonly byteFallback: boolean;
  private readonly byteIds = new Int32Array(256).fill(-1);
  private readonly sentencePiece: boolean;
  /** No two pieces share a text, so a token's text always looks up to its node's id. */
  private readonly uniqueTexts: boolean;
  private readonly file: string;
  /** Lattice scratch, grown as needed: best score, start and id of the best path ending at each position. */
  private best = new Float64Array(256);
  private from = new Int32Array(256);
  private via = new Int32Array(256);
  /** piece → its ids, for `tokenize` (a single id stored bare). */
  private readonly cache = new Map<string, number | Int32Array>();

  constructor(options: UnigramOptions) {
    const { pieces, unkId, file } = options;
    this.file = file;
    this.pieces = pieces;
    this.size = pieces.length;
    this.sentencePiece = options.lattice === "sentencepiece";
    this.byteFallback = options.byteFallback;
    if (unkId !== undefined && (!Number.isInteger(unkId) || unkId < 0 || unkId >= pieces.length)) {
      throw new ModelFormatError(file, `Unigram unk_id ${String(unkId)} is not an id of the ${pieces.length}-piece vocabulary`);
    }
    this.unkId = unkId;
    let minScore = Infinity;
    let maxScore = -Infinity;
    pieces.forEach(({ piece, score, kind }, id) => {
      if (piece === "") throw new ModelFormatError(file, `Unigram piece ${id} is empty`);
      if (!Number.isFinite(score)) throw new ModelFormatError(file, `Unigram piece ${id} (${JSON.stringify(piece)}) has score ${String(score)}; expected a finite number`);
      this.ids.set(piece, id);
      if (!this.sentencePiece || kind === "normal") {
        minScore = Math.min(minScore, score);
        maxScore = Math.max(maxScore, score);
      }
    });
    // sentencepiece keeps these in float32; with no normal piece it starts from FLT_MAX / FLT_MIN.
    if (this.sentencePiece && minScore === Infinity) [minScore, maxScore] = [3.4028234663852886e38, 1.1754943508222875e-38];
    this.unkScore = this.sentencePiece ? Math.fround(Math.fround(minScore) - UNK_PENALTY) : minScore - UNK_PENALTY;
    this.nodeScores = new Float64Array(pieces.length);
    pieces.forEach(({ piece, score, kind }, id) => {
      if (this.sentencePiece) {
        if (kind !== "normal" && kind !== "user") return;
        this.nodeScores[id] = kind === "user" ? Math.fround(utf8Bytes(piece).length * Math.fround(maxScore)) - 0.1 : Math.fround(score);
      } else {
        this.nodeScores[id] = score;
      }
      this.trie.set(piece, id);
    });
    this.uniqueTexts = this.ids.size === pieces.length;
    // In the tokenizers lattice a key's node takes the id its text looks up to (the last duplicate).
    if (!this.sentencePiece) for (const [piece, id] of this.ids) this.trie.set(piece, id);
    if (this.byteFallback) {
      for (let b = 0; b < 256; b++) {
        const id = this.ids.get(byteFallbackPiece(b));
        if (id !== undefined && (!this.sentencePiece || pieces[id]!.kind === "byte")) this.byteIds[b] = id;
      }
    }
  }

  tokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.pieces[id]?.piece;
  }

  tokenize(piece: string, out: number[]): void {
    const cached = this.cache.get(piece);
    if (typeof cached === "number") {
      out.push(cached);
      return;
    }
    if (cached === undefined) {
      const ids: number[] = [];
      this.segment(piece, ids, undefined);
      if (piece.length <= CACHEABLE_LENGTH) {
        if (this.cache.size >= CACHE_CAPACITY) this.cache.clear();
        this.cache.set(piece, ids.length === 1 ? ids[0]! : Int32Array.from(ids));
      }
      for (const id of ids) out.push(id);
      return;
    }
    for (let i = 0; i < cached.length; i++) out.push(cached[i]!);
  }

  tokenizeWithSpans(piece: string, out: number[], spans: number[]): void {
    this.segment(piece, out, spans);
  }

  private segment(text: string, out: number[], spans: number[] | undefined): void {
    if (text === "") return;
    this.bestPath(text);
    const { from, via } = this;
    // The ends of the best path's pieces, last first.
    const ends: number[] = [];
    for (let end = text.length; end > 0; end = from[end]!) ends.push(end);
    for (let k = ends.length - 1; k >= 0; ) {
      let end = ends[k--]!;
      const start = from[end]!;
      const id = via[end]!;
      // A run of unknown nodes becomes one token.
      if (id === this.unkId) while (k >= 0 && via[ends[k]!] === this.unkId) end = ends[k--]!;
      this.emit(text, start, end, id, out, spans);
    }
  }

  /** Appends the id(s) of the token text[start, end) of the best path, whose (last) node has `nodeId`. */
  private emit(text: string, start: number, end: number, nodeId: number, out: number[], spans: number[] | undefined): void {
    // tokenizers looks every token up by its text; sentencepiece keeps the node's id.
    let id: number | undefined = nodeId;
    if (!this.sentencePiece && (nodeId === this.unkId || !this.uniqueTexts)) id = this.ids.get(text.slice(start, end));
    if (id === undefined || (this.sentencePiece && id === this.unkId)) {
      if (this.byteFallback) {
        const bytes = utf8Bytes(text.slice(start, end));
        const byteIds = Array.from(bytes, (b) => this.byteIds[b]!);
        if (this.sentencePiece || byteIds.every((b) => b >= 0)) {
          for (const b of byteIds) {
            out.push(b >= 0 ? b : this.unkId!);
            spans?.push(start, end);
          }
          return;
        }
      }
      id = this.unkId;
    }
    out.push(id!);
    spans?.push(start, end);
  }

  /**
   * Viterbi over the lattice, generated on the fly: for each end position the
   * best-scoring path reaching it (`best`, `from`, `via`). The first path found
   * keeps a tie, as both references do.
   */
  private bestPath(text: string): void {
    const n = text.length;
    if (this.best.length <= n) {
      const size = Math.max(n + 1, 2 * this.best.length);
      this.best = new Float64Array(size);
      this.from = new Int32Array(size);
      this.via = new Int32Array(size);
    }
    const { trie, nodeScores, sentencePiece, best, from, via } = this;
    best[0] = 0;
    from.fill(-1, 0, n + 1);
    for (let start = 0; start < n; ) {
      const charLength = isHighSurrogate(text.charCodeAt(start)) && start + 1 < n ? 2 : 1;
      const scoreHere = best[start]!;
      let coversChar = false;
      let node = 0;
      for (let i = start; i < n; i++) {
        node = trie.step(node, text.charCodeAt(i));
        if (node < 0) break;
        const id = trie.valueAt(node);
        if (id < 0) continue;
        const end = i + 1;
        const score = nodeScores[id]! + scoreHere;
        if (from[end] === -1 || score > best[end]!) {
          best[end] = sentencePiece ? Math.fround(score) : score;
          from[end] = start;
          via[end] = id;
        }
        if (end - start === charLength) coversChar = true;
      }
      if (!coversChar) {
        const end = start + charLength;
        const score = sentencePiece ? Math.fround(this.unkScore + scoreHere) : this.unkScore + scoreHere;
        if (from[end] === -1 || score > best[end]!) {
          if (this.unkId === undefined) {
            throw new InputError(`${this.file}: ${JSON.stringify(text.slice(start, end))} is not covered by any Unigram piece and the model has no unk_id`);
          }
          best[end] = score;
          from[end] = start;
          via[end] = this.unkId;
        }
      }
      start += charLength;
    }
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
