// The `Precompiled` normalizer of tokenizer.json (huggingface/tokenizers
// normalizers/precompiled.rs): SentencePiece's compiled rules, applied per
// extended grapheme cluster. A cluster shorter than 6 UTF-8 bytes that starts
// with a rule key is replaced whole by the replacement of the shortest such
// key (the rest of the cluster is dropped); otherwise each character is
// replaced by its own rule, if any. That is not what sentencepiece does
// (longest match at each position, see sentencepiece-normalizer.ts); the two
// differ on clusters such as "e" + two acute accents or half-width kana with
// a voiced mark, and tokenizer.json files follow this one.
//
// Offsets follow the reference's edit list: replaced characters keep their
// span, added ones take the span before them, removed ones widen the span of
// the character before them — and a removal at the very start shifts the spans
// after it by one character, as tokenizers does.
import { applyCharChanges, type AlignedText } from "./alignment.js";
import { forEachGrapheme } from "./graphemes.js";
import type { Normalizer } from "./normalizers.js";
import type { PrecompiledCharsmap } from "./precompiled-charsmap.js";

/** tokenizers applies a rule to a whole cluster only when the cluster is shorter than this many UTF-8 bytes. */
const WHOLE_CLUSTER_BYTES = 6;

function utf8Length(text: string, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

interface EditSink {
  keep(start: number, end: number): void;
  replace(start: number, end: number, replacement: string): void;
}

export class PrecompiledNormalizer implements Normalizer {
  constructor(readonly charsmap: PrecompiledCharsmap) {}

  /** Walks the clusters of `text` and reports, span by span, what stays and what is replaced. */
  private edit(text: string, sink: EditSink): void {
    const { charsmap } = this;
    forEachGrapheme(text, (start, end) => {
      if (end === start + 1 && !charsmap.mayMatchAt(text, start)) {
        sink.keep(start, end);
        return;
      }
      if (utf8Length(text, start, end) < WHOLE_CLUSTER_BYTES) {
        const whole = charsmap.shortestMatch(text, start, end);
        if (whole !== undefined) {
          sink.replace(start, end, whole.replacement);
          return;
        }
      }
      for (let i = start; i < end; ) {
        const width = text.codePointAt(i)! > 0xffff ? 2 : 1;
        const own = charsmap.shortestMatch(text, i, i + width);
        if (own !== undefined) sink.replace(i, i + width, own.replacement);
        else sink.keep(i, i + width);
        i += width;
      }
    });
  }

  normalize(text: string): string {
    if (this.charsmap.isIdentity) return text;
    // Edits come in text order: runs of kept text are copied as slices.
    const parts: string[] = [];
    let runStart = 0;
    let runEnd = 0;
    this.edit(text, {
      keep: (_start, end) => {
        runEnd = end;
      },
      replace: (start, end, replacement) => {
        parts.push(text.slice(runStart, start), replacement);
        runStart = runEnd = end;
      },
    });
    parts.push(text.slice(runStart, runEnd));
    return parts.join("");
  }

  normalizeAligned(input: AlignedText): AlignedText {
    if (this.charsmap.isIdentity) return input;
    const { text } = input;
    const chars: string[] = [];
    const changes: number[] = [];
    this.edit(text, {
      keep: (start, end) => {
        chars.push(text.slice(start, end));
        changes.push(0);
      },
      replace: (start, end, replacement) => {
        let removed = 0;
        for (let i = start; i < end; i += text.codePointAt(i)! > 0xffff ? 2 : 1) removed++;
        const added = Array.from(replacement);
        for (const c of added) {
          chars.push(c);
          changes.push(0);
        }
        const diff = added.length - removed;
        // More characters than before: the last `diff` are insertions. Fewer: the last
        // edit so far (possibly one of an earlier cluster) also removes the difference.
        if (diff > 0) for (let k = changes.length - diff; k < changes.length; k++) changes[k] = 1;
        else if (diff < 0 && changes.length > 0) changes[changes.length - 1]! += diff;
      },
    });
    return applyCharChanges(input, chars, changes);
  }
}
