// Character spans of WordPiece tokens in the original text: which characters of
// the text the user gave (UTF-16 indices, end exclusive, as String.slice takes
// them) each token came from, for NER entities and the like.
//
// The tokenizer layer does not report offsets yet, so the spans are recovered
// by alignment. BERT's normalizer works character by character (drop control
// characters, whitespace → space, NFD + strip accents, lowercase), so both the
// text and each token piece are folded the same way, character by character
// — NFD, combining marks removed, lowercased — and each token is matched at the
// cursor in the folded text, whose every unit remembers the original character
// it came from. Folding both sides makes cased and uncased vocabularies, and
// accented or composed/decomposed input, line up. [UNK] covers one BERT word
// (a run of letters, or one punctuation mark or CJK ideograph); special tokens
// map to their literal text when it is next in the input ("[MASK]"), else to null.
// A character that folds to nothing (a separate combining accent, a control
// character) joins the span of the character before it, as HF's offsets do.

import { isBertOther } from "../tokenizers/bert-other-chars.js";
import { isCjkIdeograph } from "../tokenizers/normalizers.js";
import type { TextTokenizer } from "../tokenizers/tokenizer.js";
import { isWhiteSpace } from "../tokenizers/unicode-text.js";

/** [start, end) in UTF-16 units of the original text. */
export interface CharSpan {
  readonly start: number;
  readonly end: number;
}

export type SpanTokenizer = Pick<TextTokenizer, "idToToken" | "isSpecialToken" | "unkTokenId">;

const MARKS = /\p{Mn}/gu;
/** BERT's punctuation: ASCII symbols and Unicode P*. */
const PUNCTUATION = /^[!-/:-@[-`{-~\p{P}]$/u;

/** One character as BERT's normalizer sees it: "" for control characters, " " for whitespace, else accent-free lowercase. */
function foldChar(ch: string): string {
  const cp = ch.codePointAt(0)!;
  if (cp === 0 || cp === 0xfffd || isBertOther(cp)) return "";
  if (isWhiteSpace(ch) || ch === "\t" || ch === "\n" || ch === "\r") return " ";
  return ch.normalize("NFD").replace(MARKS, "").toLowerCase().normalize("NFD").replace(MARKS, "");
}

/** A string folded character by character as the aligner compares text (exported for tests). */
export function foldForAlignment(text: string): string {
  let out = "";
  for (const ch of text) out += foldChar(ch);
  return out;
}

/** The folded text and, for each of its UTF-16 units, the original character it came from. */
class FoldedText {
  readonly folded: string;
  readonly starts: number[] = [];
  readonly ends: number[] = [];

  constructor(readonly original: string) {
    let folded = "";
    let index = 0;
    for (const ch of original) {
      const f = foldChar(ch);
      // A character that folds away (a combining accent, a control character) belongs to the one before it.
      if (f === "" && this.ends.length > 0 && this.ends[this.ends.length - 1] === index) {
        for (let u = this.ends.length - 1; u >= 0 && this.ends[u] === index; u--) this.ends[u] = index + ch.length;
      }
      for (let u = 0; u < f.length; u++) {
        this.starts.push(index);
        this.ends.push(index + ch.length);
      }
      folded += f;
      index += ch.length;
    }
    this.folded = folded;
  }

  /** First folded unit at or after `cursor` that is not a space. */
  skipSpaces(cursor: number): number {
    while (cursor < this.folded.length && this.folded[cursor] === " ") cursor++;
    return cursor;
  }

  /** Folded index of the first unit whose original character starts at or after `originalIndex`. */
  atOriginal(originalIndex: number): number {
    let i = 0;
    while (i < this.starts.length && this.starts[i]! < originalIndex) i++;
    return i;
  }
}

/**
 * The span of each token of `ids` (as `tokenizer.encode(text)` returned them)
 * in `text`, or null for tokens that are not in the text ([CLS], [SEP]).
 */
export function alignTokenSpans(
  tokenizer: SpanTokenizer,
  text: string,
  ids: readonly number[],
  continuingSubwordPrefix = "##",
): (CharSpan | null)[] {
  const t = new FoldedText(text);
  let cursor = 0; // in folded units
  return ids.map((id): CharSpan | null => {
    const token = tokenizer.idToToken(id) ?? "";
    if (id === tokenizer.unkTokenId) return unknownWord();
    if (tokenizer.isSpecialToken(id)) {
      // Added special tokens are cut out of the raw text verbatim ("[MASK]"): next in the text, or nowhere.
      const from = cursor < t.starts.length ? t.starts[cursor]! : text.length;
      const at = token === "" ? -1 : text.indexOf(token, from);
      if (at === -1 || foldForAlignment(text.slice(from, at)).trim() !== "") return null;
      cursor = t.atOriginal(at + token.length);
      return { start: at, end: at + token.length };
    }
    const piece = token.startsWith(continuingSubwordPrefix) ? token.slice(continuingSubwordPrefix.length) : token;
    const target = foldForAlignment(piece);
    if (target === "") return null;
    const here = t.skipSpaces(cursor);
    const at = t.folded.startsWith(target, here) ? here : t.folded.indexOf(target, here);
    if (at === -1) return null;
    cursor = at + target.length;
    return { start: t.starts[at]!, end: t.ends[at + target.length - 1]! };
  });

  /** [UNK] stands for one whole BERT word: a punctuation mark or CJK ideograph alone, else a run up to the next space, mark or ideograph. */
  function unknownWord(): CharSpan | null {
    const first = t.skipSpaces(cursor);
    if (first >= t.folded.length) return null;
    const start = t.starts[first]!;
    const isBoundary = (i: number): boolean => {
      const ch = String.fromCodePoint(text.codePointAt(t.starts[i]!)!);
      return PUNCTUATION.test(ch) || isCjkIdeograph(ch.codePointAt(0)!);
    };
    let last = first;
    if (!isBoundary(first)) {
      while (last + 1 < t.folded.length && t.folded[last + 1] !== " " && !isBoundary(last + 1)) last++;
    } else {
      while (last + 1 < t.folded.length && t.starts[last + 1] === start) last++;
    }
    cursor = last + 1;
    return { start, end: t.ends[last]! };
  }
}
