// The llama2.c tokenizer.bin format and the tokenizer of karpathy/llama2.c
// run.c: u32 max_token_length, then per token f32 score, u32 length, bytes.
// Encoding follows run.c `encode()`: a dummy-prefix " " token, one token per
// UTF-8 character (else its bytes as ids byte+3), then repeatedly the adjacent
// pair whose concatenation is in the vocabulary with the highest score
// (leftmost on ties). Decoding follows run.c `decode()`: a piece after BOS (id
// 1) loses its leading space and "<0xXX>" pieces are raw bytes.
import { InputError, ModelFormatError } from "../errors.js";
import { mergeWithHeap } from "./merge-queue.js";
import { PairTable } from "./pair-table.js";
import { encodeBatch, encodeInput, type EncodingContext } from "./encoding.js";
import { bosEosProcessor } from "./post-processor.js";
import type { BatchEncodeOptions, DecodeOptions, EncodeOptions, Encoding, PairEncodeOptions, StreamDecoder, TextTokenizer } from "./tokenizer.js";
import { utf8Bytes, utf8DecodeLossy } from "./unicode-text.js";

const UNK_ID = 0;
const BOS_ID = 1;
const EOS_ID = 2;
/** run.c's initial best score: merges scoring at or below it never happen. */
const MIN_SCORE = -1e10;

/** Bytes as a "binary" string (one char per byte), for exact byte-string map keys. */
function bytesKey(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return s;
}

export class Llama2cTokenizer implements TextTokenizer {
  readonly vocabSize: number;
  readonly bosTokenId = BOS_ID;
  readonly eosTokenId = EOS_ID;
  readonly padTokenId = undefined;
  readonly unkTokenId = UNK_ID;
  readonly addBosToken = true;
  readonly modelMaxLength = undefined;
  readonly maxTokenLength: number;
  private readonly pieces: Uint8Array[];
  private readonly scores: Float32Array;
  private readonly idsByPiece = new Map<string, number>();
  /** (left, right) → merged id. */
  private readonly mergeResult = new PairTable();
  /** merged id → dense rank of its score (0 = highest). */
  private readonly scoreRank: Int32Array;

  constructor(
    pieces: Uint8Array[],
    scores: Float32Array,
    maxTokenLength: number,
    readonly source: string,
  ) {
    this.pieces = pieces;
    this.scores = scores;
    this.vocabSize = pieces.length;
    this.maxTokenLength = maxTokenLength;
    pieces.forEach((p, id) => {
      const key = bytesKey(p);
      if (!this.idsByPiece.has(key)) this.idsByPiece.set(key, id);
    });
    const distinct = [...new Set(Array.from(scores))].sort((a, b) => b - a);
    const rankOfScore = new Map(distinct.map((s, i) => [s, i]));
    this.scoreRank = Int32Array.from(scores, (s) => rankOfScore.get(s)!);
    this.idsByPiece.forEach((id, key) => {
      if (!(scores[id]! > MIN_SCORE)) return;
      for (let k = 1; k < key.length; k++) {
        const left = this.idsByPiece.get(key.slice(0, k));
        const right = this.idsByPiece.get(key.slice(k));
        if (left !== undefined && right !== undefined) this.mergeResult.set(left, right, id);
      }
    });
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    const ids: number[] = [];
    if (options.addSpecialTokens ?? true) ids.push(BOS_ID);
    const bytes = utf8Bytes(text);
    if (bytes.length === 0) return ids;
    const symbols: number[] = [];
    const prefix = this.idsByPiece.get(" ");
    if (prefix !== undefined) symbols.push(prefix);
    for (let i = 0; i < bytes.length; ) {
      // One UTF-8 character: a lead byte and up to 3 continuation bytes.
      let end = i + 1;
      while (end < bytes.length && (bytes[end]! & 0xc0) === 0x80 && end - i < 4) end++;
      const id = this.idsByPiece.get(bytesKey(bytes.subarray(i, end)));
      if (id !== undefined) symbols.push(id);
      else for (let k = i; k < end; k++) symbols.push(bytes[k]! + 3);
      i = end;
    }
    const merged = mergeWithHeap(
      Int32Array.from(symbols),
      (left, right) => {
        const id = this.mergeResult.get(left, right);
        return id < 0 ? -1 : this.scoreRank[id]!;
      },
      (left, right) => this.mergeResult.get(left, right),
    );
    for (const id of merged) ids.push(id);
    return ids;
  }

  /** A pair as HF Llama templates it: <s> A <s> B, type ids 0 then 1. */
  encodePair(a: string, b: string, options: PairEncodeOptions = {}): Encoding {
    return encodeInput(this.context(), a, b, options);
  }

  encodeBatch(inputs: readonly (string | readonly [string, string])[], options: BatchEncodeOptions = {}): Encoding[] {
    return encodeBatch(this.context(), inputs, options);
  }

  private context(): EncodingContext {
    return {
      source: this.source,
      padTokenId: undefined,
      modelMaxLength: undefined,
      postProcessor: bosEosProcessor(BOS_ID, undefined),
      encodeText: (text) => this.encode(text, { addSpecialTokens: false }),
    };
  }

  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const parts: Uint8Array[] = [];
    let previous = -1;
    for (const id of ids) {
      const bytes = this.pieceBytes(id, previous, options.skipSpecialTokens ?? false);
      previous = id;
      if (bytes !== undefined) parts.push(bytes);
    }
    const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    return utf8DecodeLossy(all);
  }

  decodeStream(options: DecodeOptions = {}): StreamDecoder {
    const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
    const skip = options.skipSpecialTokens ?? false;
    let previous = -1;
    return {
      push: (id: number): string => {
        const bytes = this.pieceBytes(id, previous, skip);
        previous = id;
        return bytes === undefined ? "" : decoder.decode(bytes, { stream: true });
      },
      flush: (): string => decoder.decode(),
    };
  }

  idToToken(id: number): string | undefined {
    const p = this.pieces[id];
    return p === undefined ? undefined : new TextDecoder().decode(p);
  }

  tokenToId(token: string): number | undefined {
    return this.idsByPiece.get(bytesKey(utf8Bytes(token)));
  }

  /** The merge score stored for an id in tokenizer.bin. */
  score(id: number): number | undefined {
    return this.scores[id];
  }

  isSpecialToken(id: number): boolean {
    return id === UNK_ID || id === BOS_ID || id === EOS_ID;
  }

  /** run.c `decode()`: the bytes one token prints after `previous`. */
  private pieceBytes(id: number, previous: number, skipSpecial: boolean): Uint8Array | undefined {
    const piece = Number.isInteger(id) ? this.pieces[id] : undefined;
    if (piece === undefined) throw new InputError(`token id ${String(id)} is not in the vocabulary of ${this.source} (size ${this.vocabSize})`);
    if (skipSpecial && this.isSpecialToken(id)) return undefined;
    let bytes = piece;
    if (previous === BOS_ID && bytes[0] === 0x20) bytes = bytes.subarray(1);
    const text = bytes.length === 6 ? bytesKey(bytes) : "";
    const match = /^<0x([0-9A-Fa-f]{2})>$/.exec(text);
    return match === null ? bytes : Uint8Array.of(parseInt(match[1]!, 16));
  }
}

/** Parses the bytes of a llama2.c tokenizer.bin; `file` names it in errors. */
export function parseLlama2cTokenizer(data: Uint8Array, file: string): Llama2cTokenizer {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (data.byteLength < 4) throw new ModelFormatError(file, `${data.byteLength} bytes is too short for a llama2.c tokenizer (u32 max_token_length first)`);
  const maxTokenLength = view.getUint32(0, true);
  const pieces: Uint8Array[] = [];
  const scores: number[] = [];
  let at = 4;
  while (at < data.byteLength) {
    if (at + 8 > data.byteLength) throw new ModelFormatError(file, `token ${pieces.length} at byte ${at}: truncated header (score and length need 8 bytes, ${data.byteLength - at} left)`);
    const score = view.getFloat32(at, true);
    const length = view.getInt32(at + 4, true);
    if (length < 0 || length > maxTokenLength || at + 8 + length > data.byteLength) {
      throw new ModelFormatError(file, `token ${pieces.length} at byte ${at}: length ${length} is negative, above max_token_length ${maxTokenLength} or past the end of the file`);
    }
    if (Number.isNaN(score)) throw new ModelFormatError(file, `token ${pieces.length}: score is NaN`);
    pieces.push(data.slice(at + 8, at + 8 + length));
    scores.push(score);
    at += 8 + length;
  }
  if (pieces.length < 3) throw new ModelFormatError(file, `only ${pieces.length} tokens; llama2.c needs at least <unk>, <s> and </s>`);
  return new Llama2cTokenizer(pieces, Float32Array.from(scores), maxTokenLength, file);
}
