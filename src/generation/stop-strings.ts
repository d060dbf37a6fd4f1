// Stop strings for streamed text, as llama.cpp's server handles them (a partial
// match at the end is held back, a full match cuts the text): text is released
// as soon as it cannot be the start of a stop string; a completed stop string
// ends the stream and is not emitted, nor is anything after it.
import { OptionError } from "../errors.js";

export interface StopStringResult {
  /** Text safe to emit now (possibly empty). */
  readonly text: string;
  /** A stop string completed: emit `text`, then stop generating. */
  readonly stopped: boolean;
}

/**
 * Fed the decoded pieces of a stream one at a time. Holds back the longest
 * tail that could begin a stop string, so a stop string split across pieces
 * is still caught; when several stop strings occur, the earliest wins.
 */
export class StopStringMatcher {
  private readonly stops: readonly string[];
  /** Text received but not yet released: a proper prefix of some stop string. */
  private pending = "";
  private stopped = false;

  constructor(stops: readonly string[]) {
    for (const [i, stop] of stops.entries()) {
      if (typeof stop !== "string" || stop.length === 0) {
        throw new OptionError("stop", `stop string ${i} must be a non-empty string, got ${JSON.stringify(stop)}`);
      }
    }
    this.stops = [...stops];
  }

  /** Adds a piece; returns what can be emitted now. After a stop, returns "" and stopped. */
  push(piece: string): StopStringResult {
    if (this.stopped) return { text: "", stopped: true };
    const text = this.pending + piece;
    let stopAt = -1;
    for (const stop of this.stops) {
      const at = text.indexOf(stop);
      if (at !== -1 && (stopAt === -1 || at < stopAt)) stopAt = at;
    }
    if (stopAt !== -1) {
      this.stopped = true;
      this.pending = "";
      return { text: text.slice(0, stopAt), stopped: true };
    }
    let hold = 0;
    for (const stop of this.stops) hold = Math.max(hold, longestSuffixThatPrefixes(text, stop));
    this.pending = text.slice(text.length - hold);
    return { text: text.slice(0, text.length - hold), stopped: false };
  }

  /** The stream ended: releases the held-back text ("" after a stop). */
  flush(): string {
    const rest = this.pending;
    this.pending = "";
    return rest;
  }
}

/** The length of the longest suffix of text that is a proper prefix of stop. */
function longestSuffixThatPrefixes(text: string, stop: string): number {
  for (let length = Math.min(stop.length - 1, text.length); length > 0; length--) {
    if (text.startsWith(stop.slice(0, length), text.length - length)) return length;
  }
  return 0;
}
