// Text with, for each UTF-16 unit, the span [start, end) of the original text
// it came from. Normalizers carry it along so that token offsets can be given
// in the caller's string (huggingface/tokenizers NormalizedString alignments).

export interface AlignedText {
  text: string;
  starts: number[];
  ends: number[];
}

/** The identity alignment of `text`, shifted by `base`. */
export function alignedIdentity(text: string, base = 0): AlignedText {
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < text.length; ) {
    const width = text.codePointAt(i)! > 0xffff ? 2 : 1;
    for (let k = 0; k < width; k++) {
      starts.push(base + i);
      ends.push(base + i + width);
    }
    i += width;
  }
  return { text, starts, ends };
}

/** Replaces each code point by `map(codePoint)`; the output units take the code point's span. */
export function mapCodePoints(input: AlignedText, map: (char: string) => string): AlignedText {
  const out: AlignedText = { text: "", starts: [], ends: [] };
  const { text } = input;
  for (let i = 0; i < text.length; ) {
    const width = text.codePointAt(i)! > 0xffff ? 2 : 1;
    const replaced = map(text.slice(i, i + width));
    out.text += replaced;
    for (let k = 0; k < replaced.length; k++) {
      out.starts.push(input.starts[i]!);
      out.ends.push(input.ends[i + width - 1]!);
    }
    i += width;
  }
  return out;
}

/**
 * Replaces the matches of a global regex by `content`; the inserted units take
 * the span of the match's last character, as huggingface/tokenizers'
 * NormalizedString::replace aligns them.
 */
export function replaceAligned(input: AlignedText, regex: RegExp, content: string): AlignedText {
  const out: AlignedText = { text: "", starts: [], ends: [] };
  const { text } = input;
  const keep = (from: number, to: number): void => {
    out.text += text.slice(from, to);
    for (let i = from; i < to; i++) {
      out.starts.push(input.starts[i]!);
      out.ends.push(input.ends[i]!);
    }
  };
  regex.lastIndex = 0;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = regex.exec(text)) !== null) {
    if (m[0] === "") {
      regex.lastIndex++;
      continue;
    }
    keep(last, m.index);
    const lastUnit = m.index + m[0].length - 1;
    const start = input.starts[lastUnit]!;
    const end = input.ends[lastUnit]!;
    out.text += content;
    for (let k = 0; k < content.length; k++) {
      out.starts.push(start);
      out.ends.push(end);
    }
    last = m.index + m[0].length;
  }
  keep(last, text.length);
  return out;
}

/** Units [from, to) of an aligned text. */
export function sliceAligned(input: AlignedText, from: number, to: number): AlignedText {
  return { text: input.text.slice(from, to), starts: input.starts.slice(from, to), ends: input.ends.slice(from, to) };
}

/** Every unit spanning the whole input: the fallback when a normalizer cannot say more. */
export function coarseAlignment(input: AlignedText, text: string): AlignedText {
  const start = input.starts.length > 0 ? Math.min(...input.starts) : 0;
  const end = input.ends.length > 0 ? Math.max(...input.ends) : 0;
  return { text, starts: Array<number>(text.length).fill(start), ends: Array<number>(text.length).fill(end) };
}

/**
 * Applies an edit list the way huggingface/tokenizers' NormalizedString
 * `transform` does: each output character comes with a change, 0 to replace the
 * next input character (taking its span), 1 to be inserted (taking the span of
 * the input character before it), -k to replace the next input character and
 * remove the k after it. Input characters an edit list does not account for
 * shift the spans of what follows, exactly as in the reference.
 */
export function applyCharChanges(input: AlignedText, chars: readonly string[], changes: readonly number[]): AlignedText {
  const { text } = input;
  /** The first unit of each input character. */
  const charStarts: number[] = [];
  for (let i = 0; i < text.length; i += text.codePointAt(i)! > 0xffff ? 2 : 1) charStarts.push(i);
  const origin = input.starts[0] ?? 0;
  const spanOf = (char: number): [number, number] => {
    const unit = charStarts[Math.min(char, charStarts.length - 1)];
    return unit === undefined ? [origin, origin] : [input.starts[unit]!, input.ends[unit]!];
  };
  const out: AlignedText = { text: "", starts: [], ends: [] };
  let next = 0;
  chars.forEach((c, k) => {
    const change = changes[k]!;
    const [start, end] = change > 0 ? (next < 1 ? [origin, origin] : spanOf(next - 1)) : spanOf(next);
    if (change <= 0) next += 1 - change;
    out.text += c;
    for (let u = 0; u < c.length; u++) {
      out.starts.push(start);
      out.ends.push(end);
    }
  });
  return out;
}
