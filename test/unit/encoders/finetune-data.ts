// Seeded, generated data for the encoder training tests (nothing from ../shared):
//  - NER: template sentences with person and place names made of syllables;
//    the names of the training and held-out sets are disjoint, so the model must
//    tag them from their context. A third of the names have two words (I- tags).
//  - Sentiment: positive / negative sentences from templates; the held-out set
//    uses subjects and templates the training set never shows.
//  - A small corpus of documents for MLM + NSP pretraining.
import { Rng } from "../../../src/tensor/random.js";

export interface TaggedSentence {
  tokens: string[];
  tags: string[];
}

const SYLLABLES = ["ka", "lo", "mi", "ra", "to", "ne", "su", "vi", "da", "be", "ro", "li", "za", "po", "fe", "gu", "ha", "ji", "mo", "te", "wa", "ye", "xo", "qui"];

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng.nextFloat() * items.length)]!;
}

function capitalize(word: string): string {
  return word[0]!.toUpperCase() + word.slice(1);
}

/** A name of 2–3 syllables that is not in `taken`. */
function freshName(rng: Rng, taken: Set<string>): string {
  for (;;) {
    const count = 2 + Math.floor(rng.nextFloat() * 2);
    const name = capitalize(Array.from({ length: count }, () => pick(rng, SYLLABLES)).join(""));
    if (!taken.has(name)) {
      taken.add(name);
      return name;
    }
  }
}

// {P}: a person, {L}: a place.
const NER_TEMPLATES = [
  "{P} moved to {L} .",
  "Did {P} visit {L} last year ?",
  "{P} lives in {L} with {P} .",
  "Yesterday {P} flew from {L} to {L} .",
  "The mayor of {L} met {P} on Monday .",
  "{P} said that {L} is beautiful in spring .",
  "We saw {P} near the station in {L} .",
  "{P} and {P} went to {L} together .",
  "Is {L} far from {L} ?",
  "My friend {P} works in {L} now .",
  "{P} wrote a letter to {P} .",
  "After the game , {P} drove back to {L} .",
];

export interface NerData {
  train: TaggedSentence[];
  heldOut: TaggedSentence[];
}

/** Person and place names (some two-word), disjoint between the splits. */
export function nerData(seed: number, trainCount: number, heldOutCount: number): NerData {
  const rng = new Rng(seed);
  const taken = new Set<string>();
  const pool = (n: number) => Array.from({ length: n }, () => freshName(rng, taken));
  const makeSplit = (count: number, people: string[], places: string[]): TaggedSentence[] =>
    Array.from({ length: count }, () => {
      const tokens: string[] = [];
      const tags: string[] = [];
      for (const word of pick(rng, NER_TEMPLATES).split(" ")) {
        if (word !== "{P}" && word !== "{L}") {
          tokens.push(word);
          tags.push("O");
          continue;
        }
        const type = word === "{P}" ? "PER" : "LOC";
        const words = [pick(rng, word === "{P}" ? people : places)];
        if (rng.nextFloat() < 0.33) words.push(pick(rng, word === "{P}" ? people : places));
        words.forEach((w, i) => {
          tokens.push(w);
          tags.push(`${i === 0 ? "B" : "I"}-${type}`);
        });
      }
      return { tokens, tags };
    });
  const train = makeSplit(trainCount, pool(400), pool(400));
  const heldOut = makeSplit(heldOutCount, pool(100), pool(100));
  return { train, heldOut };
}

export function toConll(sentences: readonly TaggedSentence[]): string {
  return sentences.map((s) => s.tokens.map((t, i) => `${t} ${s.tags[i]}`).join("\n")).join("\n\n") + "\n";
}

export function toTokenJsonl(sentences: readonly TaggedSentence[]): string {
  return sentences.map((s) => JSON.stringify({ tokens: s.tokens, tags: s.tags })).join("\n") + "\n";
}

export interface LabelledText {
  text: string;
  label: "positive" | "negative";
}

const POSITIVE = ["great", "wonderful", "excellent", "lovely", "fantastic", "delightful", "superb", "pleasant"];
const NEGATIVE = ["terrible", "awful", "horrible", "boring", "dreadful", "disappointing", "poor", "miserable"];
const TRAIN_SUBJECTS = ["the movie", "the food", "this book", "the hotel", "our trip", "the concert", "the service", "that game", "the weather", "my new phone"];
const HELD_SUBJECTS = ["the play", "this album", "the lecture", "the museum", "dinner", "the flight"];
const TRAIN_TEMPLATES = ["{S} was {A} .", "i think {S} is {A} .", "honestly , {S} felt {A} .", "everyone said {S} was {A} .", "{S} is really {A} !"];
const HELD_TEMPLATES = ["we all found {S} {A} .", "to be fair {S} was {A} ."];

/**
 * Sentences labelled by their adjective's sentiment. Half the subjects are made-up
 * names (spelled in sub-word pieces), so the model learns to look past unknown
 * words; the held-out names, subjects and half its templates are unseen.
 */
export function sentimentData(seed: number, trainCount: number, heldOutCount: number): { train: LabelledText[]; heldOut: LabelledText[] } {
  const rng = new Rng(seed);
  const taken = new Set<string>();
  const trainNames = Array.from({ length: 200 }, () => freshName(rng, taken));
  const heldNames = Array.from({ length: 50 }, () => freshName(rng, taken));
  const make = (count: number, subjects: string[], names: string[], templates: string[]): LabelledText[] =>
    Array.from({ length: count }, () => {
      const positive = rng.nextFloat() < 0.5;
      const subject = rng.nextFloat() < 0.5 ? pick(rng, subjects) : pick(rng, names);
      const text = pick(rng, templates).replace("{S}", subject).replace("{A}", pick(rng, positive ? POSITIVE : NEGATIVE));
      return { text: capitalize(text), label: positive ? "positive" : "negative" };
    });
  return {
    train: make(trainCount, TRAIN_SUBJECTS, trainNames, TRAIN_TEMPLATES),
    heldOut: make(heldOutCount, HELD_SUBJECTS, heldNames, [...HELD_TEMPLATES, ...TRAIN_TEMPLATES.slice(0, 2)]),
  };
}

export function toCsv(rows: readonly LabelledText[]): string {
  const quote = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return `text,label\n${rows.map((r) => `${quote(r.text)},${r.label}`).join("\n")}\n`;
}

/** Documents of sentences (blank lines between documents) for MLM + NSP. */
export function pretrainingCorpus(seed: number, documents: number): string {
  const rng = new Rng(seed);
  const stories = [
    ["the cat sat on the mat .", "then the cat fell asleep .", "later the cat woke up hungry .", "so the cat ate some fish ."],
    ["the dog ran in the park .", "the dog found a red ball .", "the dog brought the ball home .", "the dog slept by the door ."],
    ["a bird sang in the tree .", "the bird built a small nest .", "the bird laid three eggs .", "soon the eggs hatched ."],
    ["the river flows to the sea .", "boats sail on the river .", "fish swim under the boats .", "the sea is deep and blue ."],
  ];
  const out: string[] = [];
  for (let d = 0; d < documents; d++) out.push(pick(rng, stories).join("\n"));
  return `${out.join("\n\n")}\n`;
}
