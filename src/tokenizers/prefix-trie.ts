// A trie over the UTF-16 code units of strings, each key holding an integer
// value: the piece vocabulary of the Unigram model and SentencePiece's
// user-defined symbols. `step` walks it one code unit at a time (the lattice's
// inner loop: every piece starting at a position in time proportional to the
// longest piece, not to the vocabulary, which keeps Unigram's Viterbi linear in
// the input length); `longestPrefix` finds the longest key at a position. The
// same role as the tries of sentencepiece (darts-clone) and
// huggingface/tokenizers; matching on code units instead of UTF-8 bytes finds
// the same keys, since both key and text are well-formed strings.
import { PairTable } from "./pair-table.js";

const NO_VALUE = -1;

export class PrefixTrie {
  /** (node, code unit) → child node; node 0 is the root. */
  private readonly children = new PairTable(1024);
  /** node → value, or NO_VALUE when no key ends there. */
  private values: Int32Array = new Int32Array(1024).fill(NO_VALUE);
  private nodes = 1;
  /** Number of keys. */
  size = 0;

  /** Adds `key` (non-empty) with a non-negative `value`; a key added twice keeps the last value. */
  set(key: string, value: number): void {
    let node = 0;
    for (let i = 0; i < key.length; i++) {
      const code = key.charCodeAt(i);
      let child = this.children.get(node, code);
      if (child < 0) {
        child = this.nodes++;
        if (child >= this.values.length) {
          const grown = new Int32Array(this.values.length * 2).fill(NO_VALUE);
          grown.set(this.values);
          this.values = grown;
        }
        this.children.set(node, code, child);
      }
      node = child;
    }
    if (this.values[node] === NO_VALUE) this.size++;
    this.values[node] = value;
  }

  /** The child of `node` along code unit `code`, or -1; the root is node 0. */
  step(node: number, code: number): number {
    return this.children.get(node, code);
  }

  /** The value of the key ending at `node`, or -1. */
  valueAt(node: number): number {
    return this.values[node]!;
  }

  /** The length of the longest key that is a prefix of text[start, end), or 0. */
  longestPrefix(text: string, start: number, end: number): number {
    let node = 0;
    let longest = 0;
    for (let i = start; i < end; i++) {
      node = this.children.get(node, text.charCodeAt(i));
      if (node < 0) break;
      if (this.values[node] !== NO_VALUE) longest = i + 1 - start;
    }
    return longest;
  }
}
