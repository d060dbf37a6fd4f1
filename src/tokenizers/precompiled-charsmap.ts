// SentencePiece's precompiled normalization rules (NormalizerSpec
// precompiled_charsmap, the `Precompiled` normalizer of tokenizer.json): a
// little-endian u32 byte size of a double-array trie, the trie's 32-bit units
// (darts-clone layout), then a blob of NUL-terminated UTF-8 replacement
// strings. Each key of the trie is a UTF-8 string to replace; its value is the
// byte offset of its replacement in the blob. (sentencepiece normalizer.cc
// DecodePrecompiledCharsMap; darts-clone's unit encoding and
// commonPrefixSearch.)
//
// Rules are matched on the trie itself, walking the UTF-8 bytes of the text.
// darts-clone shares subtrees between keys (the nmt_nfkc map has ~225,000
// keys in ~45,000 units), so the loader checks the trie node by node rather
// than key by key: every reachable unit is visited once per UTF-8 state, a
// value must point inside the blob at valid UTF-8, and no key may end inside
// a character. A damaged trie is a ModelFormatError, never a wrong match.
import { ModelFormatError } from "../errors.js";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// darts-clone's 32-bit unit: bits 0-7 label, bit 8 has_leaf, bit 9 offset scale, bits 10-31 offset;
// a value unit has bit 31 set and the value in bits 0-30.
const hasLeaf = (unit: number): boolean => ((unit >>> 8) & 1) === 1;
const unitValue = (unit: number): number => unit & 0x7fffffff;
const unitLabel = (unit: number): number => (unit & 0x800000ff) >>> 0;
const unitOffset = (unit: number): number => (unit >>> 10) << ((unit & 0x200) >>> 6);

/** Continuation bytes still expected after a UTF-8 byte that starts a character (-1: not a start byte). */
function continuationsAfter(byte: number): number {
  if (byte < 0x80) return 0;
  if (byte >= 0xc2 && byte <= 0xdf) return 1;
  if (byte >= 0xe0 && byte <= 0xef) return 2;
  if (byte >= 0xf0 && byte <= 0xf4) return 3;
  return -1;
}

export interface CharsmapMatch {
  /** Code units of the text the rule covers. */
  length: number;
  replacement: string;
}

export class PrecompiledCharsmap {
  /** asciiStarts[c]: some rule starts with the ASCII character c. */
  private readonly asciiStarts = new Uint8Array(128);

  private constructor(
    private readonly units: Uint32Array,
    /** byte offset in the strings blob → the replacement string starting there. */
    private readonly replacements: ReadonlyMap<number, string>,
  ) {
    if (units.length === 0) return;
    const root = unitOffset(units[0]!);
    for (let c = 1; c < 128; c++) {
      const child = root ^ c;
      this.asciiStarts[c] = child < units.length && unitLabel(units[child]!) === c ? 1 : 0;
    }
  }

  /** False when no rule can match at `index` (a quick test for ASCII text). */
  mayMatchAt(text: string, index: number): boolean {
    if (this.units.length === 0) return false;
    const code = text.charCodeAt(index);
    return code >= 128 || this.asciiStarts[code] === 1;
  }

  /** A charsmap without rules: every character stays as it is. */
  static identity(): PrecompiledCharsmap {
    return new PrecompiledCharsmap(new Uint32Array(0), new Map());
  }

  /** Whether the charsmap has no rules. */
  get isIdentity(): boolean {
    return this.units.length === 0;
  }

  /** Parses and checks a charsmap blob; `file` and `field` name it in errors. */
  static parse(blob: Uint8Array, file: string, field: string): PrecompiledCharsmap {
    const fail = (detail: string): never => {
      throw new ModelFormatError(file, `${field}: ${detail}`);
    };
    if (blob.length <= 4) fail(`${blob.length} bytes; a precompiled charsmap needs a 4-byte trie size, the trie and the replacement strings`);
    const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
    const trieBytes = view.getUint32(0, true);
    if (trieBytes === 0 || trieBytes % 4 !== 0 || trieBytes > blob.length - 4) {
      fail(`trie size ${trieBytes} must be a positive multiple of 4 within the ${blob.length - 4} bytes after the size`);
    }
    const unitCount = trieBytes / 4;
    const units = new Uint32Array(unitCount);
    for (let i = 0; i < unitCount; i++) units[i] = view.getUint32(4 + 4 * i, true);
    const strings = blob.subarray(4 + trieBytes);

    const replacements = new Map<number, string>();
    const readReplacement = (offset: number, unit: number): void => {
      if (replacements.has(offset)) return;
      if (offset >= strings.length) fail(`trie unit ${unit} points at byte ${offset} of the ${strings.length}-byte replacement strings`);
      let end = offset;
      while (end < strings.length && strings[end] !== 0) end++;
      try {
        replacements.set(offset, strictUtf8.decode(strings.subarray(offset, end)));
      } catch {
        fail(`the replacement at byte ${offset} (trie unit ${unit}) is not valid UTF-8`);
      }
    };

    // Depth-first over (unit, continuation bytes expected), each pair once; paths that no
    // valid UTF-8 text can follow are not explored, since no input can reach them.
    const seen = new Uint8Array(unitCount * 4);
    const stack: number[] = [unitOffset(units[0]!), 0];
    while (stack.length > 0) {
      const expected = stack.pop()!;
      const base = stack.pop()!;
      // Inside a character only continuation bytes can follow; at a character start, ASCII or a lead byte.
      const [first, last] = expected > 0 ? [0x80, 0xbf] : [1, 0xf4];
      for (let label = first; label <= last; label++) {
        const child = base ^ label;
        if (child >= unitCount || unitLabel(units[child]!) !== label) continue;
        const after = expected > 0 ? expected - 1 : continuationsAfter(label);
        if (after < 0) continue;
        if (seen[child * 4 + after] === 1) continue;
        seen[child * 4 + after] = 1;
        const unit = units[child]!;
        const childBase = child ^ unitOffset(unit);
        if (hasLeaf(unit)) {
          if (after !== 0) fail(`trie unit ${child}: a rule key ends inside a UTF-8 character`);
          if (childBase >= unitCount) fail(`trie unit ${child}: its value unit ${childBase} is outside the ${unitCount}-unit trie`);
          readReplacement(unitValue(units[childBase]!), child);
        }
        stack.push(childBase, after);
      }
    }
    return new PrecompiledCharsmap(units, replacements);
  }

  /** The first (shortest) rule whose key is a prefix of text[start, end), as huggingface/tokenizers' Precompiled uses it. */
  shortestMatch(text: string, start: number, end: number): CharsmapMatch | undefined {
    return this.match(text, start, end, true);
  }

  /** The longest rule whose key is a prefix of text[start, end), as sentencepiece's normalizer uses it. */
  longestMatch(text: string, start: number, end: number): CharsmapMatch | undefined {
    return this.match(text, start, end, false);
  }

  /** Walks the trie along the UTF-8 bytes of text[start, end), character by character. */
  private match(text: string, start: number, end: number, first: boolean): CharsmapMatch | undefined {
    const units = this.units;
    if (units.length === 0) return undefined;
    let node = unitOffset(units[0]!);
    let found: CharsmapMatch | undefined;
    const bytes = [0, 0, 0, 0];
    for (let i = start; i < end; ) {
      const cp = text.codePointAt(i)!;
      const width = cp > 0xffff ? 2 : 1;
      const n = encodeUtf8(cp, bytes);
      let unit = 0;
      for (let k = 0; k < n; k++) {
        const child = node ^ bytes[k]!;
        unit = child < units.length ? units[child]! : 0;
        if (unitLabel(unit) !== bytes[k]) return found;
        node = child ^ unitOffset(unit);
      }
      i += width;
      if (hasLeaf(unit)) {
        found = { length: i - start, replacement: this.replacements.get(unitValue(units[node]!))! };
        if (first) return found;
      }
    }
    return found;
  }
}

/** Writes the UTF-8 bytes of a code point (a lone surrogate as U+FFFD) into `out`; returns how many. */
function encodeUtf8(cp: number, out: number[]): number {
  if (cp < 0x80) {
    out[0] = cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = 0xc0 | (cp >> 6);
    out[1] = 0x80 | (cp & 0x3f);
    return 2;
  }
  if (cp < 0x10000) {
    const c = cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp;
    out[0] = 0xe0 | (c >> 12);
    out[1] = 0x80 | ((c >> 6) & 0x3f);
    out[2] = 0x80 | (c & 0x3f);
    return 3;
  }
  out[0] = 0xf0 | (cp >> 18);
  out[1] = 0x80 | ((cp >> 12) & 0x3f);
  out[2] = 0x80 | ((cp >> 6) & 0x3f);
  out[3] = 0x80 | (cp & 0x3f);
  return 4;
}
