// Extended grapheme clusters (Unicode UAX #29), as Rust's unicode-segmentation
// `graphemes(true)` gives them to huggingface/tokenizers' Precompiled
// normalizer, from Intl.Segmenter. Two ASCII characters are always separate
// clusters except CR LF (no UAX #29 rule joins other ASCII pairs), so runs of
// ASCII are cut here and only the stretches around other characters go
// through the segmenter.

let segmenter: Intl.Segmenter | undefined;

const isAscii = (code: number): boolean => code < 0x80;
const CR = 0x0d;
const LF = 0x0a;

/** Calls `visit(start, end)` for each extended grapheme cluster of `text`, in order (UTF-16 offsets). */
export function forEachGrapheme(text: string, visit: (start: number, end: number) => void): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const code = text.charCodeAt(i);
    const next = i + 1 < n ? text.charCodeAt(i + 1) : -1;
    if (isAscii(code) && (next === -1 || isAscii(next))) {
      const end = code === CR && next === LF ? i + 2 : i + 1;
      visit(i, end);
      i = end;
      continue;
    }
    // A stretch that needs the segmenter ends where two ASCII characters meet (not CR LF).
    let k = i + 1;
    while (k < n && !(isAscii(text.charCodeAt(k - 1)) && isAscii(text.charCodeAt(k)) && !(text.charCodeAt(k - 1) === CR && text.charCodeAt(k) === LF))) k++;
    segmenter ??= new Intl.Segmenter(undefined, { granularity: "grapheme" });
    const stretch = text.slice(i, k);
    for (const { index, segment } of segmenter.segment(stretch)) visit(i + index, i + index + segment.length);
    i = k;
  }
}
