// A trie over the UTF-16 code units of strings, each key holding an integer
// value: the piece vocabulary of the Unigram model and the rule keys of a
// SentencePiece normalization charsmap. `prefixesAt` lists every key that is
// a prefix of the text at a position, shortest first, in time proportional to
// the longest key (not to the vocabulary), which is what keeps Unigram's
// Viterbi lattice linear in the input length. The same role as the
// double-array trie of sentencepiece (darts-clone) and of huggingface/tokenizers'
// Unigram trie; matching on code units instead of UTF-8 bytes finds the same
// keys, since both key and text are well-formed strings.
import { PairTable } from "./pair-table.js";

const NO_VALUE = -1;

export class PrefixTrie {
  /** (node, code unit) → child node; node 0 is the root. */
  private readonly children = new PairTable(1024);
  /** node → value, or NO_VALUE when no key ends there. */
  private values: Int32Array = new Int32Array(1024).fill(NO_VALUE);
  private nodes = 1;
  /** The longest key, in code units. */
  maxKeyLength = 0;
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
    this.maxKeyLength = Math.max(this.maxKeyLength, key.length);
  }

  /** The child of `node` along code unit `code`, or -1; the root is node 0. */
  step(node: number, code: number): number {
    return this.children.get(node, code);
  }

  /** The value of the key ending at `node`, or -1. */
  valueAt(node: number): number {
    return this.values[node]!;
  }

  get(key: string): number | undefined {
    let node = 0;
    for (let i = 0; i < key.length && node >= 0; i++) node = this.children.get(node, key.charCodeAt(i));
    const value = node >= 0 ? this.values[node]! : NO_VALUE;
    return value === NO_VALUE ? undefined : value;
  }

  /**
   * Calls `visit(length, value)` for every key that is a prefix of
   * `text.slice(start, end)`, shortest first; stops early when `visit` returns true.
   */
  prefixesAt(text: string, start: number, end: number, visit: (length: number, value: number) => boolean | void): void {
    let node = 0;
    for (let i = start; i < end; i++) {
      node = this.children.get(node, text.charCodeAt(i));
      if (node < 0) return;
      const value = this.values[node]!;
      if (value !== NO_VALUE && visit(i + 1 - start, value) === true) return;
    }
  }
}
