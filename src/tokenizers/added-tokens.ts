// Added tokens (tokenizer.json `added_tokens`, huggingface/tokenizers
// src/tokenizer/added_vocabulary.rs): strings that are cut out of the text
// before normalization and the model, and map straight to their id. Tokens
// with `normalized: false` are matched on the raw text, the others on the
// normalized text. Matching is leftmost-longest; lstrip/rstrip absorb the
// whitespace beside a token and single_word requires word boundaries.
import { escapeRegExp } from "./regex.js";

export interface AddedToken {
  id: number;
  content: string;
  special: boolean;
  singleWord: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
}

/** Receives either a run of plain text or one added token, with its start offset. */
export interface SegmentSink {
  text(segment: string, offset: number): void;
  token(id: number, offset: number, length: number): void;
}

class TokenMatcher {
  private readonly regex: RegExp | undefined;
  private readonly order: AddedToken[];
  constructor(tokens: readonly AddedToken[]) {
    this.order = tokens.filter((t) => t.content !== "").sort((a, b) => b.content.length - a.content.length || a.id - b.id);
    if (this.order.length === 0) return;
    const word = "[\\p{L}\\p{N}\\p{M}_]";
    const alternatives = this.order.map((t) => {
      let body = escapeRegExp(t.content);
      if (t.singleWord) body = `(?<!${word})${body}(?!${word})`;
      if (t.lstrip) body = `\\p{White_Space}*${body}`;
      if (t.rstrip) body = `${body}\\p{White_Space}*`;
      return `(${body})`;
    });
    this.regex = new RegExp(alternatives.join("|"), "gu");
  }

  split(text: string, base: number, sink: SegmentSink): void {
    if (this.regex === undefined) {
      if (text !== "") sink.text(text, base);
      return;
    }
    const regex = this.regex;
    regex.lastIndex = 0;
    let last = 0;
    let m: RegExpExecArray | null;
    while ((m = regex.exec(text)) !== null) {
      let group = 1;
      while (m[group] === undefined) group++;
      const token = this.order[group - 1]!;
      if (m.index > last) sink.text(text.slice(last, m.index), base + last);
      sink.token(token.id, base + m.index, m[0].length);
      last = m.index + m[0].length;
    }
    if (last < text.length) sink.text(text.slice(last), base + last);
  }
}

interface Matchers {
  raw: TokenMatcher;
  normalized: TokenMatcher;
}

export class AddedVocabulary {
  readonly tokens: readonly AddedToken[];
  private readonly byId = new Map<number, AddedToken>();
  private readonly byContent = new Map<string, AddedToken>();
  /** Matchers for tokens matched on raw and on normalized text. */
  private readonly all: Matchers;
  /** The same without the special tokens, made when first asked for. */
  private plain: Matchers | undefined;

  constructor(tokens: readonly AddedToken[]) {
    this.tokens = tokens;
    for (const t of tokens) {
      this.byId.set(t.id, t);
      this.byContent.set(t.content, t);
    }
    this.all = { raw: new TokenMatcher(tokens.filter((t) => !t.normalized)), normalized: new TokenMatcher(tokens.filter((t) => t.normalized)) };
  }

  get size(): number {
    return this.tokens.length;
  }

  get(id: number): AddedToken | undefined {
    return this.byId.get(id);
  }

  idOf(content: string): number | undefined {
    return this.byContent.get(content)?.id;
  }

  isSpecial(id: number): boolean {
    return this.byId.get(id)?.special ?? false;
  }

  private matchers(withSpecial: boolean): Matchers {
    if (withSpecial) return this.all;
    this.plain ??= {
      raw: new TokenMatcher(this.tokens.filter((t) => !t.normalized && !t.special)),
      normalized: new TokenMatcher(this.tokens.filter((t) => t.normalized && !t.special)),
    };
    return this.plain;
  }

  /** Cuts the tokens matched on raw text (normalized: false) out of `text`; special ones only when `withSpecial`. */
  splitRaw(text: string, sink: SegmentSink, withSpecial = true): void {
    this.matchers(withSpecial).raw.split(text, 0, sink);
  }

  /** Cuts the tokens matched on normalized text (normalized: true) out of a normalized segment; special ones only when `withSpecial`. */
  splitNormalized(text: string, base: number, sink: SegmentSink, withSpecial = true): void {
    this.matchers(withSpecial).normalized.split(text, base, sink);
  }
}
