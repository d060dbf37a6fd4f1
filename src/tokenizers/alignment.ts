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

/** Replaces the matches of a global regex by `content`; inserted units span the whole match. */
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
    const start = input.starts[m.index]!;
    const end = input.ends[m.index + m[0].length - 1]!;
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
