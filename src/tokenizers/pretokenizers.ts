// The pre-tokenizers of HF tokenizer.json (`pre_tokenizer` field), following
// huggingface/tokenizers src/pre_tokenizers: ByteLevel (GPT-2 regex), Split
// (regex or string with the five delimiter behaviours), Whitespace,
// WhitespaceSplit, BertPreTokenizer, Metaspace, Digits, Punctuation, Sequence.
// A pre-tokenizer cuts one segment of normalized text into pieces ("words")
// that the model encodes independently; each piece carries its start offset.
import { splitGpt2 } from "./gpt2-scanner.js";
import { compileOnigurumaPattern, escapeRegExp } from "./regex.js";

/** Receives one piece and its start offset (UTF-16 units) in the segment. */
export type PieceSink = (piece: string, offset: number) => void;

export interface PreTokenizer {
  /** `atStart`: the segment begins at the start of the input text (Metaspace "first"). */
  split(text: string, sink: PieceSink, atStart: boolean): void;
}

/** GPT-2's pattern, as the ByteLevel pre-tokenizer uses it (Oniguruma syntax). */
export const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

export type SplitBehavior = "Removed" | "Isolated" | "MergedWithPrevious" | "MergedWithNext" | "Contiguous";

/** Splits `text` at the matches of a global regex and emits pieces as `behavior` says. */
export function splitWithRegex(
  text: string,
  regex: RegExp,
  behavior: SplitBehavior,
  invert: boolean,
  sink: PieceSink,
  base = 0,
): void {
  if (text === "") return;
  regex.lastIndex = 0;
  if (behavior === "Isolated") {
    // Hot path (ByteLevel, Split Isolated): matches and the gaps between them.
    let last = 0;
    let m: RegExpExecArray | null;
    while ((m = regex.exec(text)) !== null) {
      const start = m.index;
      const match = m[0];
      if (match === "") {
        regex.lastIndex++;
        continue;
      }
      if (start > last) sink(text.slice(last, start), base + last);
      sink(match, base + start);
      last = start + match.length;
    }
    if (last < text.length) sink(text.slice(last), base + last);
    return;
  }
  // General case: a list of (start, end, isMatch) spans, then the behaviour.
  const spans: { start: number; end: number; isMatch: boolean }[] = [];
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = regex.exec(text)) !== null) {
    if (m[0] === "") {
      regex.lastIndex++;
      continue;
    }
    if (m.index > last) spans.push({ start: last, end: m.index, isMatch: invert });
    spans.push({ start: m.index, end: m.index + m[0].length, isMatch: !invert });
    last = m.index + m[0].length;
  }
  if (last < text.length) spans.push({ start: last, end: text.length, isMatch: invert });
  // huggingface/tokenizers' fold over the spans: a delimiter joins the piece
  // before (or after) it only when that piece is not itself a delimiter.
  const out: { start: number; end: number }[] = [];
  switch (behavior) {
    case "Removed":
      for (const s of spans) if (!s.isMatch) out.push({ start: s.start, end: s.end });
      break;
    case "MergedWithPrevious":
    case "Contiguous": {
      let previousMatch = false;
      for (const s of spans) {
        const joins = behavior === "Contiguous" ? s.isMatch === previousMatch : s.isMatch && !previousMatch;
        if (joins && out.length > 0) out[out.length - 1]!.end = s.end;
        else out.push({ start: s.start, end: s.end });
        previousMatch = s.isMatch;
      }
      break;
    }
    case "MergedWithNext": {
      let nextMatch = false;
      for (let k = spans.length - 1; k >= 0; k--) {
        const s = spans[k]!;
        if (s.isMatch && !nextMatch && out.length > 0) out[out.length - 1]!.start = s.start;
        else out.push({ start: s.start, end: s.end });
        nextMatch = s.isMatch;
      }
      out.reverse();
      break;
    }
    default:
      for (const s of spans) out.push({ start: s.start, end: s.end });
  }
  for (const s of out) if (s.end > s.start) sink(text.slice(s.start, s.end), base + s.start);
}

/**
 * ByteLevel: optional prefix space, then the GPT-2 pattern (matched by the
 * equivalent hand-written scanner of gpt2-scanner.ts). The mapping of bytes
 * to the byte-level alphabet is done by the BPE model (it reads the piece's
 * UTF-8 bytes directly), so pieces here are still plain text.
 */
export class ByteLevelPreTokenizer implements PreTokenizer {
  constructor(
    readonly addPrefixSpace: boolean,
    readonly useRegex: boolean,
  ) {}
  split(text: string, sink: PieceSink): void {
    if (text === "") return;
    let input = text;
    let base = 0;
    if (this.addPrefixSpace && !text.startsWith(" ")) {
      input = ` ${text}`;
      base = -1;
    }
    if (this.useRegex) splitGpt2(input, sink, base);
    else sink(input, base);
  }
}

export class SplitPreTokenizer implements PreTokenizer {
  private readonly regex: RegExp;
  constructor(
    pattern: { string: string } | { regex: string },
    readonly behavior: SplitBehavior,
    readonly invert: boolean,
  ) {
    this.regex = "regex" in pattern ? compileOnigurumaPattern(pattern.regex) : new RegExp(escapeRegExp(pattern.string), "gu");
  }
  split(text: string, sink: PieceSink): void {
    splitWithRegex(text, this.regex, this.behavior, this.invert, sink);
  }
}

const WORD_CLASS = "\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}";

/** Whitespace: `\w+|[^\w\s]+`. */
export class WhitespacePreTokenizer implements PreTokenizer {
  private readonly regex = new RegExp(`[${WORD_CLASS}]+|[^${WORD_CLASS}\\p{White_Space}]+`, "gu");
  split(text: string, sink: PieceSink): void {
    splitWithRegex(text, this.regex, "Removed", true, sink);
  }
}

export class WhitespaceSplitPreTokenizer implements PreTokenizer {
  private readonly regex = /\p{White_Space}+/gu;
  split(text: string, sink: PieceSink): void {
    splitWithRegex(text, this.regex, "Removed", false, sink);
  }
}

const PUNCTUATION = "!-/:-@\\[-`{-~\\p{P}";

/** BertPreTokenizer: whitespace removed, each punctuation character its own piece. */
export class BertPreTokenizer implements PreTokenizer {
  private readonly regex = new RegExp(`\\p{White_Space}+|[${PUNCTUATION}]`, "gu");
  private readonly whitespace = /^\p{White_Space}/u;
  split(text: string, sink: PieceSink): void {
    splitWithRegex(
      text,
      this.regex,
      "Isolated",
      false,
      (piece, offset) => {
        if (!this.whitespace.test(piece)) sink(piece, offset);
      },
    );
  }
}

export class PunctuationPreTokenizer implements PreTokenizer {
  private readonly regex = new RegExp(`[${PUNCTUATION}]`, "gu");
  constructor(readonly behavior: SplitBehavior) {}
  split(text: string, sink: PieceSink): void {
    splitWithRegex(text, this.regex, this.behavior, false, sink);
  }
}

export class DigitsPreTokenizer implements PreTokenizer {
  private readonly regex: RegExp;
  constructor(readonly individualDigits: boolean) {
    this.regex = individualDigits ? /\p{N}/gu : /\p{N}+/gu;
  }
  split(text: string, sink: PieceSink): void {
    splitWithRegex(text, this.regex, "Isolated", false, sink);
  }
}

export type PrependScheme = "always" | "first" | "never";

/**
 * Metaspace: spaces become the replacement ("▁"), optional prefix, and with
 * `split` a piece starts at every replacement character (tokenizers' split
 * MergedWithNext on a one-character delimiter: "▁a▁▁b" → "▁a", "▁", "▁b").
 */
export class MetaspacePreTokenizer implements PreTokenizer {
  constructor(
    readonly replacement: string,
    readonly prependScheme: PrependScheme,
    readonly splitPieces: boolean,
  ) {}
  split(text: string, sink: PieceSink, atStart: boolean): void {
    if (text === "") return;
    const r = this.replacement;
    let replaced = text.split(" ").join(r);
    let base = 0;
    const prepend = this.prependScheme === "always" || (this.prependScheme === "first" && atStart);
    if (prepend && !replaced.startsWith(r)) {
      replaced = r + replaced;
      base = -r.length;
    }
    if (!this.splitPieces) {
      sink(replaced, base);
      return;
    }
    let start = 0;
    for (let at = replaced.indexOf(r, r.length); at > 0; at = replaced.indexOf(r, at + r.length)) {
      sink(replaced.slice(start, at), base + start);
      start = at;
    }
    sink(replaced.slice(start), base + start);
  }
}

export class SequencePreTokenizer implements PreTokenizer {
  constructor(readonly preTokenizers: readonly PreTokenizer[]) {}
  split(text: string, sink: PieceSink, atStart: boolean): void {
    const run = (index: number, piece: string, offset: number, pieceAtStart: boolean): void => {
      const p = this.preTokenizers[index];
      if (p === undefined) {
        sink(piece, offset);
        return;
      }
      p.split(piece, (sub, subOffset) => run(index + 1, sub, offset + subOffset, pieceAtStart && offset + subOffset <= 0), pieceAtStart);
    };
    run(0, text, 0, atStart);
  }
}
