// chrF (Popović 2015) and chrF++ (Popović 2017) exactly as sacreBLEU 2.x
// computes them (sacrebleu/metrics/chrf.py): character n-grams of orders
// 1..charOrder (whitespace removed unless `whitespace`), plus for chrF++ word
// n-grams of orders 1..wordOrder (a word's leading or trailing ASCII
// punctuation split off); per order the hypothesis, reference and matching
// n-gram counts; per segment the reference with the best F-score; corpus
// statistics summed over segments; then F-beta of the precision and recall
// averaged over the orders that have n-grams on both sides (or, with
// epsSmoothing, the F-scores of all orders averaged as chrF++.py does).
// Defaults are sacreBLEU's chrF2: charOrder 6, wordOrder 0, beta 2. Scores are
// in [0, 100].
import { InputError, OptionError } from "../errors.js";
import { referencesBySegment, type ReferenceStreams } from "./bleu.js";
import { formatFixed, pythonSplit } from "./python-strings.js";
import { signature } from "./signature.js";

export interface ChrfOptions {
  /** Character n-gram order. Default 6. */
  charOrder?: number;
  /** Word n-gram order: 0 for chrF (default), 2 for chrF++. */
  wordOrder?: number;
  /** Weight of recall against precision. Default 2. */
  beta?: number;
  /** Lowercase hypotheses and references first. Default false. */
  lowercase?: boolean;
  /** Keep whitespace in character n-grams. Default false. */
  whitespace?: boolean;
  /** Average the F-scores of every order, with ε for empty ones (chrF++.py), instead of the effective orders. Default false. */
  epsSmoothing?: boolean;
}

export interface ChrfScore {
  /** chrF in [0, 100]. */
  readonly score: number;
  /** "chrF2", "chrF2++", … as sacreBLEU names the variant. */
  readonly name: string;
  /** sacreBLEU's signature, e.g. "nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0". */
  readonly signature: string;
  /** Per order (characters 1..charOrder, then words 1..wordOrder): [hypothesis n-grams, reference n-grams, matches], summed. */
  readonly statistics: readonly (readonly [number, number, number])[];
  /** sacreBLEU's one-line report: "chrF2|<signature> = 64.13". */
  format(options?: { signature?: boolean }): string;
}

const OPTION_NAMES = new Set(["charOrder", "wordOrder", "beta", "lowercase", "whitespace", "epsSmoothing"]);
const PUNCTUATION = new Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~");

interface ResolvedChrfOptions {
  charOrder: number;
  wordOrder: number;
  beta: number;
  lowercase: boolean;
  whitespace: boolean;
  epsSmoothing: boolean;
}

function resolveOptions(options: ChrfOptions): ResolvedChrfOptions {
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.has(key)) throw new OptionError(key, `unknown chrF option (known: ${[...OPTION_NAMES].join(", ")})`);
  }
  const integer = (key: "charOrder" | "wordOrder" | "beta", fallback: number, min: number): number => {
    const value = options[key] ?? fallback;
    if (!Number.isInteger(value) || value < min) throw new OptionError(key, `expected an integer ≥ ${min}, got ${String(value)}`);
    return value;
  };
  for (const key of ["lowercase", "whitespace", "epsSmoothing"] as const) {
    if (options[key] !== undefined && typeof options[key] !== "boolean") throw new OptionError(key, `expected true or false, got ${JSON.stringify(options[key])}`);
  }
  const resolved = {
    charOrder: integer("charOrder", 6, 0),
    wordOrder: integer("wordOrder", 0, 0),
    beta: integer("beta", 2, 0),
    lowercase: options.lowercase ?? false,
    whitespace: options.whitespace ?? false,
    epsSmoothing: options.epsSmoothing ?? false,
  };
  if (resolved.charOrder + resolved.wordOrder === 0) throw new OptionError("charOrder", "charOrder and wordOrder cannot both be 0");
  return resolved;
}

function count<T>(items: Iterable<T>): Map<T, number> {
  const counts = new Map<T, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return counts;
}

/** Words with one leading or trailing ASCII punctuation mark split off (sacreBLEU's _remove_punctuation). */
function chrfWords(text: string): string[] {
  const out: string[] = [];
  for (const word of pythonSplit(text)) {
    const chars = Array.from(word);
    if (chars.length === 1) out.push(word);
    else if (PUNCTUATION.has(chars[chars.length - 1]!)) out.push(chars.slice(0, -1).join(""), chars[chars.length - 1]!);
    else if (PUNCTUATION.has(chars[0]!)) out.push(chars[0]!, chars.slice(1).join(""));
    else out.push(word);
  }
  return out;
}

/** Counted n-grams per order: characters 1..charOrder, then words 1..wordOrder. */
function ngrams(text: string, o: ResolvedChrfOptions): Map<string, number>[] {
  const chars = Array.from(o.whitespace ? text : pythonSplit(text).join(""));
  const out: Map<string, number>[] = [];
  for (let n = 1; n <= o.charOrder; n++) {
    const grams: string[] = [];
    for (let i = 0; i + n <= chars.length; i++) grams.push(chars.slice(i, i + n).join(""));
    out.push(count(grams));
  }
  if (o.wordOrder > 0) {
    const words = chrfWords(text);
    for (let n = 1; n <= o.wordOrder; n++) {
      const grams: string[] = [];
      for (let i = 0; i + n <= words.length; i++) grams.push(words.slice(i, i + n).join(" "));
      out.push(count(grams));
    }
  }
  return out;
}

/** sacreBLEU's chrF from per-order [hypothesis, reference, match] statistics. */
function fScore(statistics: readonly (readonly [number, number, number])[], o: ResolvedChrfOptions): number {
  const eps = 1e-16;
  const factor = o.beta ** 2;
  let score = 0;
  let effectiveOrder = 0;
  let averagePrecision = 0;
  let averageRecall = 0;
  for (const [hyp, ref, match] of statistics) {
    const precision = hyp > 0 ? match / hyp : eps;
    const recall = ref > 0 ? match / ref : eps;
    const denominator = factor * precision + recall;
    score += denominator > 0 ? ((1 + factor) * precision * recall) / denominator : eps;
    if (hyp > 0 && ref > 0) {
      averagePrecision += precision;
      averageRecall += recall;
      effectiveOrder++;
    }
  }
  if (o.epsSmoothing) return (100 * score) / statistics.length;
  if (effectiveOrder === 0) return 0;
  averagePrecision /= effectiveOrder;
  averageRecall /= effectiveOrder;
  if (averagePrecision + averageRecall === 0) return 0;
  return 100 * (((1 + factor) * averagePrecision * averageRecall) / (factor * averagePrecision + averageRecall));
}

/** chrF of `hypotheses` against reference streams (`references[k][i]`), as sacreBLEU's corpus_chrf. */
export function corpusChrf(hypotheses: readonly string[], references: ReferenceStreams, options: ChrfOptions = {}): ChrfScore {
  const o = resolveOptions(options);
  if (hypotheses.length === 0) throw new InputError("chrF: no hypotheses");
  hypotheses.forEach((h, i) => {
    if (typeof h !== "string") throw new InputError(`chrF: hypothesis ${i} is not a string`);
  });
  const { refs, count: nrefs } = referencesBySegment(hypotheses.length, references, "chrF");
  const prepare = (text: string): string => (o.lowercase ? text.toLowerCase() : text);
  const orders = o.charOrder + o.wordOrder;
  const totals: [number, number, number][] = Array.from({ length: orders }, () => [0, 0, 0]);
  hypotheses.forEach((hypothesis, i) => {
    const hyp = ngrams(prepare(hypothesis), o);
    let best: [number, number, number][] = [];
    let bestScore = -1;
    for (const reference of refs[i]!) {
      const ref = ngrams(prepare(reference), o);
      const stats = hyp.map((h, n): [number, number, number] => {
        const r = ref[n]!;
        let hypCount = 0;
        let matches = 0;
        for (const [gram, c] of h) {
          hypCount += c;
          const inRef = r.get(gram);
          if (inRef !== undefined) matches += Math.min(c, inRef);
        }
        let refCount = 0;
        for (const c of r.values()) refCount += c;
        return [r.size > 0 ? hypCount : 0, refCount, matches];
      });
      const f = fScore(stats, o);
      if (f > bestScore) {
        bestScore = f;
        best = stats;
      }
    }
    best.forEach((s, n) => {
      for (let k = 0; k < 3; k++) totals[n]![k]! += s[k]!;
    });
  });
  const score = fScore(totals, o);
  const name = `chrF${o.beta}${"+".repeat(o.wordOrder)}`;
  const sig = signature(nrefs, [
    ["case", o.lowercase ? "lc" : "mixed"],
    ["eff", o.epsSmoothing ? "no" : "yes"],
    ["nc", String(o.charOrder)],
    ["nw", String(o.wordOrder)],
    ["space", o.whitespace ? "yes" : "no"],
  ]);
  return {
    score,
    name,
    signature: sig,
    statistics: totals,
    format: ({ signature: withSignature = true } = {}) => `${name}${withSignature ? `|${sig}` : ""} = ${formatFixed(score, 2)}`,
  };
}

/** chrF of one hypothesis against its references, as sacreBLEU's sentence_chrf. */
export function sentenceChrf(hypothesis: string, references: readonly string[], options: ChrfOptions = {}): ChrfScore {
  return corpusChrf([hypothesis], references.map((r) => [r]), options);
}
