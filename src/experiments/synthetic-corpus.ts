// A generated stand-in for a play, so experiments and their tests need no data
// file: scenes of speeches by a few named speakers, sentences from a small grammar
// with number agreement (a plural subject takes a plural verb), and speeches that
// answer the previous speaker by name — structure at the scale of words, sentences
// and speeches, for a character-level model to learn. The same seed always gives
// the same text.

import { Rng } from "../tensor/random.js";

const SPEAKERS = ["ADRIAN", "BEATRICE", "CORIN", "DORCAS", "EDMUND", "FABIAN"];
const NOUNS: [string, string][] = [
  ["king", "kings"],
  ["queen", "queens"],
  ["sword", "swords"],
  ["heart", "hearts"],
  ["night", "nights"],
  ["crown", "crowns"],
  ["friend", "friends"],
  ["storm", "storms"],
  ["letter", "letters"],
  ["field", "fields"],
];
const VERBS: [string, string][] = [
  ["keeps", "keep"],
  ["breaks", "break"],
  ["loves", "love"],
  ["fears", "fear"],
  ["calls", "call"],
  ["follows", "follow"],
  ["hides", "hide"],
  ["wakes", "wake"],
];
const ADJECTIVES = ["gentle", "bitter", "noble", "silent", "golden", "wretched", "fair", "old"];
const OPENINGS = ["", "", "but ", "and ", "now ", "alas, "];

export function syntheticText(seed: number, characters: number): string {
  const rng = new Rng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rng.nextFloat() * list.length)]!;
  const nounPhrase = (): [string, boolean] => {
    const plural = rng.nextFloat() < 0.4;
    const [one, many] = pick(NOUNS);
    const adjective = rng.nextFloat() < 0.5 ? `${pick(ADJECTIVES)} ` : "";
    return [`the ${adjective}${plural ? many : one}`, plural];
  };
  const sentence = (): string => {
    const [subject, plural] = nounPhrase();
    const [singular, pluralVerb] = pick(VERBS);
    const [object] = nounPhrase();
    const text = `${pick(OPENINGS)}${subject} ${plural ? pluralVerb : singular} ${object}`;
    return `${text[0]!.toUpperCase()}${text.slice(1)}${rng.nextFloat() < 0.2 ? "?" : "."}`;
  };
  const parts: string[] = [];
  let length = 0;
  let scene = 1;
  while (length < characters) {
    const heading = `SCENE ${scene++}.\n\n`;
    parts.push(heading);
    length += heading.length;
    let previous: string | null = null;
    for (let speech = 0; speech < 8 && length < characters; speech++) {
      let speaker = pick(SPEAKERS);
      while (speaker === previous) speaker = pick(SPEAKERS);
      const lines = [sentence()];
      while (rng.nextFloat() < 0.5) lines.push(sentence());
      // answer the previous speaker by name: a dependency reaching back a whole speech
      if (previous !== null && rng.nextFloat() < 0.6) lines.push(`Hear me, ${previous[0]}${previous.slice(1).toLowerCase()}.`);
      const text = `${speaker}:\n${lines.join(" ")}\n\n`;
      parts.push(text);
      length += text.length;
      previous = speaker;
    }
  }
  return parts.join("").slice(0, characters);
}
