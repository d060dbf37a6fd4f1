// The characters BERT's text cleaning drops as "other" (huggingface/tokenizers
// src/normalizers/bert.rs `is_control`, which calls `is_other` of the
// unicode_categories 0.1.1 crate). That crate's "other" is narrower than
// Unicode's category C: control (Cc), format (Cf) and private use (Co) only —
// never unassigned code points (Cn: U+FFFE, U+FFFF, U+0378 … survive and become
// [UNK]) — and its format list is frozen at the Unicode version it was built
// from (U+0890, U+110CD or U+13430, format characters added since, survive too).
// JavaScript's \p{C} matches all of those, so the lists are spelled out here.
// Tab, line feed and carriage return are whitespace for BERT, not "other".

/** Inclusive [first, last] ranges, sorted. */
const OTHER_RANGES: readonly (readonly [number, number])[] = [
  // Cc
  [0x0000, 0x001f],
  [0x007f, 0x009f],
  // Cf, as listed by unicode_categories 0.1.1
  [0x00ad, 0x00ad],
  [0x0600, 0x0605],
  [0x061c, 0x061c],
  [0x06dd, 0x06dd],
  [0x070f, 0x070f],
  [0x180e, 0x180e],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x2064],
  [0x2066, 0x206f],
  // Co (Basic Multilingual Plane)
  [0xe000, 0xf8ff],
  // Cf
  [0xfeff, 0xfeff],
  [0xfff9, 0xfffb],
  [0x110bd, 0x110bd],
  [0x1bca0, 0x1bca3],
  [0x1d173, 0x1d17a],
  [0xe0001, 0xe0001],
  [0xe0020, 0xe007f],
  // Co (planes 15 and 16)
  [0xf0000, 0xffffd],
  [0x100000, 0x10fffd],
];

/** True for the code points BERT's clean_text treats as control characters and removes. */
export function isBertOther(codePoint: number): boolean {
  if (codePoint === 0x09 || codePoint === 0x0a || codePoint === 0x0d) return false;
  let low = 0;
  let high = OTHER_RANGES.length - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const [first, last] = OTHER_RANGES[mid]!;
    if (codePoint < first) high = mid - 1;
    else if (codePoint > last) low = mid + 1;
    else return true;
  }
  return false;
}
