import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { OptionError } from "../../../src/errors.js";
import { Rng } from "../../../src/tensor/random.js";

// An independent, straightforward implementation of the published definitions
// (prng.di.unimi.it/splitmix64.c and xoshiro128starstar.c) in BigInt arithmetic.
const M32 = 0xffffffffn;
const M64 = (1n << 64n) - 1n;
function referenceRng(seed: number): () => number {
  let x = BigInt.asUintN(64, BigInt(seed));
  const splitmix64 = (): bigint => {
    x = (x + 0x9e3779b97f4a7c15n) & M64;
    let z = x;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
    return z ^ (z >> 31n);
  };
  const a = splitmix64();
  const b = splitmix64();
  const s = [a & M32, a >> 32n, b & M32, b >> 32n];
  const rotl = (v: bigint, k: bigint): bigint => ((v << k) | (v >> (32n - k))) & M32;
  return () => {
    const result = (rotl((s[1]! * 5n) & M32, 7n) * 9n) & M32;
    const t = (s[1]! << 9n) & M32;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11n);
    return Number(result);
  };
}

describe("Rng (xoshiro128** seeded by splitmix64)", () => {
  it("matches the outputs of the C reference code", () => {
    // Printed by the reference C functions (splitmix64.c, xoshiro128starstar.c), seeded as documented.
    const expected: [number, number[]][] = [
      [0, [3737715805, 2584255861, 2876756834, 3286328325, 1553311962, 1625202774, 3260698944, 2754151956]],
      [1, [1695105466, 1423115009, 634581793, 1068227753, 716759206, 4186505319, 3777694425, 2710820970]],
      [42, [1776835114, 4165204688, 17111135, 2317295270, 2792088233, 2554630222, 2940343271, 2244566231]],
      [-1, [477689756, 2493998634, 555695776, 607808419, 61340979, 301466976, 2478485284, 2565876330]],
      [Number.MAX_SAFE_INTEGER, [1233166643, 1287031142, 661813442, 2960669951, 2601079046, 1036114921, 2300589652, 2591400186]],
    ];
    for (const [seed, values] of expected) {
      const rng = new Rng(seed);
      assert.deepEqual(values.map(() => rng.nextUint32()), values, `seed ${seed}`);
    }
  });

  it("matches an independent BigInt implementation over long sequences", () => {
    for (const seed of [0, 7, 123456789, -987654321, 2 ** 40 + 3]) {
      const rng = new Rng(seed);
      const reference = referenceRng(seed);
      for (let i = 0; i < 2000; i++) assert.equal(rng.nextUint32(), reference(), `seed ${seed}, draw ${i}`);
    }
  });

  it("builds nextFloat from 27 + 26 bits of two draws", () => {
    const rng = new Rng(5);
    const reference = referenceRng(5);
    for (let i = 0; i < 1000; i++) {
      const expected = ((reference() >>> 5) * 2 ** 26 + (reference() >>> 6)) / 2 ** 53;
      assert.equal(rng.nextFloat(), expected);
    }
  });

  it("gives the same sequence for the same seed and different ones for different seeds", () => {
    const draw = (seed: number): number[] => {
      const rng = new Rng(seed);
      return Array.from({ length: 16 }, () => rng.nextUint32());
    };
    assert.deepEqual(draw(99), draw(99));
    assert.notDeepEqual(draw(99), draw(100));
    assert.notDeepEqual(draw(0), draw(-1));
  });

  it("draws floats in [0, 1), roughly uniform", () => {
    const rng = new Rng(2024);
    const bins = 16;
    const draws = 160_000;
    const counts = new Array<number>(bins).fill(0);
    let sum = 0;
    for (let i = 0; i < draws; i++) {
      const u = rng.nextFloat();
      assert.ok(u >= 0 && u < 1, `draw ${u} outside [0, 1)`);
      sum += u;
      counts[Math.floor(u * bins)]!++;
    }
    assert.ok(Math.abs(sum / draws - 0.5) < 0.005, `mean ${sum / draws}`);
    const expected = draws / bins;
    const chiSquare = counts.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0);
    // 15 degrees of freedom: P(chi² > 37.7) ≈ 0.001.
    assert.ok(chiSquare < 37.7, `chi-square ${chiSquare} over counts ${counts.join(",")}`);
  });

  it("rejects seeds that are not safe integers", () => {
    for (const seed of [1.5, Number.NaN, Infinity, 2 ** 53]) {
      assert.throws(() => new Rng(seed), OptionError, `seed ${seed}`);
    }
    assert.throws(() => new Rng("1" as unknown as number), OptionError);
  });
});
