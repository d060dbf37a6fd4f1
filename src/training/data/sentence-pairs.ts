// Next-sentence-prediction pairs (Devlin et al. 2019 §3.1, BERT's
// create_pretraining_data.py): from a text file with one sentence per line and
// documents separated by blank lines, each sentence is paired with the one that
// follows it half of the time (label 0, "IsNext", HF's next_sentence_label) and
// with a random sentence from elsewhere — another document when there is one —
// the other half (label 1, "NotNext"). Seeded.

import { readFile } from "node:fs/promises";
import { InputError, ModelFormatError } from "../../errors.js";
import { Rng } from "../../tensor/random.js";

export interface SentencePair {
  readonly a: string;
  readonly b: string;
  /** 0: b follows a in the text; 1: b is a random sentence (HF next_sentence_label). */
  readonly label: 0 | 1;
}

/** Documents (separated by blank lines) of sentences (one per non-empty line). */
export function parseDocuments(text: string): string[][] {
  const documents: string[][] = [[]];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "") {
      if (documents[documents.length - 1]!.length > 0) documents.push([]);
    } else {
      documents[documents.length - 1]!.push(line);
    }
  }
  return documents.filter((d) => d.length > 0);
}

export interface SentencePairOptions {
  seed?: number;
  /** Probability of a random second sentence (default 0.5). */
  randomProbability?: number;
}

/** One pair per sentence that has a successor in its document. */
export function makeSentencePairs(documents: readonly (readonly string[])[], options: SentencePairOptions = {}): SentencePair[] {
  const rng = new Rng(options.seed ?? 0);
  const randomProbability = options.randomProbability ?? 0.5;
  const all: { doc: number; index: number }[] = [];
  documents.forEach((d, doc) => d.forEach((_, index) => all.push({ doc, index })));
  if (all.length < 3) throw new InputError(`next-sentence pairs need at least 3 sentences, got ${all.length}`);
  const pairs: SentencePair[] = [];
  documents.forEach((sentences, doc) => {
    for (let i = 0; i + 1 < sentences.length; i++) {
      if (rng.nextFloat() >= randomProbability) {
        pairs.push({ a: sentences[i]!, b: sentences[i + 1]!, label: 0 });
        continue;
      }
      // Another document's sentence when there are several; else any but this one and its successor.
      const candidates = documents.length > 1 ? all.filter((s) => s.doc !== doc) : all.filter((s) => s.index !== i && s.index !== i + 1);
      const pick = candidates[Math.floor(rng.nextFloat() * candidates.length)]!;
      pairs.push({ a: sentences[i]!, b: documents[pick.doc]![pick.index]!, label: 1 });
    }
  });
  return pairs;
}

export async function readSentencePairs(path: string, options: SentencePairOptions = {}): Promise<SentencePair[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new ModelFormatError(path, "cannot read the file");
  }
  return makeSentencePairs(parseDocuments(text), options);
}
