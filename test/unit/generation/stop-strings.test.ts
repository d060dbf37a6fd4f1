import assert from "node:assert/strict";
import { describe, it } from "node:test";

import { OptionError } from "../../../src/errors.js";
import { StopStringMatcher } from "../../../src/generation/stop-strings.js";

/** Feeds pieces; returns each push's result and the flushed rest. */
function run(stops: readonly string[], pieces: readonly string[]): { emitted: string[]; stoppedAt: number; flushed: string } {
  const matcher = new StopStringMatcher(stops);
  const emitted: string[] = [];
  let stoppedAt = -1;
  pieces.forEach((piece, i) => {
    const { text, stopped } = matcher.push(piece);
    emitted.push(text);
    if (stopped && stoppedAt === -1) stoppedAt = i;
  });
  return { emitted, stoppedAt, flushed: matcher.flush() };
}

describe("StopStringMatcher", () => {
  it("passes text straight through without stop strings", () => {
    assert.deepEqual(run([], ["Once", " upon", " a time"]), { emitted: ["Once", " upon", " a time"], stoppedAt: -1, flushed: "" });
  });

  it("stops inside one piece and drops the stop string and what follows", () => {
    assert.deepEqual(run(["\n\n"], ["Hello", " world\n\nNext", "more"]), {
      emitted: ["Hello", " world", ""],
      stoppedAt: 1,
      flushed: "",
    });
  });

  it("holds back a possible start and catches a stop string split over pieces", () => {
    assert.deepEqual(run(["</s>"], ["The end<", "/", "s", "> trailing"]), {
      emitted: ["The end", "", "", ""],
      stoppedAt: 3,
      flushed: "",
    });
  });

  it("releases held text when the stop string does not complete", () => {
    assert.deepEqual(run(["</s>"], ["a <", "/b", "> c </"]), {
      emitted: ["a ", "</b", "> c "],
      stoppedAt: -1,
      flushed: "</",
    });
  });

  it("stops at the earliest of several stop strings", () => {
    assert.deepEqual(run(["END", "STOP"], ["one STOP two END"]).emitted, ["one "]);
    assert.deepEqual(run(["END", "STOP"], ["one EN", "D two STOP"]), { emitted: ["one ", ""], stoppedAt: 1, flushed: "" });
    assert.deepEqual(run(["User:", "\nUser"], ["Hi\nUs", "er: x"]), { emitted: ["Hi", ""], stoppedAt: 1, flushed: "" });
  });

  it("handles stop strings whose prefixes overlap the text", () => {
    // "aab" after "aaa": the held "aa" is a prefix, the first "a" is not.
    assert.deepEqual(run(["aab"], ["aaa", "b"]), { emitted: ["a", ""], stoppedAt: 1, flushed: "" });
    // One stop string a prefix of another: the shorter completes first.
    assert.deepEqual(run(["ab", "abcd"], ["xa", "bc"]), { emitted: ["x", ""], stoppedAt: 1, flushed: "" });
    // The longest possible start is held: "abab" could begin "ababc".
    assert.deepEqual(run(["ababc"], ["xabab", "abc"]), { emitted: ["x", "ab"], stoppedAt: 1, flushed: "" });
  });

  it("after a stop, returns nothing more", () => {
    const matcher = new StopStringMatcher(["#"]);
    assert.deepEqual(matcher.push("a#b"), { text: "a", stopped: true });
    assert.deepEqual(matcher.push("more"), { text: "", stopped: true });
    assert.equal(matcher.flush(), "");
  });

  it("flush releases the held tail once", () => {
    const matcher = new StopStringMatcher(["<|im_end|>"]);
    assert.deepEqual(matcher.push("ok <|im"), { text: "ok ", stopped: false });
    assert.equal(matcher.flush(), "<|im");
    assert.equal(matcher.flush(), "");
  });

  it("rejects empty stop strings", () => {
    assert.throws(() => new StopStringMatcher(["ok", ""]), (error: unknown) => error instanceof OptionError && error.option === "stop");
    assert.throws(() => new StopStringMatcher([3 as unknown as string]), OptionError);
  });
});
