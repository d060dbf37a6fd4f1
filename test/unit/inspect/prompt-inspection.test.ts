// inspectPrompt reads, from one pass, exactly what the separate API calls give
// (tokenProbabilities, logitLens, forward's attentions) with and without
// interventions, names every token it mentions, and refuses what it cannot
// do by name; logitLensSummaries equals summarising the full lens; the token
// texts keep what decoding one id alone loses; traceGeneration is generate's
// run with its decisions.
import assert from "node:assert/strict";
import { test } from "node:test";
import { logitLensSummaries } from "../../../src/inspect/decoder-inspection.js";
import { traceGeneration } from "../../../src/inspect/generation-trace.js";
import { inspectPrompt } from "../../../src/inspect/prompt-inspection.js";
import { summarizePositions } from "../../../src/inspect/token-probabilities.js";
import { tokenTexts } from "../../../src/inspect/token-texts.js";
import { byteLevelTokenizer, sentencePieceTokenizer } from "../tokenizers/fixtures.js";
import { inspectModel } from "../../helpers/inspect-model.js";

const PROMPT = "the cab on the ab, the cat";

test("one pass gives what tokenProbabilities, logitLens and forward give, clean and with an ablation", async () => {
  const model = await inspectModel();
  const ids = model.tokenizer.encode(PROMPT);
  const vocab = model.config.vocabSize;
  for (const interventions of [[], [{ ablate: "heads" as const, layer: 1, heads: [0, 3] }]]) {
    const inspected = inspectPrompt(model, PROMPT, { topK: 7, lensTopK: 2, interventions });
    assert.deepEqual(inspected.ids, ids);
    assert.deepEqual(inspected.positions, await model.tokenProbabilities({ ids }, { topK: 7, interventions }));
    const lens = await model.logitLens(ids, { interventions });
    const seq = ids.length;
    assert.equal(inspected.lens.length, 4);
    inspected.lens.forEach((layer, i) => {
      assert.deepEqual(layer, summarizePositions(lens.data.subarray(i * seq * vocab, (i + 1) * seq * vocab), seq, vocab, 2, (t) => ids[t + 1]));
    });
    const forward = await model.forward([ids], { outputAttentions: true, interventions });
    assert.deepEqual(inspected.attentionLayers, [0, 1, 2]);
    inspected.attentions.forEach((map, l) => assert.deepEqual(map, forward.attentions![l]));
    const named = [...inspected.ids, ...[inspected.positions, ...inspected.lens].flat().flatMap((s) => s.top.map((c) => c.tokenId))];
    for (const id of named) assert.equal(inspected.texts[id], tokenTexts(model.tokenizer)(id));
    assert.deepEqual(inspected.tokens, ids.map(tokenTexts(model.tokenizer)));
    assert.equal(inspected.vocabSize, vocab);
  }
  const clean = inspectPrompt(model, PROMPT);
  const ablated = inspectPrompt(model, PROMPT, { interventions: [{ ablate: "attention", layer: 0 }] });
  assert.notDeepEqual(clean.positions, ablated.positions, "the ablation changes the probabilities");
  assert.deepEqual(ablated.interventions, [{ ablate: "attention", layer: 0 }]);
});

test("logitLensSummaries equals summarizing each layer of the full logit lens", async () => {
  const model = await inspectModel();
  const ids = model.tokenizer.encode(PROMPT);
  const vocab = model.config.vocabSize;
  const lens = await model.logitLens(ids);
  const summaries = logitLensSummaries(model.network, ids, 4);
  summaries.forEach((layer, i) => {
    assert.deepEqual(layer, summarizePositions(lens.data.subarray(i * ids.length * vocab, (i + 1) * ids.length * vocab), ids.length, vocab, 4, (t) => ids[t + 1]));
  });
  assert.deepEqual(summaries[summaries.length - 1], await model.tokenProbabilities({ ids }, { topK: 4 }), "the last layer is the model's own distribution");
});

test("chosen attention layers only; errors name the empty prompt, the context, the layer, the option and the memory limit", async () => {
  const model = await inspectModel();
  const some = inspectPrompt(model, PROMPT, { attentionLayers: [2, 0, 2] });
  assert.deepEqual(some.attentionLayers, [0, 2]);
  assert.equal(some.attentions.length, 2);
  assert.throws(() => inspectPrompt(model, ""), /the prompt is empty/);
  assert.throws(() => inspectPrompt(model, "the cab ".repeat(30)), /the prompt has \d+ tokens, more than the model's context window of 40/);
  assert.throws(() => inspectPrompt(model, { ids: [1, 999] }), /prompt token 1 is 999, outside the vocabulary \[0, 279\)/);
  assert.throws(() => inspectPrompt(model, PROMPT, { attentionLayers: [3] }), /option "attentionLayers": layer 3 does not exist \(the model has layers 0…2\)/);
  assert.throws(() => inspectPrompt(model, PROMPT, { topK: 0 }), /option "topK": expected a positive integer/);
  assert.throws(() => inspectPrompt(model, PROMPT, { maxCaptureBytes: 1000 }), /inspecting \d+ tokens takes .* MB \(the attention maps of 3 layers: .* MB\), over the limit of 0.0 MB: choose fewer attention layers/);
  assert.throws(() => inspectPrompt(model, PROMPT, { interventions: [{ ablate: "heads", layer: 0, heads: [9] }] }), /heads: 9 is outside \[0, 4\)/);
});

test("token texts: the leading space a SentencePiece decoder strips, bytes of a split character as their vocabulary entry", () => {
  const sp = sentencePieceTokenizer();
  const text = tokenTexts(sp);
  assert.equal(sp.decode([sp.tokenToId("▁the")!]), "the", "decoding alone loses the space");
  assert.equal(text(sp.tokenToId("▁the")!), " the");
  assert.equal(text(sp.tokenToId("<0xC3>")!), "<0xC3>");
  assert.equal(text(1), "<s>");
  const byteLevel = byteLevelTokenizer().tokenizer;
  const ids = byteLevel.encode(" the cat 日本");
  assert.equal(ids.map(tokenTexts(byteLevel)).join(""), " the cat 日本");
});

test("traceGeneration is generate's run: the same tokens and text, each step's decision with its kept list cut to the candidates", async () => {
  const model = await inspectModel();
  const options = { maxTokens: 6, temperature: 1.5, topK: 40, seed: 4, stopOnEos: false };
  const ids: number[] = [];
  let text = "";
  for await (const piece of model.generate(PROMPT, options)) {
    if (piece.tokenId !== null) ids.push(piece.tokenId);
    text += piece.text;
  }
  const trace = await traceGeneration(model, PROMPT, { ...options, candidates: 3 });
  assert.deepEqual(trace.steps.map((s) => s.tokenId), ids);
  assert.equal(trace.steps.map((s) => s.text).join(""), text);
  assert.equal(trace.finishReason, "length");
  for (const step of trace.steps) {
    assert.equal(step.decision.chosen, step.tokenId);
    assert.equal(step.keptCount, 40);
    assert.equal(step.decision.kept.length, 3);
    assert.ok(step.chosenProbability > 0);
    for (const id of [step.tokenId, ...step.decision.adjusted.map((c) => c.tokenId)]) assert.equal(typeof trace.texts[id], "string");
  }
  const ablated = await traceGeneration(model, PROMPT, { ...options, interventions: [{ ablate: "mlp", layer: 2 }] });
  assert.notDeepEqual(ablated.steps.map((s) => s.decision.raw), trace.steps.map((s) => s.decision.raw), "interventions reach generation");
  await assert.rejects(traceGeneration(model, PROMPT, { topP: 2 }), /option "topP"/);
});
