// BLEU (Papineni et al. 2002) exactly as sacreBLEU 2.x computes it (Post
// 2018, "A Call for Clarity in Reporting BLEU Scores"; sacrebleu/metrics/bleu.py):
// each segment is lowercased if asked, right-stripped and tokenized (13a by
// default); n-grams of order 1–4 are clipped by their largest count in any
// reference; the brevity penalty uses, per segment, the reference length
// closest to the hypothesis length (the shorter on ties); corpus BLEU sums the
// statistics over segments, then takes the geometric mean of the modified
// precisions with smoothing: "exp" (the default, mteval-v13a's: the k-th zero
// precision becomes 1/2^k over the count), "floor", "add-k" or "none".
// effectiveOrder stops at the first order without any n-gram (sentence BLEU
// uses it by default). Scores are in [0, 100].
import { InputError, OptionError } from "../errors.js";
import { bleuTokenize, BLEU_TOKENIZERS, type BleuTokenizerName } from "./bleu-tokenizers.js";
import { formatFixed, pythonRstrip, pythonSplit } from "./python-strings.js";
import { signature } from "./signature.js";

export type BleuSmoothing = "exp" | "floor" | "add-k" | "none";

export interface BleuOptions {
  /** sacreBLEU's tokenizer: "13a" (default), "intl", "char" or "none". */
  tokenize?: BleuTokenizerName;
  /** Lowercase hypotheses and references first. Default false. */
  lowercase?: boolean;
  /** Default "exp". */
  smoothMethod?: BleuSmoothing;
  /** For "floor" (default 0.1) and "add-k" (default 1). */
  smoothValue?: number;
  /** Stop at the first n-gram order with no n-grams. Default false for corpus BLEU, true for sentence BLEU. */
  effectiveOrder?: boolean;
  /** Highest n-gram order. Default 4. */
  maxNgramOrder?: number;
}

export interface BleuScore {
  /** BLEU in [0, 100]. */
  readonly score: number;
  /** Clipped n-gram matches per order (with add-k smoothing, after adding k). */
  readonly counts: readonly number[];
  /** Hypothesis n-grams per order. */
  readonly totals: readonly number[];
  /** Modified precisions per order, in percent. */
  readonly precisions: readonly number[];
  /** Brevity penalty. */
  readonly bp: number;
  readonly sysLen: number;
  readonly refLen: number;
  /** sysLen / refLen (0 without reference tokens). */
  readonly ratio: number;
  /** sacreBLEU's signature of the settings, e.g. "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0". */
  readonly signature: string;
  /** sacreBLEU's one-line report: "BLEU|<signature> = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)". */
  format(options?: { signature?: boolean }): string;
}

const OPTION_NAMES = new Set(["tokenize", "lowercase", "smoothMethod", "smoothValue", "effectiveOrder", "maxNgramOrder"]);
const SMOOTH_DEFAULTS: Record<BleuSmoothing, number | undefined> = { exp: undefined, floor: 0.1, "add-k": 1, none: undefined };

interface ResolvedBleuOptions {
  tokenize: BleuTokenizerName;
  lowercase: boolean;
  smoothMethod: BleuSmoothing;
  smoothValue: number | undefined;
  effectiveOrder: boolean;
  maxNgramOrder: number;
}

function resolveOptions(options: BleuOptions, effectiveOrderDefault: boolean): ResolvedBleuOptions {
  for (const key of Object.keys(options)) {
    if (!OPTION_NAMES.has(key)) throw new OptionError(key, `unknown BLEU option (known: ${[...OPTION_NAMES].join(", ")})`);
  }
  const tokenize = options.tokenize ?? "13a";
  if (!BLEU_TOKENIZERS.includes(tokenize)) throw new OptionError("tokenize", `expected one of ${BLEU_TOKENIZERS.join(", ")}, got ${JSON.stringify(tokenize)}`);
  const smoothMethod = options.smoothMethod ?? "exp";
  if (!(smoothMethod in SMOOTH_DEFAULTS)) throw new OptionError("smoothMethod", `expected exp, floor, add-k or none, got ${JSON.stringify(smoothMethod)}`);
  const smoothValue = options.smoothValue ?? SMOOTH_DEFAULTS[smoothMethod];
  if (smoothValue !== undefined && !(Number.isFinite(smoothValue) && smoothValue >= 0)) {
    throw new OptionError("smoothValue", `expected a finite number ≥ 0, got ${String(smoothValue)}`);
  }
  const maxNgramOrder = options.maxNgramOrder ?? 4;
  if (!Number.isInteger(maxNgramOrder) || maxNgramOrder < 1) throw new OptionError("maxNgramOrder", `expected an integer ≥ 1, got ${String(maxNgramOrder)}`);
  for (const key of ["lowercase", "effectiveOrder"] as const) {
    if (options[key] !== undefined && typeof options[key] !== "boolean") throw new OptionError(key, `expected true or false, got ${JSON.stringify(options[key])}`);
  }
  return {
    tokenize,
    lowercase: options.lowercase ?? false,
    smoothMethod,
    smoothValue,
    effectiveOrder: options.effectiveOrder ?? effectiveOrderDefault,
    maxNgramOrder,
  };
}

/** The n-grams of order 1..maxOrder of a tokenized line, counted, and its length in tokens. */
function ngramCounts(line: string, maxOrder: number): { counts: Map<string, number>; length: number } {
  const tokens = pythonSplit(line);
  const counts = new Map<string, number>();
  for (let n = 1; n <= maxOrder; n++) {
    for (let i = 0; i + n <= tokens.length; i++) {
      // Tokens hold no whitespace, so a space-joined key is unambiguous.
      const key = tokens.slice(i, i + n).join(" ");
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return { counts, length: tokens.length };
}

/**
 * BLEU from its sufficient statistics (sacreBLEU's BLEU.compute_bleu): clipped
 * matches and hypothesis n-gram counts per order, and the summed hypothesis
 * and reference lengths.
 */
export function computeBleu(correct: readonly number[], total: readonly number[], sysLen: number, refLen: number, options: BleuOptions = {}): BleuScore {
  const o = resolveOptions(options, false);
  return scoreFromStatistics(correct, total, sysLen, refLen, o, undefined);
}

function scoreFromStatistics(
  correctIn: readonly number[],
  totalIn: readonly number[],
  sysLen: number,
  refLen: number,
  o: ResolvedBleuOptions,
  references: number | "var" | undefined,
): BleuScore {
  const order = o.maxNgramOrder;
  if (correctIn.length !== order || totalIn.length !== order) {
    throw new InputError(`BLEU statistics need ${order} matches and ${order} totals (one per n-gram order), got ${correctIn.length} and ${totalIn.length}`);
  }
  const correct = [...correctIn];
  const total = [...totalIn];
  const bp = sysLen < refLen ? (sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0) : 1;
  const precisions = new Array<number>(order).fill(0);
  let score = 0;
  if (correct.some((c) => c !== 0)) {
    let smoothExp = 1;
    let effectiveOrder = order;
    for (let n = 1; n <= order; n++) {
      if (o.smoothMethod === "add-k" && n > 1) {
        correct[n - 1]! += o.smoothValue!;
        total[n - 1]! += o.smoothValue!;
      }
      if (total[n - 1] === 0) break;
      if (o.effectiveOrder) effectiveOrder = n;
      if (correct[n - 1] === 0) {
        if (o.smoothMethod === "exp") {
          smoothExp *= 2;
          precisions[n - 1] = 100 / (smoothExp * total[n - 1]!);
        } else if (o.smoothMethod === "floor") {
          precisions[n - 1] = (100 * o.smoothValue!) / total[n - 1]!;
        }
      } else {
        precisions[n - 1] = (100 * correct[n - 1]!) / total[n - 1]!;
      }
    }
    // sacreBLEU floors log(0) at -9999999999 and sums in order.
    let logSum = 0;
    for (let n = 0; n < effectiveOrder; n++) logSum += precisions[n] === 0 ? -9999999999 : Math.log(precisions[n]!);
    score = bp * Math.exp(logSum / effectiveOrder);
  }
  const smoothing = o.smoothValue === undefined || SMOOTH_DEFAULTS[o.smoothMethod] === undefined ? o.smoothMethod : `${o.smoothMethod}[${formatFixed(o.smoothValue, 2)}]`;
  const sig = signature(references, [
    ["case", o.lowercase ? "lc" : "mixed"],
    ["eff", o.effectiveOrder ? "yes" : "no"],
    ["tok", o.tokenize],
    ["smooth", smoothing],
  ]);
  const ratio = refLen === 0 ? 0 : sysLen / refLen;
  return {
    score,
    counts: correct,
    totals: total,
    precisions,
    bp,
    sysLen,
    refLen,
    ratio,
    signature: sig,
    format: ({ signature: withSignature = true } = {}) =>
      `BLEU${withSignature ? `|${sig}` : ""} = ${formatFixed(score, 2)} ${precisions.map((p) => formatFixed(p, 1)).join("/")} ` +
      `(BP = ${formatFixed(bp, 3)} ratio = ${formatFixed(ratio, 3)} hyp_len = ${sysLen} ref_len = ${refLen})`,
  };
}

/** sacreBLEU's reference layout: references[k][i] is the k-th reference of segment i (null: none). */
export type ReferenceStreams = readonly (readonly (string | null | undefined)[])[];

/** The references of each segment, checked against the number of hypotheses. */
export function referencesBySegment(segments: number, references: ReferenceStreams, metric: string): { refs: string[][]; count: number | "var" } {
  if (references.length === 0) throw new InputError(`${metric}: no reference streams`);
  references.forEach((stream, k) => {
    if (stream.length !== segments) throw new InputError(`${metric}: reference stream ${k} has ${stream.length} segments, the hypotheses ${segments}`);
  });
  const refs: string[][] = [];
  const counts = new Set<number>();
  for (let i = 0; i < segments; i++) {
    const segment: string[] = [];
    for (const stream of references) {
      const r = stream[i];
      if (r === null || r === undefined) continue;
      if (typeof r !== "string") throw new InputError(`${metric}: reference of segment ${i} is not a string`);
      segment.push(r);
    }
    counts.add(segment.length);
    refs.push(segment);
  }
  return { refs, count: counts.size === 1 ? [...counts][0]! : "var" };
}

/**
 * Corpus BLEU of `hypotheses` against one or more reference streams
 * (`references[k][i]`: the k-th reference of segment i), as sacreBLEU's
 * corpus_bleu computes it.
 */
export function corpusBleu(hypotheses: readonly string[], references: ReferenceStreams, options: BleuOptions = {}): BleuScore {
  const o = resolveOptions(options, false);
  return bleuOver(hypotheses, references, o);
}

/** BLEU of one hypothesis against its references, as sacreBLEU's sentence_bleu (effective order on by default). */
export function sentenceBleu(hypothesis: string, references: readonly string[], options: BleuOptions = {}): BleuScore {
  const o = resolveOptions(options, true);
  return bleuOver([hypothesis], references.map((r) => [r]), o);
}

function bleuOver(hypotheses: readonly string[], references: ReferenceStreams, o: ResolvedBleuOptions): BleuScore {
  if (hypotheses.length === 0) throw new InputError("BLEU: no hypotheses");
  hypotheses.forEach((h, i) => {
    if (typeof h !== "string") throw new InputError(`BLEU: hypothesis ${i} is not a string`);
  });
  const { refs, count } = referencesBySegment(hypotheses.length, references, "BLEU");
  const prepare = (text: string): string => bleuTokenize(pythonRstrip(o.lowercase ? text.toLowerCase() : text), o.tokenize);
  const order = o.maxNgramOrder;
  const correct = new Array<number>(order).fill(0);
  const total = new Array<number>(order).fill(0);
  let sysLen = 0;
  let refLen = 0;
  hypotheses.forEach((hypothesis, i) => {
    // The largest count of each n-gram in any reference, and the reference lengths.
    const refCounts = new Map<string, number>();
    const refLengths: number[] = [];
    for (const ref of refs[i]!) {
      const { counts, length } = ngramCounts(prepare(ref), order);
      refLengths.push(length);
      for (const [gram, c] of counts) refCounts.set(gram, Math.max(refCounts.get(gram) ?? 0, c));
    }
    const hyp = ngramCounts(prepare(hypothesis), order);
    // The reference length closest to the hypothesis length, the shorter on ties.
    let closest = -1;
    let closestDiff = -1;
    for (const length of refLengths) {
      const diff = Math.abs(hyp.length - length);
      if (closestDiff === -1 || diff < closestDiff || (diff === closestDiff && length < closest)) {
        closestDiff = diff;
        closest = length;
      }
    }
    sysLen += hyp.length;
    refLen += closest;
    for (const [gram, c] of hyp.counts) {
      const n = gram.split(" ").length - 1;
      total[n]! += c;
      const inRef = refCounts.get(gram);
      if (inRef !== undefined) correct[n]! += Math.min(c, inRef);
    }
  });
  return scoreFromStatistics(correct, total, sysLen, refLen, o, count);
}
