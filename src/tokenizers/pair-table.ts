// An open-addressing hash table from a pair of non-negative int32 ids to an
// int32 value (BPE merge ranks, merged ids). Faster than a Map keyed by
// `left * size + right`, whose keys overflow V8's small integers.

export class PairTable {
  private lefts: Int32Array;
  private rights: Int32Array;
  private values: Int32Array;
  private mask: number;
  size = 0;

  constructor(expected = 16) {
    let capacity = 16;
    while (capacity < expected * 2) capacity *= 2;
    this.lefts = new Int32Array(capacity).fill(-1);
    this.rights = new Int32Array(capacity);
    this.values = new Int32Array(capacity);
    this.mask = capacity - 1;
  }

  private slot(left: number, right: number): number {
    let h = Math.imul(left, 0x9e3779b1) ^ Math.imul(right, 0x85ebca6b);
    h ^= h >>> 15;
    let i = h & this.mask;
    for (;;) {
      const l = this.lefts[i]!;
      if (l === -1 || (l === left && this.rights[i] === right)) return i;
      i = (i + 1) & this.mask;
    }
  }

  /** The value stored for (left, right), or -1. */
  get(left: number, right: number): number {
    const i = this.slot(left, right);
    return this.lefts[i] === -1 ? -1 : this.values[i]!;
  }

  has(left: number, right: number): boolean {
    return this.lefts[this.slot(left, right)] !== -1;
  }

  set(left: number, right: number, value: number): void {
    if ((this.size + 1) * 2 > this.lefts.length) this.grow();
    const i = this.slot(left, right);
    if (this.lefts[i] === -1) this.size++;
    this.lefts[i] = left;
    this.rights[i] = right;
    this.values[i] = value;
  }

  private grow(): void {
    const { lefts, rights, values } = this;
    this.lefts = new Int32Array(lefts.length * 2).fill(-1);
    this.rights = new Int32Array(lefts.length * 2);
    this.values = new Int32Array(lefts.length * 2);
    this.mask = this.lefts.length - 1;
    this.size = 0;
    for (let i = 0; i < lefts.length; i++) if (lefts[i] !== -1) this.set(lefts[i]!, rights[i]!, values[i]!);
  }
}
