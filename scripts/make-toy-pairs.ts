// Writes a made-up translation task as pairs.tsv (one "source<TAB>target" per
// line) for `lmscope train-seq2seq`: English-like sentences "[adj] noun [not] verb
// [adj] noun" and their translation into an invented language whose lexicon is
// fixed below and whose word order differs — subject, object, verb, with
// adjectives after their nouns and the negation after the verb. Sentences are
// drawn from a seeded PRNG without repeats, so a seed always gives the same file
// and the validation lines (the last 10%) are sentences never seen in training.
//
//   node dist/scripts/make-toy-pairs.js --out toy-pairs.tsv [--pairs 5000] [--seed 1]
import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { OptionError } from "../src/errors.js";
import { mulberry32 } from "./seeded-random.js";

const NOUNS = ["cat", "dog", "bird", "fish", "horse", "mouse", "frog", "bear"];
const ADJECTIVES = ["big", "small", "red", "blue", "old", "young"];
const VERBS = ["sees", "likes", "chases", "finds", "eats", "helps"];
/** The invented language's word for each English one. */
const LEXICON: Record<string, string> = {
  cat: "miro", dog: "vasko", bird: "pelu", fish: "nako", horse: "tarun", mouse: "sipi", frog: "kvaa", bear: "ursu",
  big: "gor", small: "tin", red: "roja", blue: "azu", old: "vek", young: "nov",
  sees: "vidu", likes: "amu", chases: "kuru", finds: "trov", eats: "manj", helps: "ajut",
  not: "ne",
};

function pairs(count: number, seed: number): string[] {
  const random = mulberry32(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const maybe = (probability: number, word: () => string): string | null => (random() < probability ? word() : null);
  const seen = new Set<string>();
  const lines: string[] = [];
  for (let attempts = 0; lines.length < count; attempts++) {
    if (attempts > 100 * count) throw new OptionError("--pairs", `only ${lines.length} distinct sentences could be drawn`);
    const subjectAdjective = maybe(0.5, () => pick(ADJECTIVES));
    const subject = pick(NOUNS);
    const negation = maybe(0.3, () => "not");
    const verb = pick(VERBS);
    const objectAdjective = maybe(0.5, () => pick(ADJECTIVES));
    const object = pick(NOUNS);
    const source = [subjectAdjective, subject, negation, verb, objectAdjective, object].filter((w) => w !== null).join(" ");
    if (seen.has(source)) continue;
    seen.add(source);
    const target = [subject, subjectAdjective, object, objectAdjective, verb, negation].filter((w): w is string => w !== null).map((w) => LEXICON[w]!).join(" ");
    lines.push(`${source}\t${target}`);
  }
  return lines;
}

const { values } = parseArgs({ options: { out: { type: "string" }, pairs: { type: "string" }, seed: { type: "string" } } });
if (values.out === undefined) throw new OptionError("--out", "is required");
const count = Number(values.pairs ?? 5000);
const seed = Number(values.seed ?? 1);
if (!Number.isSafeInteger(count) || count < 2) throw new OptionError("--pairs", `expected an integer ≥ 2, got ${values.pairs}`);
if (!Number.isSafeInteger(seed)) throw new OptionError("--seed", `expected an integer, got ${values.seed}`);
await writeFile(values.out, `${pairs(count, seed).join("\n")}\n`);
