// Recurrent language models (Elman, LSTM, GRU) built by createModel on awkward
// sizes: forward equals a plain float64 implementation of torch's equations;
// the inference path (buffers, carried state) and the training path (tape) give
// the same loss; generation that carries the hidden state equals recomputing
// the whole sequence at every step; the generation options and errors are the
// decoders'; the WASM backend agrees with js; save → load round-trips.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import type { Backend } from "../../../src/backend/backend.js";
import { jsBackend } from "../../../src/backend/js/index.js";
import { createWasmBackend } from "../../../src/backend/wasm/index.js";
import { InputError, OptionError } from "../../../src/errors.js";
import { AdamW, createModel, loadModel, type GenerateOptions, type Prompt } from "../../../src/index.js";
import type { RnnLanguageModel } from "../../../src/recurrent-model.js";
import { characterTokenizer } from "../../../src/training/datasets/index.js";
import { referenceForward, type Cell } from "../../helpers/recurrent-reference.js";
import { randomInts, seededRandom } from "../../helpers/random.js";

const CELLS: Cell[] = ["rnn", "lstm", "gru"];
const random = seededRandom(1990);
const VOCAB = 11;
const tmp: string[] = [];
after(async () => Promise.all(tmp.map((dir) => rm(dir, { recursive: true, force: true }))));

function config(cell: Cell, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model_type: "rnn", cell, vocab_size: VOCAB, embedding_dim: 5, hidden_size: 7, num_layers: 3, ...extra };
}

async function model(cell: Cell, extra: Record<string, unknown> = {}, backend: Backend = jsBackend, seed = 3): Promise<RnnLanguageModel> {
  return createModel<RnnLanguageModel>(config(cell, extra), { backend, seed });
}

function weightsOf(m: RnnLanguageModel): Map<string, Float32Array> {
  return new Map(m.namedParameters().map(([name, p]) => [name, p.data]));
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

async function collect(m: RnnLanguageModel, prompt: Prompt, options: GenerateOptions) {
  const ids: number[] = [];
  let text = "";
  const run = m.generate(prompt, options);
  let next = await run.next();
  for (; next.done !== true; next = await run.next()) {
    text += next.value.text;
    if (next.value.tokenId !== null) ids.push(next.value.tokenId);
  }
  return { ids, text, result: next.value };
}

test("forward equals a plain float64 implementation of torch's equations, for every cell, 3 layers, 70 steps (two chunks)", async () => {
  for (const cell of CELLS) {
    for (const extra of [{}, { bias: false }, { tie_word_embeddings: true, embedding_dim: 7 }]) {
      const m = await model(cell, extra);
      const rows = [randomInts(random, 70, VOCAB), randomInts(random, 70, VOCAB)];
      const { data, shape } = await m.forward(rows);
      assert.deepEqual(shape, [2, 70, VOCAB]);
      const reference = { cell, vocab: VOCAB, embeddingDim: m.config.embeddingDim, hidden: 7, layers: 3, weights: weightsOf(m) };
      rows.forEach((row, b) => {
        const expected = referenceForward(reference, row).logits.flat();
        const diff = maxDiff(data.subarray(b * 70 * VOCAB, (b + 1) * 70 * VOCAB), expected);
        assert.ok(diff < 2e-5, `${cell} ${JSON.stringify(extra)} row ${b}: max |logit diff| ${diff}`);
      });
    }
  }
});

test("the names and shapes are torch's, in torch's parameter order; the count is exact", async () => {
  const m = await model("lstm");
  assert.deepEqual(
    m.namedParameters().map(([name, p]) => `${name} [${p.shape.join(", ")}]`),
    [
      "embedding.weight [11, 5]",
      ...[0, 1, 2].flatMap((l) => [
        `rnn.weight_ih_l${l} [28, ${l === 0 ? 5 : 7}]`,
        `rnn.weight_hh_l${l} [28, 7]`,
        `rnn.bias_ih_l${l} [28]`,
        `rnn.bias_hh_l${l} [28]`,
      ]),
      "lm_head.weight [11, 7]",
      "lm_head.bias [11]",
    ],
  );
  const info = m.info();
  assert.equal(info.parameters, 55 + (28 * 5 + 28 * 7 + 56) + 2 * (28 * 14 + 56) + 77 + 11);
  assert.equal(info.recurrentParameters, info.parameters - 55 - 88);
  const tied = await model("gru", { tie_word_embeddings: true, embedding_dim: 7 });
  assert.ok(!tied.namedParameters().some(([name]) => name === "lm_head.weight"), "a tied head is the embedding table");
});

test("the inference path and the training tape give the same loss (and -100 targets do not count)", async () => {
  for (const cell of CELLS) {
    const m = await model(cell);
    const inputIds = [randomInts(random, 13, VOCAB), randomInts(random, 13, VOCAB), randomInts(random, 13, VOCAB)];
    const targets = inputIds.map((row) => row.map((_, t) => (t % 4 === 3 ? -100 : (row[t]! * 7 + 3) % VOCAB)));
    const { data } = await m.forward(inputIds);
    let sum = 0;
    let count = 0;
    targets.forEach((row, b) =>
      row.forEach((target, t) => {
        if (target === -100) return;
        const logits = data.subarray((b * 13 + t) * VOCAB, (b * 13 + t + 1) * VOCAB);
        const max = Math.max(...logits);
        const logSum = Math.log(logits.reduce((s, v) => s + Math.exp(v - max), 0)) + max;
        sum += logSum - logits[target]!;
        count++;
      }),
    );
    const evaluated = await m.evaluate({ inputIds, targets });
    const loss = await m.loss({ inputIds, targets });
    assert.ok(Math.abs(evaluated - sum / count) < 1e-5, `${cell}: evaluate ${evaluated} vs ${sum / count}`);
    assert.equal(loss.value, evaluated);
  }
});

test("generation carries the hidden state: every step's logits equal recomputing the whole sequence", async () => {
  for (const cell of CELLS) {
    const m = await model(cell);
    const prompt = randomInts(random, 5, VOCAB);
    const { ids, result } = await collect(m, { ids: prompt }, { maxTokens: 20, temperature: 0, stopOnEos: false });
    assert.equal(ids.length, 20);
    assert.deepEqual(result.ids, [...prompt, ...ids]);
    // the network fed one token at a time, from one carried state
    const state = m.network.createState();
    const stepLogits = new Float32Array(VOCAB);
    const all = result.ids;
    for (let t = 0; t < all.length; t++) {
      m.network.forward([all[t]!], state, stepLogits, "last");
      const whole = await m.forward([all.slice(0, t + 1)]);
      const recomputed = whole.data.subarray(t * VOCAB, (t + 1) * VOCAB);
      assert.ok(maxDiff(stepLogits, recomputed) <= 1e-6, `${cell} step ${t}: carried and recomputed logits differ`);
      if (t >= prompt.length - 1 && t + 1 < all.length) {
        const argmax = recomputed.indexOf(Math.max(...recomputed));
        assert.equal(all[t + 1], argmax, `${cell}: greedy token ${t + 1} is the argmax of the recomputed logits`);
      }
    }
    assert.equal(state.length, all.length);
  }
});

test("generation reuses its state and logits buffer: nothing more is allocated after the first call", async () => {
  let floats = 0;
  const counting: Backend = { ...jsBackend, allocate: (length) => ((floats += length), jsBackend.allocate(length)) };
  const m = await model("lstm", {}, counting);
  const first = await collect(m, { ids: [1, 2] }, { maxTokens: 30, temperature: 0, stopOnEos: false });
  const afterFirst = floats;
  const longer = await collect(m, { ids: [1, 2] }, { maxTokens: 300, temperature: 0, stopOnEos: false });
  assert.deepEqual(longer.ids.slice(0, 30), first.ids);
  assert.equal(floats, afterFirst, "a longer generation needs no larger state");
});

test("generation has the decoders' options and errors; with no context window, maxTokens is required", async () => {
  const m = await createModel<RnnLanguageModel>(config("gru", { vocab_size: 6, eos_token_id: 5 }), {
    backend: jsBackend,
    seed: 9,
    tokenizer: characterTokenizer(["a", "b", "c", " ", "\n", "."]),
  });
  await assert.rejects(collect(m, "ab", { max_tokens: 3 } as GenerateOptions), (e: unknown) => e instanceof OptionError && /max_tokens/.test(e.message));
  await assert.rejects(collect(m, "ab", {}), (e: unknown) => e instanceof OptionError && /maxTokens/.test(e.message) && /recurrent/.test(e.message));
  await assert.rejects(collect(m, { ids: [1, 6] }, { maxTokens: 2 }), (e: unknown) => e instanceof InputError && /prompt token 1 is 6, outside the vocabulary \[0, 6\)/.test(e.message));
  await assert.rejects(collect(m, { ids: [] }, { maxTokens: 2 }), /no BOS token/);
  const a = await collect(m, "ab", { maxTokens: 40, seed: 5, stopOnEos: false, topK: 4, topP: 0.9 });
  const b = await collect(m, "ab", { maxTokens: 40, seed: 5, stopOnEos: false, topK: 4, topP: 0.9 });
  assert.deepEqual(a.ids, b.ids, "seeded sampling is reproducible");
  assert.equal(a.ids.length, 40);
  assert.equal(a.text, m.tokenizer.decode(a.ids));
  const stopAt = a.text.slice(3, 5);
  const stopped = await collect(m, "ab", { maxTokens: 40, seed: 5, stopOnEos: false, topK: 4, topP: 0.9, stop: [stopAt] });
  assert.equal(stopped.result.finishReason, "stop");
  assert.equal(stopped.text, a.text.slice(0, a.text.indexOf(stopAt)));
  const long = await collect(m, { ids: new Array(500).fill(2) }, { maxTokens: 3, temperature: 0, stopOnEos: false });
  assert.equal(long.ids.length, 3, "a prompt of any length fits");
  const free = await collect(m, "ab", { maxTokens: 200, seed: 1, stopOnEos: false });
  const eosAt = free.ids.indexOf(5);
  assert.ok(eosAt >= 0, "the sampled text contains the EOS id");
  const withEos = await collect(m, "ab", { maxTokens: 200, seed: 1 });
  assert.equal(withEos.result.finishReason, "eos");
  assert.deepEqual(withEos.ids, free.ids.slice(0, eosAt), "generation ends before EOS, as the decoders' does");
});

test("forward refuses ragged rows and ids outside the vocabulary; loss refuses bad targets", async () => {
  const m = await model("rnn");
  await assert.rejects(m.forward([[1, 2], [3]]), /row 1 has 1 ids but row 0 has 2/);
  await assert.rejects(m.forward([]), InputError);
  await assert.rejects(m.forward([[1, VOCAB]]), /id 11 at index 1 is outside the embedding table/);
  await assert.rejects(m.loss({ inputIds: [[1, 2]], targets: [[1, 12]] }), /target \[0\]\[1\] is 12/);
  await assert.rejects(m.loss({ inputIds: [[1, 2]], targets: [[1]] }), /must both be 1 rows of 2 ids/);
});

test("the WASM backend gives js's logits, loss and gradients", async () => {
  const wasm = await createWasmBackend({ threads: 2 });
  try {
    for (const cell of CELLS) {
      const onJs = await model(cell, {}, jsBackend, 21);
      const onWasm = await model(cell, {}, wasm, 21);
      const rows = [randomInts(random, 19, VOCAB), randomInts(random, 19, VOCAB)];
      assert.ok(maxDiff((await onJs.forward(rows)).data, (await onWasm.forward(rows)).data) < 1e-5, `${cell} logits`);
      const batch = { inputIds: rows, targets: rows.map((r) => r.map((id) => (id + 1) % VOCAB)) };
      const [lossJs, lossWasm] = [await onJs.loss(batch), await onWasm.loss(batch)];
      assert.ok(Math.abs(lossJs.value - lossWasm.value) < 1e-5, `${cell} loss`);
      await lossJs.backward();
      await lossWasm.backward();
      const wasmGrads = new Map(onWasm.namedParameters());
      for (const [name, p] of onJs.namedParameters()) {
        assert.ok(maxDiff(p.grad!, wasmGrads.get(name)!.grad!) < 1e-5, `${cell} gradient of ${name}`);
      }
    }
  } finally {
    wasm.dispose();
  }
});

test("AdamW steps lower the loss; the model's dropout needs a seeded source and is reproducible with it", async () => {
  for (const cell of CELLS) {
    const m = await model(cell, { dropout: 0.25 });
    const inputIds = [randomInts(random, 16, VOCAB), randomInts(random, 16, VOCAB)];
    const batch = { inputIds, targets: inputIds.map((row) => row.map((id) => (id * 3 + 1) % VOCAB)) };
    await assert.rejects(m.loss(batch), (e: unknown) => e instanceof OptionError && /random/.test(e.message));
    const seeded = (seed: number) => ({ random: seededRandom(seed) });
    const a = await m.loss(batch, seeded(7));
    const b = await m.loss(batch, seeded(7));
    const c = await m.loss(batch, seeded(8));
    assert.equal(a.value, b.value);
    assert.notEqual(a.value, c.value, "dropout between layers changes the loss");
    const optimizer = new AdamW(m.parameters(), { lr: 1e-2, betas: [0.9, 0.99], eps: 1e-8, weightDecay: 0 });
    const before = await m.evaluate(batch);
    for (let step = 0; step < 25; step++) {
      optimizer.zeroGrad();
      const loss = await m.loss(batch, { ...seeded(step), dropout: 0.1 });
      await loss.backward();
      optimizer.step();
    }
    const afterTraining = await m.evaluate(batch);
    assert.ok(afterTraining < before - 0.25, `${cell}: loss ${before} → ${afterTraining}`);
  }
});

test("the same seed creates the same weights, torch's default laws; another seed others", async () => {
  const a = weightsOf(await model("gru", {}, jsBackend, 5));
  const b = weightsOf(await model("gru", {}, jsBackend, 5));
  const c = weightsOf(await model("gru", {}, jsBackend, 6));
  for (const [name, data] of a) {
    assert.deepEqual(data, b.get(name), name);
    assert.notDeepEqual(data, c.get(name), name);
    if (name !== "embedding.weight") assert.ok(data.every((v) => Math.abs(v) <= 1 / Math.sqrt(7)), `${name} within ±1/√hidden`);
  }
  const embedding = a.get("embedding.weight")!;
  assert.ok(embedding.some((v) => Math.abs(v) > 1), "the embedding is N(0, 1)");
});

test("save writes config.json and torch-named safetensors that load back to the same model and tokenizer", async () => {
  const chars = ["x", "y", "z", " ", "é", "\n"];
  for (const cell of CELLS) {
    const m = await createModel<RnnLanguageModel>(config(cell, { vocab_size: 6, max_position_embeddings: 32 }), {
      backend: jsBackend,
      seed: 2,
      tokenizer: characterTokenizer(chars),
    });
    const dir = await mkdtemp(join(tmpdir(), "lmscope-rnn-"));
    tmp.push(dir);
    await m.save(dir);
    const config2 = JSON.parse(await readFile(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
    assert.equal(config2["cell"], cell);
    const loaded = await loadModel<RnnLanguageModel>(dir, { backend: "js" });
    assert.equal(loaded.kind, "recurrent");
    assert.equal(loaded.config.trainedContext, 32);
    const rows = [[0, 4, 2, 5, 1, 3, 3]];
    assert.deepEqual((await loaded.forward(rows)).data, (await m.forward(rows)).data);
    const loadedNames = loaded.namedParameters().map(([n]) => n);
    assert.deepEqual(loadedNames, m.namedParameters().map(([n]) => n));
    // as for the decoders, save copies the tokenizer files of the folder a model was loaded
    // from; a created model's tokenizer is the caller's to write (lmscope train writes it)
    assert.equal(loaded.hasTokenizer, false);
  }
});
