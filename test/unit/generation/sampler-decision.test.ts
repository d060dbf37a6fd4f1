// The sampler's decision (Sampler.decide, generate's `trace`) is exactly what the
// sampler does: drawing many times, only the tokens it lists as kept appear, with
// the frequencies it states; each filter's removals match the definitions on
// constructed distributions; tracing does not change what is generated.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Sampler } from "../../../src/generation/sampler.js";
import { jsBackend } from "../../../src/backend/js/index.js";
import { LanguageModel } from "../../../src/language-model.js";
import { blueprintFor } from "../../../src/models/registry.js";
import { FAMILY_CONFIGS, familyInitializer } from "../../helpers/family-configs.js";

/** logits whose softmax is proportional to `weights`. */
function logitsOf(weights: number[]): Float32Array {
  return Float32Array.from(weights, (w) => (w > 0 ? Math.log(w) : -Infinity));
}

const LOGITS = logitsOf([30, 1, 20, 0.5, 15, 10, 8, 0.2, 6, 5, 3, 2]);

for (const options of [
  { temperature: 1 },
  { temperature: 0.7, topK: 5 },
  { temperature: 1.3, topP: 0.8 },
  { temperature: 1, minP: 0.2 },
  { temperature: 0.9, topK: 6, topP: 0.9, minP: 0.25 },
  { temperature: 1, topP: 0.7, minP: 0.3 },
]) {
  test(`decide ${JSON.stringify(options)}: only kept tokens are drawn, at the stated frequencies`, () => {
    const sampler = new Sampler(LOGITS.length, { ...options, seed: 11 });
    const counts = new Map<number, number>();
    const draws = 20000;
    let kept: Map<number, number> | null = null;
    for (let i = 0; i < draws; i++) {
      const decision = sampler.decide(LOGITS, [], 12);
      const probabilities = new Map(decision.kept.map((c) => [c.tokenId, c.probability]));
      kept ??= probabilities;
      assert.deepEqual(probabilities, kept, "the kept set does not depend on the draw");
      assert.ok(probabilities.has(decision.chosen), `drew ${decision.chosen}, not among the kept ${[...probabilities.keys()]}`);
      counts.set(decision.chosen, (counts.get(decision.chosen) ?? 0) + 1);
    }
    const total = [...kept!.values()].reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(total - 1) < 1e-9, `kept probabilities sum to ${total}`);
    for (const [id, p] of kept!) {
      const observed = (counts.get(id) ?? 0) / draws;
      const sigma = Math.sqrt((p * (1 - p)) / draws);
      assert.ok(Math.abs(observed - p) <= 5 * sigma + 1e-4, `token ${id}: stated ${p.toFixed(4)}, observed ${observed.toFixed(4)}`);
    }
  });
}

test("decide draws what sample() draws, seed for seed", () => {
  const a = new Sampler(LOGITS.length, { temperature: 0.8, topP: 0.9, seed: 5 });
  const b = new Sampler(LOGITS.length, { temperature: 0.8, topP: 0.9, seed: 5 });
  for (let i = 0; i < 500; i++) assert.equal(a.decide(LOGITS).chosen, b.sample(LOGITS));
});

test("each filter's removals follow its definition", () => {
  // Probabilities after softmax: 0.4, 0.3, 0.15, 0.1, 0.05.
  const logits = logitsOf([40, 30, 15, 10, 5]);
  const topK = new Sampler(5, { topK: 2 }).decide(logits, [], 5);
  assert.deepEqual(topK.filters.map((f) => [f.name, f.kept, f.removed.map((c) => c.tokenId)]), [["top-k", 2, [2, 3, 4]]]);
  assert.deepEqual(topK.kept.map((c) => [c.tokenId, +c.probability.toFixed(6)]), [[0, 0.571429], [1, 0.428571]]);
  const topP = new Sampler(5, { topP: 0.8 }).decide(logits, [], 5);
  assert.deepEqual(topP.filters.map((f) => [f.name, f.removed.map((c) => c.tokenId)]), [["top-p", [3, 4]]]);
  const minP = new Sampler(5, { minP: 0.3 }).decide(logits, [], 5); // keep p ≥ 0.3 · 0.4 = 0.12
  assert.deepEqual(minP.filters.map((f) => [f.name, f.kept, f.removed.map((c) => c.tokenId)]), [["min-p", 3, [3, 4]]]);
  const both = new Sampler(5, { topK: 4, topP: 0.75, minP: 0.5 }).decide(logits, [], 5);
  assert.deepEqual(both.filters.map((f) => [f.name, f.removed.map((c) => c.tokenId)]), [["top-k", [4]], ["top-p", [3]], ["min-p", [2]]]);
  const greedy = new Sampler(5, { temperature: 0 }).decide(logits, [], 3);
  assert.equal(greedy.greedy, true);
  assert.equal(greedy.chosen, 0);
  assert.deepEqual(greedy.raw.map((c) => c.tokenId), [0, 1, 2]);
  const penalised = new Sampler(5, { temperature: 2, repetitionPenalty: 3 }).decide(logits, [0], 5);
  assert.ok(penalised.adjusted[0]!.tokenId === 1, "the penalty moved token 0 down");
  assert.notDeepEqual(penalised.raw, penalised.adjusted);
});

test("generate's trace attaches each step's decision without changing the text", async () => {
  const config = FAMILY_CONFIGS["llama"]!;
  const network = blueprintFor(config, "test").build(new Map(), "test", { backend: jsBackend, ropeLayout: "half", initializer: familyInitializer(2) });
  const model = new LanguageModel({ network, tokenizer: null, source: { path: "", format: "created", dtypes: ["F32"], fileBytes: 0 }, config, ropeLayout: "half" });
  const options = { maxTokens: 12, temperature: 0.9, topK: 20, topP: 0.95, seed: 4, stopOnEos: false };
  const plain: number[] = [];
  for await (const piece of model.generate({ ids: [3, 4, 5] }, options)) plain.push(piece.tokenId!);
  const traced: number[] = [];
  for await (const piece of model.generate({ ids: [3, 4, 5] }, { ...options, trace: 5 })) {
    assert.equal(piece.decision!.chosen, piece.tokenId);
    assert.equal(piece.decision!.raw.length, 5);
    assert.ok(piece.decision!.kept.some((c) => c.tokenId === piece.tokenId));
    traced.push(piece.tokenId!);
  }
  assert.deepEqual(traced, plain);
  await assert.rejects(async () => {
    for await (const _ of model.generate({ ids: [3] }, { trace: -1 })) void _;
  }, /option "trace"/);
});
