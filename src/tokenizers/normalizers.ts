// The normalizers of HF tokenizer.json (`normalizer` field), following
// huggingface/tokenizers src/normalizers: Unicode forms, Lowercase, Strip,
// StripAccents, Replace, Prepend, BertNormalizer and Sequence. Each maps the
// text of one segment (the pieces between added tokens) to new text.
import { isBertOther } from "./bert-other-chars.js";
import { coarseAlignment, mapCodePoints, replaceAligned, sliceAligned, type AlignedText } from "./alignment.js";
import { compileOnigurumaPattern, escapeRegExp } from "./regex.js";
import { isWhiteSpace } from "./unicode-text.js";

export interface Normalizer {
  normalize(text: string): string;
  /** The same, carrying each unit's span in the original text (for token offsets). */
  normalizeAligned(input: AlignedText): AlignedText;
}

/**
 * Alignment for normalizers that act on each code point alone; when the
 * per-code-point result differs from the whole-text result (composition,
 * reordering) every unit gets the whole span.
 */
function perCodePoint(normalizer: Normalizer, input: AlignedText): AlignedText {
  const out = mapCodePoints(input, (ch) => normalizer.normalize(ch));
  const whole = normalizer.normalize(input.text);
  return out.text === whole ? out : coarseAlignment(input, whole);
}

const CAPITAL_SIGMA = "\u03a3";

/** Lowercases character by character (Rust `char::to_lowercase`: no final-sigma rule). */
export function lowercasePerChar(text: string): string {
  if (!text.includes(CAPITAL_SIGMA)) return text.toLowerCase();
  return text.split(CAPITAL_SIGMA).map((part) => part.toLowerCase()).join("\u03c3");
}

export class UnicodeNormalizer implements Normalizer {
  constructor(readonly form: "NFC" | "NFD" | "NFKC" | "NFKD") {}
  normalize(text: string): string {
    return text.normalize(this.form);
  }
  normalizeAligned(input: AlignedText): AlignedText {
    // Compose or decompose each base character with its marks.
    const chunks = /\P{M}\p{M}*|\p{M}+/gu;
    const out: AlignedText = { text: "", starts: [], ends: [] };
    let m: RegExpExecArray | null;
    while ((m = chunks.exec(input.text)) !== null) {
      const normalized = m[0].normalize(this.form);
      out.text += normalized;
      for (let k = 0; k < normalized.length; k++) {
        out.starts.push(input.starts[m.index]!);
        out.ends.push(input.ends[m.index + m[0].length - 1]!);
      }
    }
    const whole = this.normalize(input.text);
    return out.text === whole ? out : coarseAlignment(input, whole);
  }
}

export class LowercaseNormalizer implements Normalizer {
  normalize(text: string): string {
    return lowercasePerChar(text);
  }
  normalizeAligned(input: AlignedText): AlignedText {
    return perCodePoint(this, input);
  }
}

export class StripNormalizer implements Normalizer {
  constructor(
    readonly left: boolean,
    readonly right: boolean,
  ) {}
  private bounds(text: string): [number, number] {
    let start = 0;
    let end = text.length;
    if (this.left) while (start < end && isWhiteSpace(text[start]!)) start++;
    if (this.right) while (end > start && isWhiteSpace(text[end - 1]!)) end--;
    return [start, end];
  }
  normalize(text: string): string {
    return text.slice(...this.bounds(text));
  }
  normalizeAligned(input: AlignedText): AlignedText {
    return sliceAligned(input, ...this.bounds(input.text));
  }
}

/** Removes combining marks (the text is expected to be decomposed, e.g. after NFD). */
export class StripAccentsNormalizer implements Normalizer {
  normalize(text: string): string {
    return text.replace(/\p{M}/gu, "");
  }
  normalizeAligned(input: AlignedText): AlignedText {
    return perCodePoint(this, input);
  }
}

export class ReplaceNormalizer implements Normalizer {
  private readonly regex: RegExp | undefined;
  constructor(
    readonly pattern: { string: string } | { regex: string },
    readonly content: string,
  ) {
    this.regex = "regex" in pattern ? compileOnigurumaPattern(pattern.regex) : undefined;
  }
  normalize(text: string): string {
    if (this.regex !== undefined) return text.replace(this.regex, () => this.content);
    const literal = (this.pattern as { string: string }).string;
    return literal === "" ? text : text.split(literal).join(this.content);
  }
  normalizeAligned(input: AlignedText): AlignedText {
    if (this.regex === undefined && (this.pattern as { string: string }).string === "") return input;
    const regex = this.regex ?? new RegExp(escapeRegExp((this.pattern as { string: string }).string), "gu");
    return replaceAligned(input, regex, this.content);
  }
}

/** Prepends a string to non-empty text (the SentencePiece dummy prefix "▁"). */
export class PrependNormalizer implements Normalizer {
  constructor(readonly prefix: string) {}
  normalize(text: string): string {
    return text === "" ? text : this.prefix + text;
  }
  normalizeAligned(input: AlignedText): AlignedText {
    if (input.text === "") return input;
    const n = this.prefix.length;
    return {
      text: this.prefix + input.text,
      starts: [...Array<number>(n).fill(input.starts[0]!), ...input.starts],
      ends: [...Array<number>(n).fill(input.ends[0]!), ...input.ends],
    };
  }
}

export interface BertNormalizerOptions {
  cleanText: boolean;
  handleChineseChars: boolean;
  /** null: same as lowercase (as in bert-base-uncased). */
  stripAccents: boolean | null;
  lowercase: boolean;
}

/** True for the CJK Unified Ideograph blocks BERT isolates as single words. */
export function isCjkIdeograph(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/** BertNormalizer: clean text, space out CJK ideographs, strip accents, lowercase (in that order). */
export class BertNormalizer implements Normalizer {
  constructor(readonly options: BertNormalizerOptions) {}
  normalize(text: string): string {
    const { cleanText, handleChineseChars, lowercase } = this.options;
    const stripAccents = this.options.stripAccents ?? lowercase;
    let out = text;
    if (cleanText || handleChineseChars) {
      let built = "";
      for (const ch of out) {
        const cp = ch.codePointAt(0)!;
        if (cleanText) {
          if (cp === 0 || cp === 0xfffd) continue;
          if (ch === "\t" || ch === "\n" || ch === "\r") {
            built += " ";
            continue;
          }
          if (isBertOther(cp)) continue;
          if (isWhiteSpace(ch)) {
            built += " ";
            continue;
          }
        }
        built += handleChineseChars && isCjkIdeograph(cp) ? ` ${ch} ` : ch;
      }
      out = built;
    }
    if (stripAccents) out = out.normalize("NFD").replace(/\p{Mn}/gu, "");
    if (lowercase) out = lowercasePerChar(out);
    return out;
  }
  normalizeAligned(input: AlignedText): AlignedText {
    return perCodePoint(this, input);
  }
}

export class SequenceNormalizer implements Normalizer {
  constructor(readonly normalizers: readonly Normalizer[]) {}
  normalize(text: string): string {
    let out = text;
    for (const n of this.normalizers) out = n.normalize(out);
    return out;
  }
  normalizeAligned(input: AlignedText): AlignedText {
    let out = input;
    for (const n of this.normalizers) out = n.normalizeAligned(out);
    return out;
  }
}
