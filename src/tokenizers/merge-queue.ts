// Pair merging for long words: a binary min-heap of (priority, position) over
// a doubly linked list of symbols. Each merge is O(log n) and stale heap
// entries are skipped when popped, so a word of n symbols costs O(n log n)
// (the naive rescan loop is O(n²)). Ties go to the leftmost pair, as in
// huggingface/tokenizers (BPE word.rs) and llama2.c run.c `encode()`.

/**
 * Repeatedly merges the adjacent pair with the lowest priority (leftmost on
 * ties). `priority(a, b)` is a non-negative integer, or -1 when the pair does
 * not merge; `merged(a, b, priority)` is the id the pair becomes. When
 * `positions` is given it receives, for each resulting symbol, the index of
 * its first initial symbol.
 */
export function mergeWithHeap(
  symbols: Int32Array,
  priority: (left: number, right: number) => number,
  merged: (left: number, right: number, priority: number) => number,
  positions?: number[],
): Int32Array {
  const n = symbols.length;
  if (n < 2) {
    if (n === 1) positions?.push(0);
    return symbols.slice();
  }
  const sym = symbols.slice();
  const next = new Int32Array(n);
  const prev = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  const heap = new MinHeap(3 * n + 4);
  const push = (pos: number): void => {
    const q = next[pos]!;
    if (q < 0) return;
    const p = priority(sym[pos]!, sym[q]!);
    if (p >= 0) heap.push(p * n + pos);
  };
  for (let i = 0; i + 1 < n; i++) push(i);
  while (heap.size > 0) {
    const key = heap.pop();
    const p = Math.floor(key / n);
    const pos = key - p * n;
    const q = next[pos]!;
    // Stale entry: the symbol was merged away, or the pair changed since it was queued.
    if (sym[pos]! < 0 || q < 0 || priority(sym[pos]!, sym[q]!) !== p) continue;
    sym[pos] = merged(sym[pos]!, sym[q]!, p);
    sym[q] = -1;
    const after = next[q]!;
    next[pos] = after;
    if (after >= 0) prev[after] = pos;
    if (prev[pos]! >= 0) push(prev[pos]!);
    push(pos);
  }
  const out: number[] = [];
  for (let i = 0; i >= 0; i = next[i]!) {
    out.push(sym[i]!);
    positions?.push(i);
  }
  return Int32Array.from(out);
}

/** A binary min-heap of non-negative numbers in a preallocated Float64Array. */
class MinHeap {
  private readonly items: Float64Array;
  size = 0;
  constructor(capacity: number) {
    this.items = new Float64Array(capacity);
  }
  push(value: number): void {
    const a = this.items;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (a[parent]! <= value) break;
      a[i] = a[parent]!;
      i = parent;
    }
    a[i] = value;
  }
  pop(): number {
    const a = this.items;
    const top = a[0]!;
    const last = a[--this.size]!;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= this.size) break;
      if (child + 1 < this.size && a[child + 1]! < a[child]!) child++;
      if (a[child]! >= last) break;
      a[i] = a[child]!;
      i = child;
    }
    a[i] = last;
    return top;
  }
}
