// The seeded random number generator of the whole library (sampling, weight
// initialisation, LoRA init, data order): xoshiro128** (Blackman &
// Vigna, https://prng.di.unimi.it/xoshiro128starstar.c), its 128-bit state
// filled from two outputs of splitmix64 (https://prng.di.unimi.it/splitmix64.c)
// as the authors recommend. Only 32-bit integer arithmetic (Math.imul, shifts)
// runs per draw, so a seed gives the same sequence on every platform.
import { OptionError } from "../errors.js";

const TWO_POW_MINUS_53 = 2 ** -53;
const MASK_64 = (1n << 64n) - 1n;

/** splitmix64 step on a 64-bit state; returns [next state, output]. Used only to seed. */
function splitmix64(state: bigint): [bigint, bigint] {
  const next = (state + 0x9e3779b97f4a7c15n) & MASK_64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK_64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK_64;
  return [next, z ^ (z >> 31n)];
}

/**
 * xoshiro128** seeded by splitmix64.
 *
 * The seed is any safe integer; negative seeds are taken as their 64-bit two's
 * complement. splitmix64 runs twice from the seed; the low then high 32 bits of
 * its first output become state words 0 and 1, those of its second words 2 and 3.
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: number) {
    if (typeof seed !== "number" || !Number.isSafeInteger(seed)) {
      throw new OptionError("seed", `expected a safe integer, got ${String(seed)}`);
    }
    const [state, first] = splitmix64(BigInt.asUintN(64, BigInt(seed)));
    const [, second] = splitmix64(state);
    // splitmix64's output function is a bijection and the two states differ, so
    // the outputs differ and the state is never all zero (xoshiro's one bad state).
    this.s0 = Number(first & 0xffffffffn);
    this.s1 = Number(first >> 32n);
    this.s2 = Number(second & 0xffffffffn);
    this.s3 = Number(second >> 32n);
  }

  /** The next 32-bit output, an integer in [0, 2^32). */
  nextUint32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotateLeft(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotateLeft(this.s3, 11);
    return result >>> 0;
  }

  /** A uniform double in [0, 1) with 53 random bits (the top 27 and 26 bits of two draws). */
  nextFloat(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) * TWO_POW_MINUS_53;
  }
}

function rotateLeft(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
