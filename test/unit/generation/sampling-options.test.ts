import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { OptionError } from "../../../src/errors.js";
import { DEFAULT_SEED, resolveSamplingOptions, type SamplingOptions } from "../../../src/generation/sampling-options.js";

describe("resolveSamplingOptions", () => {
  it("applies the defaults", () => {
    assert.deepEqual(resolveSamplingOptions({}), {
      temperature: 1,
      topK: 0,
      topP: 1,
      minP: 0,
      repetitionPenalty: 1,
      seed: DEFAULT_SEED,
      doSample: true,
    });
    assert.equal(resolveSamplingOptions({ temperature: undefined }).temperature, 1);
  });

  it("keeps given values", () => {
    const options = { temperature: 0.7, topK: 40, topP: 0.9, minP: 0.05, repetitionPenalty: 1.1, seed: -3, doSample: true };
    assert.deepEqual(resolveSamplingOptions(options), options);
  });

  it("makes temperature 0 or doSample false greedy", () => {
    assert.equal(resolveSamplingOptions({ temperature: 0 }).doSample, false);
    assert.equal(resolveSamplingOptions({ doSample: false, temperature: 0.8 }).doSample, false);
    assert.equal(resolveSamplingOptions({ temperature: 1e-6 }).doSample, true);
  });

  it("ignores keys it does not know", () => {
    const options = { maxTokens: 10, temperature: 0.5 } as SamplingOptions;
    assert.equal(resolveSamplingOptions(options).temperature, 0.5);
  });

  const invalid: [keyof SamplingOptions, unknown][] = [
    ["temperature", -0.1],
    ["temperature", Number.NaN],
    ["temperature", Infinity],
    ["temperature", "0.7"],
    ["topK", -1],
    ["topK", 2.5],
    ["topK", Number.NaN],
    ["topP", 0],
    ["topP", -0.5],
    ["topP", 1.01],
    ["topP", Number.NaN],
    ["minP", -0.01],
    ["minP", 1.5],
    ["minP", Number.NaN],
    ["repetitionPenalty", 0],
    ["repetitionPenalty", -1],
    ["repetitionPenalty", Number.NaN],
    ["repetitionPenalty", Infinity],
    ["seed", 0.5],
    ["seed", 2 ** 60],
    ["seed", "42"],
    ["seed", 42n],
    ["seed", null],
    ["doSample", "yes"],
    ["doSample", 1],
  ];
  for (const [option, value] of invalid) {
    it(`rejects ${option} = ${typeof value === "string" ? JSON.stringify(value) : typeof value === "bigint" ? `${value}n` : String(value)}`, () => {
      assert.throws(
        () => resolveSamplingOptions({ [option]: value } as SamplingOptions),
        (error: unknown) => error instanceof OptionError && error.option === option,
      );
    });
  }

  it("accepts the edges of each range", () => {
    const options = resolveSamplingOptions({ topP: 1, minP: 1, topK: 0, temperature: 0, repetitionPenalty: 1e-3, seed: Number.MIN_SAFE_INTEGER });
    assert.equal(options.minP, 1);
    assert.equal(resolveSamplingOptions({ topP: 1e-9, minP: 0 }).topP, 1e-9);
  });
});
