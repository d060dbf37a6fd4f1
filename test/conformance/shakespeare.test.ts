// The character-level tinyshakespeare data of nanoGPT's baseline
// (data/shakespeare_char/prepare.py prints: vocab size 65, train 1,003,854
// tokens, val 111,540 tokens), its tokenizer.json read identically by
// lmscope and by @huggingface/tokenizers, and the `shakespeare-char` preset's
// model starting at the uniform loss ln 65. The 2000-iteration run itself is a
// benchmark (`npm run bench -- train`, `lmscope train`), far beyond a test's budget.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { Tokenizer as HfJsTokenizer } from "@huggingface/tokenizers";
import { jsBackend } from "../../src/backend/js/index.js";
import { createModel } from "../../src/language-model.js";
import { loadTokenizer } from "../../src/tokenizers/load.js";
import { characterDataset, randomWindows, readTextFile, splitText } from "../../src/training/datasets/index.js";
import { Stream, streamRng } from "../../src/training/random-streams.js";
import { PRESETS, runConfigFromJson } from "../../src/training/train-config.js";
import { SHARED } from "../helpers/paths.js";

const DATA = join(SHARED, "data/tinyshakespeare.txt");

test("character-level tinyshakespeare matches nanoGPT's prepare.py", async () => {
  const data = characterDataset(await readTextFile(DATA), { trainFraction: 0.9 });
  assert.equal(data.vocabSize, 65);
  assert.equal(data.train.length, 1_003_854);
  assert.equal(data.validation.length, 111_540);
  const chars = Array.from({ length: 65 }, (_, id) => data.tokenizer.idToToken(id)).join("");
  assert.equal(chars, "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
});

test("its tokenizer.json encodes the validation split identically in lmscope and @huggingface/tokenizers", async () => {
  const text = await readTextFile(DATA);
  const data = characterDataset(text);
  const dir = await mkdtemp(join(tmpdir(), "lmscope-shakespeare-"));
  try {
    await writeFile(join(dir, "tokenizer.json"), JSON.stringify(data.tokenizerJson));
    await writeFile(join(dir, "tokenizer_config.json"), JSON.stringify(data.tokenizerConfigJson));
    const validation = splitText(text).validation;
    const expected = Array.from(data.validation);
    assert.deepEqual((await loadTokenizer(dir)).encode(validation), expected);
    const reference = new HfJsTokenizer(data.tokenizerJson as object, data.tokenizerConfigJson as object);
    const sample = validation.slice(0, 5000); // the reference library is slow on one 100 kB piece
    assert.deepEqual(reference.encode(sample, { add_special_tokens: false }).ids, expected.slice(0, 5000));
    assert.equal(reference.decode(expected.slice(0, 5000)), sample);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("the shakespeare-char preset's model starts at the uniform loss ln 65", async () => {
  const config = runConfigFromJson(PRESETS["shakespeare-char"]!, "preset");
  const data = characterDataset(await readTextFile(DATA));
  const model = await createModel({ ...config.model, vocab_size: 65 }, { seed: config.training.seed, backend: jsBackend });
  assert.equal(model.info().parameters, 809_856); // nanoGPT prints 0.80M (its count leaves out the position table: 801,664 + 64·128)
  const batch = randomWindows(data.validation, 12, 64, streamRng(1, Stream.evalBatch, 0));
  const loss = await model.evaluate(batch);
  assert.ok(Math.abs(loss - Math.log(65)) < 0.05, `initial loss ${loss}, expected about ${Math.log(65)}`);
});
