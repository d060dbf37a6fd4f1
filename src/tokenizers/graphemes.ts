// Extended grapheme clusters (Unicode UAX #29), as Rust's unicode-segmentation
// `graphemes(true)` gives them to huggingface/tokenizers' Precompiled
// normalizer, from Intl.Segmenter. Two ASCII characters are always separate
// clusters except CR LF (no UAX #29 rule joins other ASCII pairs), so runs of
// ASCII are cut here and only the stretches around other characters go
// through the segmenter.
//
// V8's segmenter slows down quadratically on long strings, so a stretch is
// fed to it in windows: every cluster of a window but the last is final (a
// boundary depends on the characters before it and the one after it, and the
// window starts at a boundary); the next window starts at that last cluster.
// A cluster longer than the window doubles the window.

let segmenter: Intl.Segmenter | undefined;

const isAscii = (code: number): boolean => code < 0x80;
const CR = 0x0d;
const LF = 0x0a;
/** Code units per segmenter call, to start with. */
const WINDOW = 64;

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
    segmentStretch(text, i, k, visit);
    i = k;
  }
}

function segmentStretch(text: string, start: number, end: number, visit: (start: number, end: number) => void): void {
  segmenter ??= new Intl.Segmenter(undefined, { granularity: "grapheme" });
  let at = start;
  let window = WINDOW;
  while (at < end) {
    let stop = Math.min(end, at + window);
    // Never cut a surrogate pair: the character after a boundary decides it.
    const last = text.charCodeAt(stop - 1);
    if (stop < end && last >= 0xd800 && last <= 0xdbff) stop++;
    const clusters: number[] = [];
    for (const { index } of segmenter.segment(text.slice(at, stop))) clusters.push(at + index);
    if (stop === end) {
      clusters.push(end);
      for (let c = 0; c + 1 < clusters.length; c++) visit(clusters[c]!, clusters[c + 1]!);
      return;
    }
    if (clusters.length < 2) {
      window *= 2;
      continue;
    }
    // The last cluster may go on past the window: it starts the next one.
    for (let c = 0; c + 1 < clusters.length; c++) visit(clusters[c]!, clusters[c + 1]!);
    at = clusters[clusters.length - 1]!;
    window = WINDOW;
  }
}
