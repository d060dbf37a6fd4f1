// Decoding as sentencepiece's SentencePieceProcessor::Decode does it, token
// by token so that streaming and whole-sequence decoding are one code: "▁"
// becomes a space; while nothing has been written yet the leading "▁" of a
// piece is dropped (the dummy prefix; only once unless extra whitespace is
// removed); a run of <0xXX> byte pieces is read as UTF-8, one character at a
// time, each byte of a malformed sequence giving U+FFFD. Pieces that are
// special tokens reach this decoder as their text (or not at all when
// skipped).
import { bytePieceValue } from "./sentencepiece-model.js";

const SPACE_SYMBOL = "\u2581";

export interface SentencePieceDecoderOptions {
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  byteFallback: boolean;
}

const isTrail = (b: number): boolean => (b & 0xc0) === 0x80;

/**
 * Reads one character from the start of `bytes` with sentencepiece's
 * DecodeUTF8 rules: [text, bytes used], or undefined when the bytes so far
 * are the valid start of a character that `final` says may still be completed.
 */
function readChar(bytes: readonly number[], final: boolean): [string, number] | undefined {
  const lead = bytes[0]!;
  if (lead < 0x80) return [String.fromCharCode(lead), 1];
  const needed = (lead & 0xe0) === 0xc0 ? 2 : (lead & 0xf0) === 0xe0 ? 3 : (lead & 0xf8) === 0xf0 ? 4 : 0;
  if (needed === 0) return ["\ufffd", 1];
  if (bytes.length < needed) {
    return !final && bytes.slice(1).every(isTrail) ? undefined : ["\ufffd", 1];
  }
  let cp = lead & (0x7f >> needed);
  for (let k = 1; k < needed; k++) {
    if (!isTrail(bytes[k]!)) return ["\ufffd", 1];
    cp = (cp << 6) | (bytes[k]! & 0x3f);
  }
  const lowest = [0, 0, 0x80, 0x800, 0x10000][needed]!;
  const valid = cp >= lowest && (cp < 0xd800 || (cp >= 0xe000 && cp <= 0x10ffff));
  return valid ? [String.fromCodePoint(cp), needed] : ["\ufffd", 1];
}

export class SentencePieceDecoder {
  private readonly bytes: number[] = [];
  private written = false;
  private atStart = true;
  private startSpaceSeen = false;

  constructor(private readonly options: SentencePieceDecoderOptions) {}

  /** Adds one token's text; returns the text that became final. */
  push(token: string): string {
    const byte = this.options.byteFallback ? bytePieceValue(token) : -1;
    if (byte >= 0) {
      this.bytes.push(byte);
      return this.takeBytes(false);
    }
    let out = this.takeBytes(true);
    if (this.startSpaceSeen || this.written) this.atStart = false;
    let piece = token;
    let strippedSpace = false;
    if (this.atStart && (this.options.addDummyPrefix || this.options.removeExtraWhitespaces) && piece.startsWith(SPACE_SYMBOL)) {
      piece = piece.slice(SPACE_SYMBOL.length);
      strippedSpace = !this.options.removeExtraWhitespaces;
    }
    this.startSpaceSeen = strippedSpace;
    const text = piece.replaceAll(SPACE_SYMBOL, " ");
    out += text;
    if (text !== "") this.written = true;
    return out;
  }

  /** Returns what is still held (an unfinished byte sequence, as U+FFFD per byte). */
  flush(): string {
    return this.takeBytes(true);
  }

  private takeBytes(final: boolean): string {
    let out = "";
    while (this.bytes.length > 0) {
      const read = readChar(this.bytes, final);
      if (read === undefined) break;
      out += read[0];
      this.bytes.splice(0, read[1]);
    }
    if (out !== "") this.written = true;
    return out;
  }
}
