import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { InputError, OptionError } from "../../../src/errors.js";
import { RepetitionPenaltyProcessor, TemperatureProcessor } from "../../../src/generation/logits-processors.js";

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
