// sentencepiece's own normalizer (normalizer.cc Normalizer::Normalize), used
// for .model files: at each position the user-defined symbol or charsmap rule
// with the longest match (else the character itself) is emitted; with
// remove_extra_whitespaces, leading, trailing and repeated spaces (after the
// rules, so e.g. tabs mapped to spaces count) are dropped; with
// add_dummy_prefix the text starts with a space; with escape_whitespaces
// every space is written "▁" (U+2581). Each output unit keeps the span of the
// input it came from; the dummy prefix is an empty span.
import type { AlignedText } from "./alignment.js";
import type { Normalizer } from "./normalizers.js";
import type { PrecompiledCharsmap } from "./precompiled-charsmap.js";
import type { PrefixTrie } from "./prefix-trie.js";

const SPACE_SYMBOL = "\u2581";

export interface SentencePieceNormalizerOptions {
  charsmap: PrecompiledCharsmap;
  /** USER_DEFINED pieces: matched before the rules and never normalized. */
  userDefined: PrefixTrie | undefined;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  escapeWhitespaces: boolean;
}

export class SentencePieceNormalizer implements Normalizer {
  constructor(readonly options: SentencePieceNormalizerOptions) {}

  /** The normalized prefix of text at `start` and how many code units it consumed; undefined when the character stays as it is. */
  private ruleAt(text: string, start: number): [string, number] | undefined {
    const { userDefined, charsmap } = this.options;
    if (userDefined !== undefined) {
      const length = userDefined.longestPrefix(text, start, text.length);
      if (length > 0) return [text.slice(start, start + length), length];
    }
    if (!charsmap.mayMatchAt(text, start)) return undefined;
    const rule = charsmap.longestMatch(text, start, text.length);
    return rule === undefined ? undefined : [rule.replacement, rule.length];
  }

  /**
   * Runs the normalizer, calling `emit(text, from, to, verbatim)` for each
   * output piece with the input span [from, to) it came from; `verbatim`
   * pieces are input text unchanged, unit for unit.
   */
  private run(text: string, emit: (piece: string, from: number, to: number, verbatim: boolean) => void): void {
    const { addDummyPrefix, removeExtraWhitespaces, escapeWhitespaces } = this.options;
    const space = escapeWhitespaces ? SPACE_SYMBOL : " ";
    const n = text.length;
    /** The normalized prefix at `at` (a rule's output or the character) and the units consumed. */
    const prefixAt = (at: number): [string, number] => {
      const rule = this.ruleAt(text, at);
      if (rule !== undefined) return rule;
      const width = text.codePointAt(at)! > 0xffff ? 2 : 1;
      return [text.slice(at, at + width), width];
    };
    let at = 0;
    if (removeExtraWhitespaces) {
      while (at < n) {
        const [piece, consumed] = prefixAt(at);
        if (piece !== " ") break;
        at += consumed;
      }
    }
    if (at >= n) return;
    if (addDummyPrefix) emit(space, at, at, false);
    let previousIsSpace = removeExtraWhitespaces;
    while (at < n) {
      // A run of characters without rules and without spaces is copied as it is.
      let plain = at;
      while (plain < n && text.charCodeAt(plain) !== 0x20 && this.ruleAt(text, plain) === undefined) plain += text.codePointAt(plain)! > 0xffff ? 2 : 1;
      if (plain > at) {
        emit(text.slice(at, plain), at, plain, true);
        at = plain;
        previousIsSpace = false;
        continue;
      }
      const [normalized, consumed] = prefixAt(at);
      let piece = normalized;
      if (previousIsSpace) while (piece.startsWith(" ")) piece = piece.slice(1);
      if (piece !== "") {
        emit(escapeWhitespaces ? piece.replaceAll(" ", SPACE_SYMBOL) : piece, at, at + consumed, false);
        previousIsSpace = piece.endsWith(" ");
      }
      at += consumed;
      if (!removeExtraWhitespaces) previousIsSpace = false;
    }
  }

  /** Drops trailing spaces (as written in the output) when remove_extra_whitespaces asks. */
  private trailingSpaces(text: string): number {
    if (!this.options.removeExtraWhitespaces) return 0;
    const space = this.options.escapeWhitespaces ? SPACE_SYMBOL : " ";
    let end = text.length;
    while (end > 0 && text.endsWith(space, end)) end -= space.length;
    return text.length - end;
  }

  normalize(text: string): string {
    const parts: string[] = [];
    this.run(text, (piece) => parts.push(piece));
    const out = parts.join("");
    return out.slice(0, out.length - this.trailingSpaces(out));
  }

  normalizeAligned(input: AlignedText): AlignedText {
    const out: AlignedText = { text: "", starts: [], ends: [] };
    const parts: string[] = [];
    this.run(input.text, (piece, from, to, verbatim) => {
      parts.push(piece);
      if (verbatim) {
        for (let k = from; k < to; k++) {
          out.starts.push(input.starts[k]!);
          out.ends.push(input.ends[k]!);
        }
        return;
      }
      const start = from < input.starts.length ? input.starts[from]! : (input.ends[input.ends.length - 1] ?? 0);
      const end = to > from ? input.ends[to - 1]! : start;
      for (let k = 0; k < piece.length; k++) {
        out.starts.push(start);
        out.ends.push(end);
      }
    });
    out.text = parts.join("");
    const drop = this.trailingSpaces(out.text);
    if (drop > 0) {
      out.text = out.text.slice(0, out.text.length - drop);
      out.starts.length = out.text.length;
      out.ends.length = out.text.length;
    }
    return out;
  }
}
