// Beam search (transformers' algorithm, generation/beam-search.ts) on a constructed
// model whose next-token logits are a fixed function of the prefix: with enough
// beams that nothing is pruned, the hypotheses it returns are exactly the best
// complete sequences a brute-force enumeration finds, with the same scores, for
// several length penalties; and the logits processors do what transformers' do.
import assert from "node:assert/strict";
import { test } from "node:test";
import { beamSearch, type BeamStepper } from "../../../src/generation/beam-search.js";
import {
  BadWordsProcessor,
  ForcedBosProcessor,
  ForcedEosProcessor,
  logSoftmaxInPlace,
  MinLengthProcessor,
  NoRepeatNGramProcessor,
  type SequenceProcessor,
} from "../../../src/generation/sequence-processors.js";

const VOCAB = 3; // 0 is eos
const EOS = 0;
const PROMPT = [2];

/** Deterministic logits of the token after `prefix`. */
function logitsAfter(prefix: readonly number[]): Float32Array {
  let h = 17;
  for (const id of prefix) h = (Math.imul(h, 31) + id + 7) >>> 0;
  return Float32Array.from({ length: VOCAB }, (_, t) => 1.7 * Math.sin(h * 0.001 + t * 2.3) + (t === EOS ? -0.4 : 0));
}

/** A stepper over the constructed model that keeps each beam's sequence. */
class PrefixStepper implements BeamStepper {
  readonly vocabSize = VOCAB;
  private beams: number[][];
  constructor(numBeams: number) {
    this.beams = Array.from({ length: numBeams }, () => [...PROMPT]);
  }
  first(): Float32Array {
    return logitsAfter(PROMPT);
  }
  advance(parents: Int32Array, tokens: Int32Array): void {
    this.beams = Array.from(parents, (p, b) => [...this.beams[p]!, tokens[b]!]);
  }
  logitsOf(beam: number): Float32Array {
    return logitsAfter(this.beams[beam]!);
  }
}

/** Every complete sequence (ends in eos, or reaches maxLength) with its score, best first. */
function bruteForce(maxLength: number, lengthPenalty: number, processors: readonly SequenceProcessor[]): { ids: number[]; score: number }[] {
  const complete: { ids: number[]; score: number }[] = [];
  const extend = (sequence: number[], sum: number) => {
    const scores = Float64Array.from(logitsAfter(sequence));
    logSoftmaxInPlace(scores);
    for (const p of processors) p.apply(scores, sequence);
    for (let t = 0; t < VOCAB; t++) {
      if (scores[t] === -Infinity) continue;
      const next = [...sequence, t];
      const total = sum + scores[t]!;
      if (t === EOS || next.length >= maxLength) complete.push({ ids: next.slice(PROMPT.length), score: total / (next.length - PROMPT.length) ** lengthPenalty });
      else extend(next, total);
    }
  };
  extend([...PROMPT], 0);
  return complete.sort((a, b) => b.score - a.score);
}

test("with enough beams, beam search returns the brute-force best sequences and scores (length penalties 0, 1, 2; early stopping never / true)", () => {
  const maxLength = 5; // prompt + 4 new tokens: 31 complete sequences, at most 8 running beams
  for (const [lengthPenalty, earlyStopping] of [[0, "never"], [1, "never"], [2, "never"], [1, true], [0.5, false]] as const) {
    const expected = bruteForce(maxLength, lengthPenalty, []);
    const numBeams = 32;
    const found = beamSearch(new PrefixStepper(numBeams), [], { numBeams, maxLength, lengthPenalty, earlyStopping, numReturnSequences: 6, eosTokenIds: [EOS], prompt: PROMPT });
    assert.deepEqual(found.map((h) => h.ids), expected.slice(0, 6).map((h) => h.ids), `lengthPenalty ${lengthPenalty}, earlyStopping ${String(earlyStopping)}`);
    found.forEach((h, i) => assert.ok(Math.abs(h.score - expected[i]!.score) < 1e-9, `score ${h.score} vs ${expected[i]!.score}`));
  }
});

test("with processors (forced BOS, no-repeat bigrams), the search still matches the enumeration of what the processors allow", () => {
  const processors = [new NoRepeatNGramProcessor(2), new ForcedBosProcessor(1)];
  const expected = bruteForce(6, 1, processors);
  const found = beamSearch(new PrefixStepper(64), processors, { numBeams: 64, maxLength: 6, lengthPenalty: 1, earlyStopping: "never", numReturnSequences: 4, eosTokenIds: [EOS], prompt: PROMPT });
  assert.deepEqual(found.map((h) => h.ids), expected.slice(0, 4).map((h) => h.ids));
  assert.equal(found[0]!.ids[0], 1, "forced first token");
});

test("a narrow beam prunes: the result is a complete sequence whose score is its own, never better than the optimum", () => {
  const expected = bruteForce(7, 1, []);
  const [best] = beamSearch(new PrefixStepper(2), [], { numBeams: 2, maxLength: 7, lengthPenalty: 1, earlyStopping: true, numReturnSequences: 1, eosTokenIds: [EOS], prompt: PROMPT });
  const own = expected.find((h) => h.ids.join() === best!.ids.join())!;
  assert.ok(own !== undefined && Math.abs(own.score - best!.score) < 1e-9);
  assert.ok(best!.score <= expected[0]!.score + 1e-12);
});

test("logits processors do what transformers' do", () => {
  const scores = () => new Float64Array(6).fill(1);
  // no-repeat bigrams: after "… 3 4 … 3", 4 is banned
  const noRepeat = scores();
  new NoRepeatNGramProcessor(2).apply(noRepeat, [0, 3, 4, 5, 3]);
  assert.deepEqual([...noRepeat], [1, 1, 1, 1, -Infinity, 1]);
  const unigram = scores();
  new NoRepeatNGramProcessor(1).apply(unigram, [2, 5]);
  assert.deepEqual([...unigram], [1, 1, -Infinity, 1, 1, -Infinity]);
  // bad words: single tokens always, sequences when their prefix ends the input; [eos] alone is dropped
  const bad = scores();
  new BadWordsProcessor([[5], [2, 3], [4, 1], [0]], [0]).apply(bad, [1, 2]);
  assert.deepEqual([...bad], [1, 1, 1, -Infinity, 1, -Infinity]);
  // min length counts the decoder sequence, start token included; min new tokens skip it
  const short = scores();
  new MinLengthProcessor(3, [0, 4]).apply(short, [2, 5]);
  assert.deepEqual([...short], [-Infinity, 1, 1, 1, -Infinity, 1]);
  const longEnough = scores();
  new MinLengthProcessor(2, [0], 1).apply(longEnough, [2, 5, 5]);
  assert.deepEqual([...longEnough], [1, 1, 1, 1, 1, 1]);
  // forced BOS at the first step only; forced EOS at max_length − 1
  const bos = scores();
  new ForcedBosProcessor(3).apply(bos, [2]);
  assert.deepEqual([...bos], [-Infinity, -Infinity, -Infinity, 0, -Infinity, -Infinity]);
  const later = scores();
  new ForcedBosProcessor(3).apply(later, [2, 3]);
  assert.deepEqual([...later], [1, 1, 1, 1, 1, 1]);
  const eos = scores();
  new ForcedEosProcessor(4, [0, 5]).apply(eos, [2, 1, 1]);
  assert.deepEqual([...eos], [0, -Infinity, -Infinity, -Infinity, -Infinity, 0]);
});
