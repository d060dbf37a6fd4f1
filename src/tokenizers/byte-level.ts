// GPT-2's byte-to-unicode alphabet (openai/gpt-2 encoder.py `bytes_to_unicode`):
// every byte maps to a printable character, so a byte string can be spelled as a
// vocabulary string. Printable Latin-1 bytes map to themselves; the other 68
// bytes map to U+0100 onwards in byte order.
import { utf8Bytes } from "./unicode-text.js";

function buildByteToChar(): string[] {
  const table: string[] = new Array<string>(256);
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    table[b] = String.fromCharCode(printable ? b : next++);
  }
  return table;
}

/** BYTE_TO_CHAR[b]: the one-character string that spells byte b. */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

/** Char code → byte, or -1 for characters outside the alphabet. */
const CHAR_TO_BYTE = new Int16Array(324).fill(-1);
BYTE_TO_CHAR.forEach((ch, b) => {
  CHAR_TO_BYTE[ch.charCodeAt(0)] = b;
});

/** The byte a character spells, or -1 when the character is not in the alphabet. */
export function charToByte(code: number): number {
  return code < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[code]! : -1;
}

/** Spells bytes with the byte-level alphabet. */
export function bytesToByteLevel(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += BYTE_TO_CHAR[b];
  return out;
}

/**
 * The bytes of a vocabulary token, as the HF ByteLevel decoder reads it: the
 * alphabet's bytes when every character belongs to it, else the token's own
 * UTF-8 (an added token such as "<|endoftext|>" or "é" keeps its text).
 */
export function byteLevelTokenBytes(token: string): Uint8Array {
  const bytes = new Uint8Array(token.length);
  for (let i = 0; i < token.length; i++) {
    const b = charToByte(token.charCodeAt(i));
    if (b < 0) return utf8Bytes(token);
    bytes[i] = b;
  }
  return bytes;
}
