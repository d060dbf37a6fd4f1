// Small Unicode helpers shared by the tokenizers: UTF-8 conversion with the
// same lone-surrogate rule as TextEncoder (U+FFFD), and the Unicode
// White_Space set that Oniguruma / Rust use for `\s` (it holds U+0085 and not
// U+FEFF, unlike JavaScript's `\s`).

const encoder = new TextEncoder();
const lossyDecoder = new TextDecoder("utf-8", { ignoreBOM: true });
const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** UTF-8 bytes of a string; an unpaired surrogate becomes U+FFFD (EF BF BD). */
export function utf8Bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decodes UTF-8, replacing each maximal invalid subpart with U+FFFD (WHATWG / Rust `from_utf8_lossy`). */
export function utf8DecodeLossy(bytes: Uint8Array): string {
  return lossyDecoder.decode(bytes);
}

/** Strict UTF-8 decode: undefined when the bytes are not valid UTF-8. */
export function utf8DecodeStrict(bytes: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    return undefined;
  }
}

const LONE_SURROGATE = /\p{Cs}/u;
const LONE_SURROGATES = /\p{Cs}/gu;

/** The string with every unpaired surrogate replaced by U+FFFD. */
export function toWellFormed(text: string): string {
  return LONE_SURROGATE.test(text) ? text.replace(LONE_SURROGATES, "\ufffd") : text;
}

const whiteSpace = /^\p{White_Space}$/u;

/** Unicode White_Space (the `\s` of Oniguruma, Rust `char::is_whitespace`). */
export function isWhiteSpace(char: string): boolean {
  return whiteSpace.test(char);
}
