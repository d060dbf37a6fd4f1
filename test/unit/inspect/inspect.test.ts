// The inspection API on every decoder family of the registry (tiny seeded models)
// and on BERT: attention maps are probabilities that respect the mask and the
// window, hidden states follow HF's convention, the logit lens ends in the logits,
// captures are selected by name with an exact memory estimate, interventions equal
// direct computations on the weights, and patching a run with its own captures
// changes nothing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { jsBackend } from "../../../src/backend/js/index.js";
import { createModel, type EncoderModel } from "../../../src/index.js";
import { LanguageModel } from "../../../src/language-model.js";
import { SelfAttention } from "../../../src/nn/attention.js";
import { SparseSelfAttention } from "../../../src/nn/sparse-attention.js";
import { blueprintFor, decoderModelTypes } from "../../../src/models/registry.js";
import { FAMILY_CONFIGS, familyInitializer } from "../../helpers/family-configs.js";
import { randomInts, seededRandom } from "../../helpers/random.js";
import { maxAbs, maxAbsDiff } from "../../helpers/reference.js";

function model(modelType: string, overrides: Record<string, unknown> = {}): LanguageModel {
  const config = { ...FAMILY_CONFIGS[modelType]!, ...overrides };
  const network = blueprintFor(config, "test").build(new Map(), "test", { backend: jsBackend, ropeLayout: "half", initializer: familyInitializer(4) });
  return new LanguageModel({ network, tokenizer: null, source: { path: "", format: "created", dtypes: ["F32"], fileBytes: 0 }, config, ropeLayout: "half" });
}

for (const modelType of decoderModelTypes()) {
  test(`${modelType}: attentions are causal probabilities within the window; hidden states and the logit lens follow HF's convention`, async () => {
    const m = model(modelType);
    const { numLayers: layers, numHeads: heads, hiddenSize: dim, vocabSize: vocab } = m.config;
    const random = seededRandom(3);
    const batch = [randomInts(random, 11, vocab), randomInts(random, 11, vocab)];
    const out = await m.forward(batch, { outputAttentions: true, outputHiddenStates: true });
    assert.equal(out.attentions!.length, layers);
    assert.equal(out.hiddenStates!.length, layers + 1);
    out.attentions!.forEach((map, l) => {
      assert.deepEqual(map.shape, [2, heads, 11, 11]);
      const attention = m.network.parts.blocks[l]!.attention;
      // a sparse layer's window is only its local part: it also sees strided keys beyond it
      const window = attention instanceof SelfAttention && !(attention instanceof SparseSelfAttention) ? attention.window : 0;
      for (let row = 0; row < 2 * heads * 11; row++) {
        const i = row % 11;
        const probs = map.data.subarray(row * 11, (row + 1) * 11);
        const sum = probs.reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(sum - 1) < 1e-5, `layer ${l} row ${row} sums to ${sum}`);
        probs.forEach((p, j) => {
          if (j > i || (window > 0 && j <= i - window)) assert.equal(p, 0, `layer ${l}: query ${i} sees key ${j}`);
        });
      }
    });
    out.hiddenStates!.forEach((h) => assert.deepEqual(h.shape, [2, 11, dim]));
    // The last hidden state is what the LM head reads: the head alone gives the logits.
    const last = out.hiddenStates![layers]!.data;
    const fromHead = new Float32Array(11 * vocab);
    m.network.headOf(last.subarray(0, 11 * dim), 11, fromHead);
    assert.ok(maxAbsDiff(fromHead, out.data.subarray(0, 11 * vocab)) <= 1e-6 * maxAbs(fromHead));
    const lens = await m.logitLens(batch[1]!);
    assert.deepEqual(lens.shape, [layers + 1, 11, vocab]);
    assert.equal(maxAbsDiff(lens.data.subarray(layers * 11 * vocab), out.data.subarray(11 * vocab)), 0, "the lens's last layer is the logits");
  });
}

test("captures: names, wildcards and filters; the estimate is the bytes recorded; an unknown name is an error that shows the scheme", async () => {
  const m = model("llama");
  const ids = [[5, 9, 3, 7, 1, 22, 8]];
  const selector = ["blocks.*.attn.pattern", "blocks.1.mlp.post", "final_norm", "blocks.0.attn.z"];
  const out = await m.forward(ids, { captures: selector });
  assert.deepEqual([...out.captures!.keys()], ["blocks.0.attn.pattern", "blocks.0.attn.z", "blocks.1.attn.pattern", "blocks.1.mlp.post", "blocks.2.attn.pattern", "final_norm"]);
  const bytes = [...out.captures!.values()].reduce((s, a) => s + a.data.byteLength, 0);
  assert.equal(m.captureBytes(selector, 7), bytes);
  const filtered = await m.forward(ids, { captures: (name) => name.endsWith(".resid_post") });
  assert.deepEqual([...filtered.captures!.keys()], ["blocks.0.resid_post", "blocks.1.resid_post", "blocks.2.resid_post"]);
  await assert.rejects(m.forward(ids, { captures: ["blocks.0.attention"] }), /unknown capture name "blocks.0.attention": names are blocks.<0…2>.<resid_pre\|attn.pattern/);
  await assert.rejects(m.forward(ids, { captures: ["blocks.7.resid_pre"] }), /unknown capture name/);
  await assert.rejects(m.forward(ids, { outputAttention: true } as never), /unknown forward option "outputAttention"/);
});

test("ablating every head of a layer equals zeroing its output projection's weight; ablating the attention equals zeroing weight and bias", async () => {
  for (const modelType of ["gpt2", "llama", "gpt_neox"]) {
    const m = model(modelType);
    const { vocabSize: vocab, numHeads } = m.config;
    const ids = [randomInts(seededRandom(5), 9, vocab)];
    const heads = Array.from({ length: numHeads }, (_, h) => h);
    const ablatedHeads = await m.forward(ids, { interventions: [{ ablate: "heads", layer: 1, heads }] });
    const ablatedAttention = await m.forward(ids, { interventions: [{ ablate: "attention", layer: 1 }] });
    const output = m.network.parts.blocks[1]!.attention.outputProj;
    const weight = output.weight.type === "f32_columns" || output.weight.type === "f32" ? output.weight.data : null;
    const saved = { weight: weight!.slice(), bias: output.bias?.slice() ?? null };
    try {
      weight!.fill(0); // (GPT-2's Conv1D c_proj window is the whole of its weight)
      const zeroWeight = await m.forward(ids);
      assert.ok(maxAbsDiff(ablatedHeads.data, zeroWeight.data) <= 1e-6 * maxAbs(zeroWeight.data), `${modelType}: heads vs W_O = 0`);
      output.bias?.fill(0);
      const zeroBoth = await m.forward(ids);
      assert.ok(maxAbsDiff(ablatedAttention.data, zeroBoth.data) <= 1e-6 * maxAbs(zeroBoth.data), `${modelType}: attention vs W_O = b_O = 0`);
      if (output.bias === null) assert.ok(maxAbsDiff(ablatedHeads.data, ablatedAttention.data) === 0, `${modelType}: without a bias the two are the same`);
    } finally {
      weight!.set(saved.weight);
      if (saved.bias !== null) output.bias!.set(saved.bias);
    }
    const clean = await m.forward(ids);
    assert.ok(maxAbsDiff(clean.data, ablatedHeads.data) > 1e-3, `${modelType}: the ablation changes the logits`);
  }
});

test("ablating a neuron equals zeroing its column of the down projection; mean ablation uses the clean run's mean", async () => {
  const m = model("llama");
  const vocab = m.config.vocabSize;
  const ids = [randomInts(seededRandom(6), 8, vocab)];
  const ablated = await m.forward(ids, { interventions: [{ ablate: "neurons", layer: 0, neurons: [3, 17] }] });
  const down = m.network.parts.blocks[0]!.ffn.linears()[2]!;
  const w = down.weight.type === "f32" ? down.weight.data : null;
  const cols = down.inFeatures;
  const saved = w!.slice();
  try {
    for (let r = 0; r < down.outFeatures; r++) for (const j of [3, 17]) w![r * cols + j] = 0;
    const direct = await m.forward(ids);
    assert.ok(maxAbsDiff(ablated.data, direct.data) <= 1e-6 * maxAbs(direct.data));
  } finally {
    w!.set(saved);
  }
  // Mean ablation of the whole MLP output equals patching in the mean of the clean capture at every position.
  const clean = await m.forward(ids, { captures: ["blocks.1.mlp_out"] });
  const recorded = clean.captures!.get("blocks.1.mlp_out")!;
  const dim = m.config.hiddenSize;
  const mean = new Float32Array(8 * dim);
  for (let j = 0; j < dim; j++) {
    let s = 0;
    for (let t = 0; t < 8; t++) s += recorded.data[t * dim + j]!;
    for (let t = 0; t < 8; t++) mean[t * dim + j] = s / 8;
  }
  const meanAblated = await m.forward(ids, { interventions: [{ ablate: "mlp", layer: 1, mode: "mean" }] });
  const patched = await m.forward(ids, { interventions: [{ patch: "blocks.1.mlp_out", value: { data: mean, shape: [1, 8, dim] } }] });
  assert.ok(maxAbsDiff(meanAblated.data, patched.data) <= 1e-5 * maxAbs(patched.data));
});

test("patching a run with its own captures is the identity, and patching from another input moves the logits toward it", async () => {
  const m = model("qwen3");
  const vocab = m.config.vocabSize;
  const random = seededRandom(8);
  const a = [randomInts(random, 10, vocab)];
  const b = [randomInts(random, 10, vocab)];
  const names = ["blocks.1.resid_pre", "blocks.0.attn.z", "blocks.2.mlp.post"];
  const cleanA = await m.forward(a, { captures: names });
  for (const name of names) {
    const patched = await m.forward(a, { interventions: [{ patch: name, value: cleanA.captures!.get(name)! }] });
    assert.equal(maxAbsDiff(patched.data, cleanA.data), 0, `${name}: own captures`);
  }
  const cleanB = await m.forward(b, { captures: ["blocks.1.resid_pre"] });
  // The whole residual stream entering block 1 from b: everything after it is b's run.
  const patched = await m.forward(a, { interventions: [{ patch: "blocks.1.resid_pre", value: cleanB.captures!.get("blocks.1.resid_pre")! }] });
  assert.ok(maxAbsDiff(patched.data, cleanB.data) <= 1e-5 * maxAbs(cleanB.data));
  await assert.rejects(m.forward(a, { interventions: [{ patch: "blocks.*.resid_pre", value: cleanB.captures!.get("blocks.1.resid_pre")! }] }), /one capture point/);
  await assert.rejects(m.forward(a, { interventions: [{ ablate: "heads", layer: 9, heads: [0] }] }), /layer 9 does not exist/);
  await assert.rejects(m.forward(a, { interventions: [{ ablate: "heads", layer: 0, heads: [99] }] }), /heads: 99 is outside/);
});

test("generation with interventions decodes what forward with the same interventions predicts; logitDifference measures the change", async () => {
  const m = model("mistral");
  const prompt = { ids: [3, 14, 15, 9, 26] };
  const interventions = [{ ablate: "heads" as const, layer: 2, heads: [0, 1] }];
  const ids: number[] = [];
  for await (const piece of m.generate(prompt, { maxTokens: 6, temperature: 0, stopOnEos: false, interventions })) ids.push(piece.tokenId!);
  const sequence = [...prompt.ids];
  for (let t = 0; t < 6; t++) {
    const { data } = await m.forward([sequence], { interventions });
    const vocab = m.config.vocabSize;
    const last = data.subarray((sequence.length - 1) * vocab, sequence.length * vocab);
    sequence.push(last.indexOf(Math.max(...last)));
  }
  assert.deepEqual(ids, sequence.slice(prompt.ids.length));
  const difference = await m.logitDifference(prompt, { tokens: [4, 7], interventions });
  assert.ok(Math.abs(difference.change - (difference.intervened - difference.clean)) < 1e-6);
  assert.ok(Math.abs(difference.change) > 1e-4);
});

test("encoders: attentions respect the padding mask, hidden states end in last_hidden_state, the logit lens is refused", async () => {
  const bert = await createModel<EncoderModel>(
    { model_type: "bert", architectures: ["BertForMaskedLM"], vocab_size: 40, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 24, max_position_embeddings: 20 },
    { backend: "js", seed: 3 },
  );
  const inputs = { inputIds: [[2, 7, 9, 11, 3], [2, 8, 3, 0, 0]], attentionMask: [[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]] };
  const out = await bert.forward(inputs, { outputAttentions: true, outputHiddenStates: true });
  assert.equal(out.hiddenStates!.length, 3);
  assert.deepEqual(out.hiddenStates![2]!.data, out.lastHiddenState.data);
  for (const map of out.attentions!) {
    for (let h = 0; h < 2; h++) for (let i = 0; i < 5; i++) for (const j of [3, 4]) assert.equal(map.data[((1 * 2 + h) * 5 + i) * 5 + j], 0);
  }
  await assert.rejects(bert.logitLens(), /needs a decoder/);
  const summaries = await bert.tokenProbabilities({ ids: [2, 7, 9, 3] }, { topK: 3 });
  assert.equal(summaries.length, 4);
  summaries.forEach((s, t) => {
    assert.equal(s.top.length, 3);
    assert.equal(s.next!.tokenId, [2, 7, 9, 3][t]);
  });
});
