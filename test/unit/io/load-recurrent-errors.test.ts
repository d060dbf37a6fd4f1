// Recurrent model folders, good and broken: a PyTorch-style folder (config.json
// describing the cell, torch-named safetensors, a character vocab.json) loads,
// runs and saves back; every broken config, weight file or vocabulary is a typed
// error naming the file and the field or tensor; nothing crashes.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ConfigError, createModel, InputError, loadModel, ModelFormatError } from "../../../src/index.js";
import { writeSafetensors } from "../../../src/io/safetensors.js";
import type { RnnLanguageModel } from "../../../src/recurrent-model.js";

const CHARS = ["\n", " ", "a", "b", "c", "d", "e", "f", "g"];
const CONFIG = {
  model_type: "rnn",
  architecture: "RNNLanguageModel",
  cell: "lstm",
  torch_module: "torch.nn.LSTM",
  vocab_size: 9,
  embedding_dim: 4,
  hidden_size: 3,
  num_layers: 2,
  bias: true,
  batch_first: true,
  bidirectional: false,
  dropout: 0,
  tie_word_embeddings: false,
  initial_state: "zeros",
  gate_order: ["i", "f", "g", "o"],
  tensor_names: {
    "embedding.weight": [9, 4],
    "rnn.weight_ih_l0": [12, 4],
    "rnn.weight_hh_l0": [12, 3],
    "rnn.bias_ih_l0": [12],
    "rnn.bias_hh_l0": [12],
    "rnn.weight_ih_l1": [12, 3],
    "rnn.weight_hh_l1": [12, 3],
    "rnn.bias_ih_l1": [12],
    "rnn.bias_hh_l1": [12],
    "lm_head.weight": [9, 3],
    "lm_head.bias": [9],
  },
};

let root: string;
let tensors: { name: string; shape: readonly number[]; data: Float32Array }[];

before(async () => {
  root = await mkdtemp(join(tmpdir(), "lmscope-rnn-load-"));
  const model = await createModel<RnnLanguageModel>(CONFIG, { backend: "js", seed: 4 });
  tensors = model.namedParameters().map(([name, p]) => ({ name, shape: p.shape, data: p.data }));
});
after(async () => rm(root, { recursive: true, force: true }));

let folders = 0;
async function folder(config: object, weights = tensors, vocab: unknown = { itos: CHARS }): Promise<string> {
  const dir = join(root, `m${folders++}`);
  await mkdir(dir);
  await writeFile(join(dir, "config.json"), JSON.stringify(config));
  await writeSafetensors(join(dir, "model.safetensors"), weights, { format: "pt" });
  if (vocab !== null) await writeFile(join(dir, "vocab.json"), JSON.stringify(vocab));
  return dir;
}

const rejectsWith = async (path: string, type: Function, pattern: RegExp) =>
  assert.rejects(loadModel(path, { backend: "js" }), (e: unknown) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
    assert.match((e as Error).message, pattern);
    return true;
  });

test("a PyTorch-style folder loads with its character vocabulary, runs, and saves back to an equal folder", async () => {
  const dir = await folder(CONFIG);
  const model = await loadModel<RnnLanguageModel>(dir, { backend: "js" });
  assert.equal(model.kind, "recurrent");
  assert.deepEqual(model.tokenizer.encode("bad cafe\n"), [3, 2, 5, 1, 4, 2, 7, 6, 0]);
  assert.equal(model.tokenizer.decode([6, 5, 7, 1, 0]), "edf \n");
  let text = "";
  for await (const piece of model.generate("cab", { maxTokens: 12, seed: 2 })) text += piece.text;
  assert.equal([...text].length, 12);
  const copy = join(root, "saved");
  await model.save(copy);
  assert.deepEqual(JSON.parse(await readFile(join(copy, "vocab.json"), "utf8")), { itos: CHARS });
  const again = await loadModel<RnnLanguageModel>(copy, { backend: "js" });
  const ids = [[2, 3, 4, 0, 1, 8]];
  assert.deepEqual((await again.forward(ids)).data, (await model.forward(ids)).data);
  assert.deepEqual(again.tokenizer.encode("gag"), [8, 2, 8]);
});

test("config mistakes are ConfigErrors naming the field and what was expected", async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ cell: "transformer" }, /"cell" must be one of rnn \(Elman\), lstm, gru; got "transformer"/],
    [{ cell: undefined }, /"cell" must be a string/],
    [{ torch_module: "torch.nn.GRU" }, /"torch_module" "torch.nn.GRU" contradicts "cell" "lstm"/],
    [{ gate_order: ["i", "f", "o", "g"] }, /"gate_order" \["i","f","o","g"\] is not torch's \["i","f","g","o"\]/],
    [{ bidirectional: true }, /"bidirectional": true is not supported/],
    [{ proj_size: 2 }, /"proj_size" 2 is not supported/],
    [{ initial_state: "learned" }, /"initial_state" "learned" is not supported/],
    [{ dropout: 1 }, /"dropout" must be a number in \[0, 1\), got 1/],
    [{ hidden_size: 0 }, /"hidden_size" must be a positive integer, got 0/],
    [{ num_layers: 1.5 }, /"num_layers" must be a positive integer, got 1.5/],
    [{ vocab_size: "9" }, /"vocab_size" must be a positive integer, got "9"/],
    [{ tie_word_embeddings: true }, /"tie_word_embeddings" needs "embedding_dim" \(4\) equal to "hidden_size" \(3\)/],
    [{ tensor_names: { ...CONFIG.tensor_names, "rnn.weight_hh_l1": [12, 4] } }, /"tensor_names" gives rnn.weight_hh_l1 as \[12,4\], but the sizes imply \[12, 3\]/],
    [{ tensor_names: { ...CONFIG.tensor_names, "rnn.weight_ih_l0_reverse": [12, 4] } }, /"tensor_names" lists rnn.weight_ih_l0_reverse/],
    [{ hidden_size: 4 }, /"tensor_names" gives rnn.weight_ih_l0 as \[12,4\], but the sizes imply \[16, 4\]/],
  ];
  for (const [change, pattern] of cases) await rejectsWith(await folder({ ...CONFIG, ...change }), ConfigError, pattern);
  await rejectsWith(await folder({ ...CONFIG, cell: "rnn", torch_module: "torch.nn.RNN", gate_order: undefined, nonlinearity: "relu" }), ConfigError, /"nonlinearity" "relu" is not supported/);
  await assert.rejects(createModel({ model_type: "rnn", cell: "gru", vocab_size: 5, num_layers: 1 }), /createModel config: "hidden_size" must be a positive integer/);
});

test("weight mistakes are ModelFormatErrors naming the file and the tensor", async () => {
  const without = (name: string) => tensors.filter((t) => t.name !== name);
  await rejectsWith(await folder(CONFIG, without("rnn.bias_hh_l1")), ModelFormatError, /tensor "rnn.bias_hh_l1": missing \(expected shape \[12\]\)/);
  const reshaped = tensors.map((t) => (t.name === "rnn.weight_hh_l0" ? { ...t, shape: [3, 12] } : t));
  await rejectsWith(await folder(CONFIG, reshaped), ModelFormatError, /tensor "rnn.weight_hh_l0": has shape \[3, 12\] but the config implies \[12, 3\]/);
  const extra = [...tensors, { name: "rnn.weight_ih_l0_reverse", shape: [12, 4], data: new Float32Array(48) }];
  await rejectsWith(await folder(CONFIG, extra), ModelFormatError, /unexpected tensors for this architecture: rnn.weight_ih_l0_reverse/);
  const truncated = await folder(CONFIG);
  const file = join(truncated, "model.safetensors");
  await truncate(file, (await readFile(file)).length - 6);
  await rejectsWith(truncated, ModelFormatError, /model\.safetensors/);
});

test("a broken character vocabulary is a ModelFormatError naming vocab.json and the entry", async () => {
  await rejectsWith(await folder(CONFIG, tensors, { stoi: {} }), ModelFormatError, /vocab\.json: expected \{"itos": \[characters\]\}/);
  await rejectsWith(await folder(CONFIG, tensors, { itos: ["a", "bc"] }), ModelFormatError, /vocab\.json: itos\[1\] is "bc", not a single character/);
  await rejectsWith(await folder(CONFIG, tensors, { itos: ["a", "b", "a"] }), ModelFormatError, /itos\[2\] repeats the character "a"/);
  await rejectsWith(await folder(CONFIG, tensors, { itos: "abcdefghijk".split("") }), ModelFormatError, /the tokenizer has 11 ids but the model's vocab_size is 9/);
  const dir = await folder(CONFIG);
  await writeFile(join(dir, "vocab.json"), "{ not json");
  await rejectsWith(dir, ModelFormatError, /vocab\.json: is not valid UTF-8 JSON/);
  await assert.rejects(loadModel(await folder(CONFIG), { adapter: "some-adapter" }), /option "adapter": .* is a recurrent model/);
  const noVocab = await loadModel<RnnLanguageModel>(await folder(CONFIG, tensors, null), { backend: "js" });
  assert.throws(() => noVocab.tokenizer, InputError);
});
