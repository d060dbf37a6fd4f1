import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { InputError, OptionError } from "../../../src/errors.js";
import { PresenceFrequencyPenaltyProcessor, RepetitionPenaltyProcessor, TemperatureProcessor } from "../../../src/generation/logits-processors.js";

describe("RepetitionPenaltyProcessor", () => {
  it("divides positive and multiplies non-positive logits of seen ids", () => {
    const logits = new Float32Array([2, -2, 0, 1, 3]);
    new RepetitionPenaltyProcessor(5, 2).apply(logits, [0, 1, 2]);
    assert.deepEqual([...logits], [1, -4, 0, 1, 3]);
  });

  it("penalises each id once however often it was seen", () => {
    const logits = new Float32Array([8, -1, 4]);
    const processor = new RepetitionPenaltyProcessor(3, 2);
    processor.apply(logits, [0, 0, 0, 1, 1]);
    assert.deepEqual([...logits], [4, -2, 4]);
    // A second call starts afresh: the same ids are penalised again, once.
    processor.apply(logits, [0, 1, 0]);
    assert.deepEqual([...logits], [2, -4, 4]);
  });

  it("penalty below 1 rewards repetition", () => {
    const logits = new Float32Array([3, -3]);
    new RepetitionPenaltyProcessor(2, 0.5).apply(logits, [0, 1]);
    assert.deepEqual([...logits], [6, -1.5]);
  });

  it("leaves logits alone with penalty 1 or no previous ids", () => {
    const logits = new Float32Array([2, -2]);
    new RepetitionPenaltyProcessor(2, 1).apply(logits, [0, 1]);
    new RepetitionPenaltyProcessor(2, 3).apply(logits, []);
    assert.deepEqual([...logits], [2, -2]);
  });

  it("rejects ids outside the vocabulary and invalid penalties", () => {
    const processor = new RepetitionPenaltyProcessor(4, 1.3);
    for (const id of [4, -1, 1.5, Number.NaN]) {
      assert.throws(() => processor.apply(new Float32Array(4), [0, id]), InputError, `id ${id}`);
    }
    for (const penalty of [0, -1, Number.NaN, Infinity]) {
      assert.throws(() => new RepetitionPenaltyProcessor(4, penalty), OptionError, `penalty ${penalty}`);
    }
  });
});

describe("TemperatureProcessor", () => {
  it("divides every logit by the temperature", () => {
    const logits = new Float32Array([2, -1, 0, 0.3]);
    new TemperatureProcessor(0.5).apply(logits);
    assert.deepEqual([...logits], [4, -2, 0, Math.fround(Math.fround(0.3) / 0.5)]);
    new TemperatureProcessor(4).apply(logits);
    assert.deepEqual([...logits].slice(0, 3), [1, -0.5, 0]);
  });

  it("rejects temperatures that cannot scale", () => {
    for (const temperature of [0, -1, Number.NaN, Infinity]) {
      assert.throws(() => new TemperatureProcessor(temperature), OptionError, `temperature ${temperature}`);
    }
  });
});

describe("PresenceFrequencyPenaltyProcessor", () => {
  it("subtracts frequency × count + presence from each id seen, once per id", () => {
    const logits = new Float32Array([1, 1, 1, 1]);
    const processor = new PresenceFrequencyPenaltyProcessor(4, 0.5, 0.25);
    processor.apply(logits, [2, 0, 2, 2]);
    assert.deepEqual([...logits], [1 - 0.25 - 0.5, 1, 1 - 3 * 0.25 - 0.5, 1]);
    // Counts start from zero again on the next call.
    processor.apply(logits, [1]);
    assert.deepEqual([...logits], [0.25, 0.25, 1 - 3 * 0.25 - 0.5, 1]);
  });

  it("negative penalties favour what was said; zero penalties change nothing", () => {
    const logits = new Float32Array([0, 0]);
    new PresenceFrequencyPenaltyProcessor(2, -1, -0.5).apply(logits, [1, 1]);
    assert.deepEqual([...logits], [0, 2]);
    new PresenceFrequencyPenaltyProcessor(2, 0, 0).apply(logits, [0, 1, 1]);
    assert.deepEqual([...logits], [0, 2]);
  });

  it("rejects penalties outside [-2, 2] (NaN too) and ids outside the vocabulary, then works again", () => {
    for (const bad of [2.5, -3, Number.NaN, Infinity]) {
      assert.throws(() => new PresenceFrequencyPenaltyProcessor(3, bad, 0), OptionError, String(bad));
      assert.throws(() => new PresenceFrequencyPenaltyProcessor(3, 0, bad), OptionError, String(bad));
    }
    const processor = new PresenceFrequencyPenaltyProcessor(3, 1, 0);
    assert.throws(() => processor.apply(new Float32Array(3), [0, 3]), InputError);
    const logits = new Float32Array([0, 0, 0]);
    processor.apply(logits, [1]);
    assert.deepEqual([...logits], [0, -1, 0], "the failed call left no counts behind");
  });
});
