// BLEU and chrF against sacreBLEU: the test vectors of sacreBLEU's own test
// suite (test/test_bleu.py, test_sentence_bleu.py, test_chrf.py of sacreBLEU
// 2.6.0, with the tolerances they use), then the outputs of sacreBLEU 2.6.0 on
// generated corpora over a grid of options (test/fixtures/sacrebleu, made by
// scripts/refs/make-sacrebleu-vectors.py): identical statistics and identical
// printed lines (score to 2 decimals, precisions, BP, ratio, signature).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { InputError, OptionError } from "../../../src/errors.js";
import { bleuTokenize, computeBleu, corpusBleu, corpusChrf, sentenceBleu, sentenceChrf, type BleuOptions, type ChrfOptions } from "../../../src/evaluation/index.js";
import { formatFixed, pythonRstrip, pythonSplit } from "../../../src/evaluation/python-strings.js";
import { TEST_FIXTURES } from "../../helpers/paths.js";

const close = (actual: number, expected: number, epsilon: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) < epsilon, `${what}: ${actual} is not within ${epsilon} of ${expected}`);

/** sacreBLEU's raw_corpus_bleu: no tokenization, floor smoothing, effective order. */
const rawCorpusBleu = (hyps: string[], refs: string[][], smoothValue?: number): number =>
  corpusBleu(hyps, refs, { tokenize: "none", smoothMethod: "floor", ...(smoothValue === undefined ? {} : { smoothValue }), effectiveOrder: true }).score / 100;

describe("sacreBLEU's test suite: BLEU", () => {
  const refs = [
    ["The dog bit the man.", "It was not unexpected.", "The man bit him first."],
    ["The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."],
  ];
  const hyps = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."];

  it("corpus BLEU (test_corpus_bleu, test_max_ngram_order)", () => {
    const cases: [string[], BleuOptions, number][] = [
      [hyps, {}, 48.530827],
      [["", "", ""], {}, 0],
      [hyps, { tokenize: "none" }, 49.1919566],
      [hyps, { tokenize: "13a" }, 48.530827],
      [hyps, { tokenize: "intl" }, 43.91623493],
      [hyps, { smoothMethod: "none" }, 48.530827],
    ];
    for (const [h, options, expected] of cases) close(corpusBleu(h, refs, options).score, expected, 1e-8, JSON.stringify(options));
    const byOrder = ["77.65", "60.50", "53.93", "48.53", "46.14", "43.28"];
    byOrder.forEach((expected, i) => assert.equal(corpusBleu(hyps, refs, { maxNgramOrder: i + 1 }).score.toFixed(2), expected));
  });

  it("raw corpus BLEU, effective order, statistics and smoothing offsets", () => {
    close(rawCorpusBleu(["this is a test", "another test"], [["ref1", "ref2"]], 0.01), 0, 1e-8, "no match");
    close(rawCorpusBleu(["this is a test"], [["this is a test"]], 0.01), 1, 1e-8, "identical");
    close(rawCorpusBleu(["this is a fest"], [["this is a test"]], 0.01), 0.223606797749979, 1e-8, "one word off");
    close(rawCorpusBleu(["test"], [["a test"]], 0.01), 0.3678794411714425, 1e-8, "effective order 1");
    close(rawCorpusBleu(["a test"], [["a test"]], 0.01), 1, 1e-8, "effective order 2");
    close(rawCorpusBleu(["a little test"], [["a test"]], 0.01), 0.03218297948685433, 1e-8, "effective order 3");
    const stats = corpusBleu(["am I am a character sequence"], [["I am a symbol string sequence a a"]], { tokenize: "none", smoothMethod: "floor", smoothValue: 0.01, effectiveOrder: true });
    assert.deepEqual([stats.counts, stats.totals], [[4, 2, 1, 0], [6, 5, 4, 3]]);
    close(rawCorpusBleu(["am I am a character sequence"], [["I am a symbol string sequence a a"]], 0), 0, 1e-8, "floor 0");
    close(rawCorpusBleu(["am I am a character sequence"], [["I am a symbol string sequence a a"]]), 0.1555722182, 1e-8, "floor default 0.1");
  });

  it("scoring from statistics (test_scoring, test_degenerate_statistics)", () => {
    close(computeBleu([9, 7, 5, 3], [10, 8, 6, 4], 11, 11).score / 100, 0.8375922397, 1e-8, "scoring");
    const degenerate: [number[], number[], number, number, number][] = [
      [[0, 0, 0, 0], [4, 4, 2, 1], 0, 1, 0],
      [[0, 0, 0, 0], [10, 11, 12, 0], 14, 10, 0],
      [[0, 0, 0, 0], [0, 0, 0, 0], 0, 0, 0],
      [[6, 5, 4, 0], [6, 5, 4, 3], 6, 6, 0],
      [[0, 0, 0, 0], [0, 0, 0, 0], 0, 0, 0.1],
      [[0, 0, 0, 0], [0, 0, 0, 0], 1, 5, 0.01],
    ];
    for (const [correct, total, sys, ref, offset] of degenerate) {
      assert.equal(computeBleu(correct, total, sys, ref, { smoothMethod: "floor", smoothValue: offset }).score, 0);
    }
  });

  it("sentence BLEU (test_sentence_bleu)", () => {
    const REF = "producţia de zahăr brut se exprimă în zahăr alb;";
    const SYS = "Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;";
    const cases: [BleuOptions, number][] = [
      [{ smoothMethod: "exp" }, 8.493],
      [{ smoothMethod: "none" }, 0],
      [{ smoothMethod: "floor" }, 4.51688],
      [{ smoothMethod: "floor", smoothValue: 0.1 }, 4.51688],
      [{ smoothMethod: "floor", smoothValue: 0.5 }, 10.1],
      [{ smoothMethod: "add-k" }, 14.882],
      [{ smoothMethod: "add-k", smoothValue: 1 }, 14.882],
      [{ smoothMethod: "add-k", smoothValue: 2 }, 21.389],
      [{ tokenize: "none" }, 7.347],
      [{ tokenize: "intl" }, 8.493],
      [{ tokenize: "char" }, 40.8759],
      [{ tokenize: "char", lowercase: true }, 42.0267],
    ];
    for (const [options, expected] of cases) close(sentenceBleu(SYS, [REF], options).score, expected, 1e-3, JSON.stringify(options));
    for (const options of [{ smoothMethod: "exp" }, { smoothMethod: "none" }, { smoothMethod: "floor" }, { smoothMethod: "floor", smoothValue: 0.1 }, { smoothMethod: "add-k" }, { smoothMethod: "add-k", smoothValue: 1 }] as BleuOptions[]) {
      close(sentenceBleu("this is a cat", ["okay thanks"], options).score, 0, 1e-3, `zero BLEU ${JSON.stringify(options)}`);
    }
  });
});

describe("sacreBLEU's test suite: chrF", () => {
  const single = (hyps: string[], refs: string[], options: ChrfOptions): number => corpusChrf(hyps, [refs], options).score;

  it("chrF with epsilon smoothing, effective order and whitespace (test_chrf)", () => {
    const eps: [string[], string[], number][] = [
      [["abcdefg"], ["hijklmnop"], 0],
      [["a"], ["b"], 0],
      [[""], ["b"], 0],
      [[""], ["ref"], 0],
      [[""], ["reference"], 0],
      [["aa"], ["ab"], 8.3333],
      [["a", "b"], ["a", "c"], 8.3333],
      [["a"], ["a"], 16.6667],
      [["a b c"], ["a b c"], 50],
      [["a b c"], ["abc"], 50],
      [[" risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists ."], ["risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists ."], 63.36173],
      [[" Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. "], ["Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich."], 64.1302698],
      [["Niemand hat die Absicht, eine Mauer zu errichten"], ["Niemand hat die Absicht, eine Mauer zu errichten"], 100],
    ];
    for (const [h, r, expected] of eps) close(single(h, r, { charOrder: 6, wordOrder: 0, beta: 3, epsSmoothing: true }), expected, 1e-4, JSON.stringify(h));
    const effective: [string[], string[], number][] = [
      [["a"], ["a"], 100],
      [[""], ["reference"], 0],
      [["a b c"], ["a b c"], 100],
      [["a b c"], ["abc"], 100],
      [[""], ["c"], 0],
      [["a", "b"], ["a", "c"], 50],
      [["aa"], ["ab"], 25],
    ];
    for (const [h, r, expected] of effective) close(single(h, r, { charOrder: 6, wordOrder: 0, beta: 3 }), expected, 1e-4, JSON.stringify(h));
    close(
      single(["Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich."], ["Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich."], { beta: 3, whitespace: true }),
      67.3481606,
      1e-4,
      "whitespace 1",
    );
    close(
      single(["risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists ."], ["risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists ."], { beta: 3, whitespace: true }),
      65.2414427,
      1e-4,
      "whitespace 2",
    );
  });

  it("sentence-level chrF (test_chrf_sentence_level)", () => {
    const cases: [string, string, number][] = [
      ["Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře.", "Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře.", 39.14078509],
      ["Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři.", "A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři.", 31.22557079],
      ["Lapali po dechu, jejich životy skončily dřív, než skutečně začaly.", "Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli.", 57.15704367],
    ];
    for (const [h, r, expected] of cases) close(sentenceChrf(h, [r], { epsSmoothing: true }).score, expected, 1e-4, h);
  });
});

interface Vectors {
  sacrebleu: string;
  datasets: Record<string, { hypotheses: string[]; references: (string | null)[][] }>;
  tokenizers: { text: string; "13a": string; intl: string }[];
  bleu: { kind: string; data: string; options: Record<string, unknown>; score: number; counts: number[]; totals: number[]; sys_len: number; ref_len: number; bp: number; formatted: string }[];
  chrf: { kind: string; data: string; options: Record<string, unknown>; score: number; formatted: string }[];
}

/** sacreBLEU's keyword names (smooth_method) as lmscope's options (smoothMethod). */
const camelCase = <T>(options: Record<string, unknown>): T =>
  Object.fromEntries(Object.entries(options).map(([k, v]) => [k.replace(/_(.)/g, (_, c: string) => c.toUpperCase()), v])) as T;

/** "one-ref[3]" → the data set and the segment. */
function segmentOf(data: string): [string, number] {
  const m = /^(.*)\[(\d+)\]$/.exec(data)!;
  return [m[1]!, Number(m[2])];
}

describe("sacreBLEU 2.6.0 on generated corpora", () => {
  const vectors = JSON.parse(readFileSync(join(TEST_FIXTURES, "sacrebleu/vectors.json"), "utf8")) as Vectors;

  it("tokenizes like its 13a and intl tokenizers", () => {
    for (const t of vectors.tokenizers) {
      assert.equal(bleuTokenize(pythonRstrip(t.text), "13a"), t["13a"], JSON.stringify(t.text));
      assert.equal(bleuTokenize(pythonRstrip(t.text), "intl"), t.intl, JSON.stringify(t.text));
    }
  });

  it("gives the same BLEU statistics and printed lines", () => {
    assert.ok(vectors.bleu.length >= 80);
    for (const c of vectors.bleu) {
      const options = camelCase<BleuOptions>(c.options);
      let score;
      if (c.kind === "corpus") {
        const d = vectors.datasets[c.data]!;
        score = corpusBleu(d.hypotheses, d.references, options);
      } else {
        const [name, i] = segmentOf(c.data);
        const d = vectors.datasets[name]!;
        score = sentenceBleu(d.hypotheses[i]!, d.references.map((stream) => stream[i]!), options);
      }
      const where = `${c.kind} ${c.data} ${JSON.stringify(c.options)}`;
      assert.deepEqual([score.counts, score.totals, score.sysLen, score.refLen], [c.counts, c.totals, c.sys_len, c.ref_len], where);
      assert.equal(score.format(), c.formatted, where);
      close(score.score, c.score, 1e-12 * Math.max(1, c.score), where);
      close(score.bp, c.bp, 1e-14, where);
    }
  });

  it("gives the same chrF and chrF++ scores and printed lines", () => {
    for (const c of vectors.chrf) {
      const options = camelCase<ChrfOptions>(c.options);
      let score;
      if (c.kind === "corpus") {
        const d = vectors.datasets[c.data]!;
        score = corpusChrf(d.hypotheses, d.references, options);
      } else {
        const [name, i] = segmentOf(c.data);
        const d = vectors.datasets[name]!;
        score = sentenceChrf(d.hypotheses[i]!, d.references.map((stream) => stream[i]!), options);
      }
      const where = `${c.kind} ${c.data} ${JSON.stringify(c.options)}`;
      assert.equal(score.format(), c.formatted, where);
      close(score.score, c.score, 1e-12 * Math.max(1, c.score), where);
    }
  });
});

describe("metric arguments", () => {
  it("refuses unknown options, bad values and mismatched references by name", () => {
    assert.throws(() => corpusBleu(["a"], [["a"]], { smooth: "exp" } as BleuOptions), (e: unknown) => e instanceof OptionError && e.option === "smooth");
    assert.throws(() => corpusBleu(["a"], [["a"]], { tokenize: "zh" as "13a" }), (e: unknown) => e instanceof OptionError && /13a, intl, char, none/.test(e.message));
    assert.throws(() => corpusBleu(["a"], [["a"]], { smoothMethod: "floor", smoothValue: -1 }), (e: unknown) => e instanceof OptionError && e.option === "smoothValue");
    assert.throws(() => corpusBleu(["a"], [["a"]], { maxNgramOrder: 0 }), (e: unknown) => e instanceof OptionError && e.option === "maxNgramOrder");
    assert.throws(() => corpusBleu(["a", "b"], [["a"]]), (e: unknown) => e instanceof InputError && /reference stream 0 has 1 segments, the hypotheses 2/.test(e.message));
    assert.throws(() => corpusBleu([], []), InputError);
    assert.throws(() => corpusChrf(["a"], [["a"]], { wordOrder: -1 }), (e: unknown) => e instanceof OptionError && e.option === "wordOrder");
    assert.throws(() => corpusChrf(["a"], [["a"]], { charOrder: 0, wordOrder: 0 }), OptionError);
    assert.throws(() => computeBleu([1, 2], [3, 4], 1, 1), (e: unknown) => e instanceof InputError && /need 4 matches and 4 totals/.test(e.message));
  });

  it("reports sacreBLEU's signatures", () => {
    assert.equal(corpusBleu(["a b"], [["a b"]]).signature, "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0");
    assert.equal(sentenceBleu("a b", ["a b", "b a"], { smoothMethod: "floor" }).signature, "nrefs:2|case:mixed|eff:yes|tok:13a|smooth:floor[0.10]|version:2.6.0");
    assert.equal(corpusChrf(["a b"], [["a b"]], { wordOrder: 2 }).format({ signature: false }), "chrF2++ = 100.00");
    assert.equal(corpusChrf(["a b"], [["a b"]]).signature, "nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0");
  });
});

describe("Python string behaviour the scores depend on", () => {
  it("splits on Python's whitespace and rounds exact halves to even", () => {
    assert.deepEqual(pythonSplit(" a\x1cb\u0085c\u3000d\ufeffe\u200bf "), ["a", "b", "c", "d\ufeffe\u200bf"]);
    assert.equal(pythonRstrip("a \t\u2028\x1f"), "a");
    assert.deepEqual(
      [formatFixed(12.25, 1), formatFixed(12.35, 1), formatFixed(0.125, 2), formatFixed(0.375, 2), formatFixed(2.5, 0), formatFixed(3.5, 0), formatFixed(48.530827, 2)],
      ["12.2", "12.3", "0.12", "0.38", "2", "4", "48.53"],
    );
  });
});
