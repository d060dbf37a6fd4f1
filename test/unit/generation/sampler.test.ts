import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { InputError, OptionError } from "../../../src/errors.js";
import { Rng } from "../../../src/tensor/random.js";
import { Sampler } from "../../../src/generation/sampler.js";
import type { SamplingOptions } from "../../../src/generation/sampling-options.js";

function logitsOf(probabilities: readonly number[]): Float32Array {
  return Float32Array.from(probabilities, Math.log);
}

/** Random logits in [-scale, scale). */
function randomLogits(rng: Rng, size: number, scale = 5): Float32Array {
  return Float32Array.from({ length: size }, () => (rng.nextFloat() * 2 - 1) * scale);
}

/** Distinct logits (a shuffled ramp 0.01 apart): no near-ties for greedy comparisons. */
function separatedLogits(rng: Rng, size: number): Float32Array {
  const logits = Float32Array.from({ length: size }, (_, i) => i * 0.01 - 3);
  for (let i = size - 1; i > 0; i--) {
    const j = rng.nextUint32() % (i + 1);
    [logits[i], logits[j]] = [logits[j]!, logits[i]!];
  }
  return logits;
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** Empirical frequency of each id over `draws` samples. */
function frequencies(sampler: Sampler, logits: Float32Array, draws: number): number[] {
  const counts = new Array<number>(logits.length).fill(0);
  for (let i = 0; i < draws; i++) counts[sampler.sample(logits)]!++;
  return counts.map((c) => c / draws);
}

/** Asserts only `support` is ever drawn, with frequencies close to `expected` (renormalised over the support). */
function assertDistribution(actual: number[], expected: Record<number, number>, tolerance = 0.015): void {
  const mass = Object.values(expected).reduce((a, b) => a + b, 0);
  for (let id = 0; id < actual.length; id++) {
    const want = (expected[id] ?? 0) / mass;
    if (want === 0) assert.equal(actual[id], 0, `id ${id} must never be drawn, drawn with frequency ${actual[id]}`);
    else assert.ok(Math.abs(actual[id]! - want) < tolerance, `id ${id}: frequency ${actual[id]}, expected ${want}`);
  }
}

const DRAWS = 20_000;

describe("Sampler", () => {
  it("gives identical sequences for the same seed and different ones for different seeds", () => {
    const logits = randomLogits(new Rng(1), 500, 2);
    const run = (options: SamplingOptions): number[] => {
      const sampler = new Sampler(500, options);
      return Array.from({ length: 64 }, () => sampler.sample(logits));
    };
    for (const options of [{}, { topK: 50 }, { topP: 0.9 }, { minP: 0.1 }, { topK: 20, topP: 0.8, minP: 0.05, temperature: 0.7 }]) {
      assert.deepEqual(run({ ...options, seed: 11 }), run({ ...options, seed: 11 }), JSON.stringify(options));
      assert.notDeepEqual(run({ ...options, seed: 11 }), run({ ...options, seed: 12 }), JSON.stringify(options));
    }
    // No seed: the fixed default, so still reproducible.
    assert.deepEqual(run({}), run({}));
  });

  it("greedy picks the argmax, the lowest id among ties", () => {
    const sampler = new Sampler(5, { doSample: false });
    assert.equal(sampler.sample(new Float32Array([1, 5, 5, 2, 5])), 1);
    assert.equal(sampler.sample(new Float32Array([-Infinity, -3, -2, -2, -7])), 2);
    assert.equal(sampler.sample(new Float32Array([Number.NaN, 0, 1, Number.NaN, 1])), 2);
    // Sampling with topK 1 breaks the tie the same way.
    assert.equal(new Sampler(5, { topK: 1 }).sample(new Float32Array([1, 5, 5, 2, 5])), 1);
  });

  it("topK = 1 equals greedy on random logits", () => {
    const rng = new Rng(3);
    const greedy = new Sampler(1000, { temperature: 0 });
    const topOne = new Sampler(1000, { topK: 1, seed: 4 });
    for (let trial = 0; trial < 300; trial++) {
      const logits = randomLogits(rng, 1000);
      const expected = argmax(logits);
      assert.equal(greedy.sample(logits), expected, `trial ${trial}`);
      assert.equal(topOne.sample(logits), expected, `trial ${trial}`);
    }
  });

  it("temperature 0 and temperature → 0 equal greedy", () => {
    const rng = new Rng(5);
    const samplers = [new Sampler(777, { temperature: 0 }), new Sampler(777, { temperature: 1e-6, seed: 9 })];
    for (let trial = 0; trial < 300; trial++) {
      const logits = separatedLogits(rng, 777);
      for (const sampler of samplers) assert.equal(sampler.sample(logits), argmax(logits), `trial ${trial}`);
    }
  });

  it("does not modify the caller's logits", () => {
    const logits = randomLogits(new Rng(6), 100);
    const before = Float32Array.from(logits);
    const options: SamplingOptions[] = [
      { temperature: 0.5, repetitionPenalty: 1.3, topK: 10, topP: 0.9, minP: 0.02 },
      { temperature: 0, repetitionPenalty: 1.3 },
      { temperature: 2 },
    ];
    for (const o of options) {
      const sampler = new Sampler(100, o);
      for (let i = 0; i < 10; i++) sampler.sample(logits, [0, 1, 2, 50, 99]);
    }
    assert.deepEqual(logits, before);
  });

  it("without filters draws from the softmax", () => {
    const logits = new Float32Array([1, 0, 2, -1, 0.5]);
    const exp = [...logits].map(Math.exp);
    assertDistribution(frequencies(new Sampler(5, { seed: 1 }), logits, DRAWS), { ...exp });
  });

  it("temperature reshapes the distribution as softmax(logits / T)", () => {
    const logits = new Float32Array([1, 0, 2, -1]);
    for (const temperature of [0.5, 2]) {
      const exp = [...logits].map((x) => Math.exp(x / temperature));
      assertDistribution(frequencies(new Sampler(4, { temperature, seed: 2 }), logits, DRAWS), { ...exp });
    }
  });

  it("top-k keeps the k most probable tokens, renormalised", () => {
    const probabilities = [0.1, 0.4, 0.05, 0.3, 0.15];
    const actual = frequencies(new Sampler(5, { topK: 2, seed: 3 }), logitsOf(probabilities), DRAWS);
    assertDistribution(actual, { 1: 0.4, 3: 0.3 });
    // topK ≥ vocabulary size keeps everything.
    assertDistribution(frequencies(new Sampler(5, { topK: 5, seed: 3 }), logitsOf(probabilities), DRAWS), { ...probabilities });
  });

  it("top-p keeps exactly the smallest nucleus", () => {
    const probabilities = [0.5, 0.3, 0.15, 0.05];
    const logits = logitsOf(probabilities);
    assertDistribution(frequencies(new Sampler(4, { topP: 0.8, seed: 4 }), logits, DRAWS), { 0: 0.5, 1: 0.3 });
    assertDistribution(frequencies(new Sampler(4, { topP: 0.81, seed: 4 }), logits, DRAWS), { 0: 0.5, 1: 0.3, 2: 0.15 });
    assertDistribution(frequencies(new Sampler(4, { topP: 0.3, seed: 4 }), logits, DRAWS), { 0: 1 });
    assertDistribution(frequencies(new Sampler(4, { topP: 1e-9, seed: 4 }), logits, 1000), { 0: 1 });
    // Sums that reach topP exactly on paper but a hair short in f32 still close the nucleus.
    assertDistribution(frequencies(new Sampler(3, { topP: 0.7, seed: 4 }), logitsOf([0.4, 0.3, 0.3]), DRAWS), { 0: 0.4, 1: 0.3 });
    // transformers' test_top_p_dist_warper rows.
    assertDistribution(frequencies(new Sampler(4, { topP: 0.8, seed: 4 }), logitsOf([0.3, 0.1, 0.1, 0.5]), DRAWS), { 0: 0.3, 3: 0.5 });
    const second = logitsOf([0.15, 0.3, 0.3, 0.25]);
    assertDistribution(frequencies(new Sampler(4, { topP: 0.8, seed: 4 }), second, DRAWS), { 1: 0.3, 2: 0.3, 3: 0.25 });
  });

  it("top-p finds the nucleus in a large vocabulary (llama2.c's cutoff path)", () => {
    // 0.5, 0.3, 0.15 on ids 700, 3, 250; 0.05 spread over the other 997 ids, shuffled.
    const probabilities = new Array<number>(1000).fill(0.05 / 997);
    probabilities[700] = 0.5;
    probabilities[3] = 0.3;
    probabilities[250] = 0.15;
    const logits = logitsOf(probabilities);
    assertDistribution(frequencies(new Sampler(1000, { topP: 0.8, seed: 5 }), logits, DRAWS), { 700: 0.5, 3: 0.3 });
    assertDistribution(frequencies(new Sampler(1000, { topP: 0.9, seed: 5 }), logits, DRAWS), { 700: 0.5, 3: 0.3, 250: 0.15 });
    // 0.96 needs 0.01 of the tail: the tokens are tied, so the lowest ids get in first.
    const actual = frequencies(new Sampler(1000, { topP: 0.96, seed: 5 }), logits, DRAWS);
    const tailIds = probabilities.map((_, id) => id).filter((id) => id !== 700 && id !== 3 && id !== 250);
    const tailNeeded = Math.ceil(0.01 / (0.05 / 997)); // 200 tail ids complete the nucleus
    const allowed = new Set(tailIds.slice(0, tailNeeded + 1)); // one more for rounding at the boundary
    const drawn = tailIds.filter((id) => actual[id]! > 0);
    assert.ok(drawn.length > tailNeeded / 2, `only ${drawn.length} tail ids drawn`);
    assert.deepEqual(drawn.filter((id) => !allowed.has(id)), [], "tail ids beyond the lowest 201 were drawn");
    const tailFrequency = drawn.reduce((sum, id) => sum + actual[id]!, 0);
    assert.ok(Math.abs(tailFrequency - 0.01 / 0.96) < 0.004, `tail frequency ${tailFrequency}`);
  });

  it("top-p breaks ties at the boundary by lower id", () => {
    // 0.4 + one of the three 0.2s reaches 0.55: the lowest id of the three gets in.
    const logits = logitsOf([0.2, 0.4, 0.2, 0.2]);
    assertDistribution(frequencies(new Sampler(4, { topP: 0.55, seed: 6 }), logits, DRAWS), { 0: 0.2, 1: 0.4 });
    const reordered = logitsOf([0.2, 0.2, 0.2, 0.4]);
    assertDistribution(frequencies(new Sampler(4, { topP: 0.55, seed: 6 }), reordered, DRAWS), { 0: 0.2, 3: 0.4 });
    // Two equal tokens, topP 0.1: llama2.c's cutoff (1 - topP)/(n - 1) = 0.9 would exclude both; one is kept.
    assertDistribution(frequencies(new Sampler(2, { topP: 0.1, seed: 6 }), new Float32Array([0, 0]), 1000), { 0: 1 });
  });

  it("top-k then top-p: top-p applies to the renormalised top-k distribution", () => {
    const logits = logitsOf([0.4, 0.3, 0.2, 0.1]);
    // Top-3 renormalised: 0.444, 0.333, 0.222; the first two reach 0.75.
    assertDistribution(frequencies(new Sampler(4, { topK: 3, topP: 0.75, seed: 7 }), logits, DRAWS), { 0: 0.4, 1: 0.3 });
    // Without top-k the first two sum to 0.7 < 0.75.
    assertDistribution(frequencies(new Sampler(4, { topP: 0.75, seed: 7 }), logits, DRAWS), { 0: 0.4, 1: 0.3, 2: 0.2 });
    // Top-p wider than top-k: top-k decides.
    assertDistribution(frequencies(new Sampler(4, { topK: 2, topP: 0.95, seed: 7 }), logits, DRAWS), { 0: 0.4, 1: 0.3 });
  });

  it("min-p drops tokens below minP times the top probability", () => {
    const probabilities = [0.05, 0.5, 0.2, 0.1, 0.15];
    const logits = logitsOf(probabilities);
    assertDistribution(frequencies(new Sampler(5, { minP: 0.35, seed: 8 }), logits, DRAWS), { 1: 0.5, 2: 0.2 });
    assertDistribution(frequencies(new Sampler(5, { minP: 0.19, seed: 8 }), logits, DRAWS), { 1: 0.5, 2: 0.2, 3: 0.1, 4: 0.15 });
    assertDistribution(frequencies(new Sampler(5, { minP: 1, seed: 8 }), logits, 1000), { 1: 1 });
    // With top-k and top-p: top-4 keeps 0.5, 0.2, 0.15, 0.1; top-p 0.99 keeps them all; min-p 0.25 keeps 0.5, 0.2, 0.15.
    const combined = new Sampler(5, { topK: 4, topP: 0.99, minP: 0.25, seed: 8 });
    assertDistribution(frequencies(combined, logits, DRAWS), { 1: 0.5, 2: 0.2, 4: 0.15 });
    // With top-p alone: the nucleus for 0.9 is 0.5, 0.2, 0.15, 0.1; min-p 0.25 trims it.
    assertDistribution(frequencies(new Sampler(5, { topP: 0.9, minP: 0.25, seed: 8 }), logits, DRAWS), { 1: 0.5, 2: 0.2, 4: 0.15 });
  });

  it("top-k and top-p keep the same ids as a full sort, ties included, on random logits", () => {
    // Logits on a coarse grid so that many tokens tie; the reference sorts by
    // (logit descending, id ascending) and takes prefixes.
    const rng = new Rng(12);
    const size = 60;
    for (let trial = 0; trial < 40; trial++) {
      const logits = Float32Array.from({ length: size }, () => (rng.nextUint32() % 5) * 0.5);
      const topK = trial % 3 === 0 ? 0 : 1 + (rng.nextUint32() % 30);
      const topP = trial % 3 === 1 ? 1 : 0.05 + 0.9 * rng.nextFloat();
      const ranking = [...logits.keys()].sort((a, b) => logits[b]! - logits[a]! || a - b);
      const weights = ranking.map((id) => Math.exp(logits[id]! - logits[ranking[0]!]!));
      let kept = topK > 0 ? topK : size;
      const mass = weights.slice(0, kept).reduce((x, y) => x + y, 0);
      if (topP < 1) {
        let cumulative = 0;
        for (let n = 1; n <= kept; n++) {
          cumulative += weights[n - 1]!;
          if (cumulative >= topP * mass) {
            kept = n;
            break;
          }
        }
      }
      const expected: Record<number, number> = {};
      for (let n = 0; n < kept; n++) expected[ranking[n]!] = weights[n]!;
      const label = `trial ${trial}: topK ${topK}, topP ${topP}`;
      const actual = frequencies(new Sampler(size, { topK, topP, seed: trial }), logits, 4000);
      for (let id = 0; id < size; id++) {
        if (expected[id] === undefined) assert.equal(actual[id], 0, `${label}: id ${id} is outside the kept set`);
      }
      assertDistribution(actual, expected, 0.04);
    }
  });

  it("applies the repetition penalty to previously seen ids", () => {
    const greedy = new Sampler(3, { temperature: 0, repetitionPenalty: 1.2 });
    assert.equal(greedy.sample(new Float32Array([3, 2.9, 0])), 0);
    assert.equal(greedy.sample(new Float32Array([3, 2.9, 0]), [0]), 1); // 3 / 1.2 = 2.5 < 2.9
    assert.equal(greedy.sample(new Float32Array([3, 2.4, 0]), [0]), 0); // 2.5 > 2.4
    assert.equal(greedy.sample(new Float32Array([-1, -1.1, -5]), [0]), 1); // -1 · 1.2 = -1.2 < -1.1
    // Sampling: logits [ln 2, ln 2] with id 0 penalised by 2 → weights 2^(1/2), 2.
    const sampler = new Sampler(2, { repetitionPenalty: 2, seed: 9 });
    const counts = [0, 0];
    const logits = new Float32Array([Math.LN2, Math.LN2]);
    for (let i = 0; i < DRAWS; i++) counts[sampler.sample(logits, [0])]!++;
    const expected = Math.SQRT2 / (Math.SQRT2 + 2);
    assert.ok(Math.abs(counts[0]! / DRAWS - expected) < 0.015, `frequency ${counts[0]! / DRAWS}, expected ${expected}`);
  });

  it("handles -Infinity and +Infinity logits", () => {
    const masked = new Float32Array([-Infinity, 0, -Infinity, 0]);
    assertDistribution(frequencies(new Sampler(4, { seed: 10 }), masked, DRAWS), { 1: 1, 3: 1 });
    const infinite = new Float32Array([Infinity, 3, Infinity, 0]);
    assertDistribution(frequencies(new Sampler(4, { seed: 10, topP: 0.9 }), infinite, DRAWS), { 0: 1, 2: 1 });
  });

  it("rejects logits it cannot sample from", () => {
    const sampler = new Sampler(4);
    assert.throws(() => sampler.sample(new Float32Array(3)), InputError);
    assert.throws(() => sampler.sample(new Float32Array(4).fill(-Infinity)), InputError);
    assert.throws(() => sampler.sample(new Float32Array([0, Number.NaN, 1, 2])), InputError);
    assert.throws(() => new Sampler(4, { temperature: 0 }).sample(new Float32Array(4).fill(Number.NaN)), InputError);
    // Previous ids are checked when the repetition penalty uses them.
    assert.throws(() => new Sampler(4, { repetitionPenalty: 1.1 }).sample(new Float32Array(4), [7]), InputError);
  });

  it("rejects invalid options and sizes", () => {
    assert.throws(() => new Sampler(10, { topP: 0 }), OptionError);
    assert.throws(() => new Sampler(10, { temperature: -1 }), OptionError);
    assert.throws(() => new Sampler(0), RangeError);
    assert.throws(() => new Sampler(2.5), RangeError);
  });
});
