// The byte-level BPE trainer: deterministic, fills the vocabulary, and the
// tokenizer.json it writes reloads and encodes identically.
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { OptionError } from "../../../src/errors.js";
import { loadTokenizer, tokenizerFromJson, trainByteLevelBpe } from "../../../src/tokenizers/index.js";
import { corpus } from "./fixtures.js";

describe("byte-level BPE trainer", () => {
  const texts = corpus(400, 21);

  it("is deterministic and fills the vocabulary", () => {
    const a = trainByteLevelBpe(texts, { vocabSize: 330, specialTokens: ["<|endoftext|>"] });
    const b = trainByteLevelBpe(texts, { vocabSize: 330, specialTokens: ["<|endoftext|>"] });
    assert.equal(JSON.stringify(a), JSON.stringify(b));
    const model = (a as { model: { vocab: object; merges: unknown[] } }).model;
    assert.equal(Object.keys(model.vocab).length, 330);
    assert.equal(model.merges.length, 330 - 257);
  });

  it("merges the most frequent pair first", () => {
    const json = trainByteLevelBpe(["ab ab ab ab cd"], { vocabSize: 257 }) as { model: { merges: [string, string][] } };
    assert.deepEqual(json.model.merges[0], ["a", "b"]);
  });

  it("writes a tokenizer.json that reloads and encodes identically", async () => {
    const json = trainByteLevelBpe(texts, { vocabSize: 350 });
    const inMemory = tokenizerFromJson(json);
    const dir = await mkdtemp(join(tmpdir(), "lmscope-train-"));
    await writeFile(join(dir, "tokenizer.json"), JSON.stringify(json, null, 2));
    const reloaded = await loadTokenizer(dir);
    const sample = corpus(100, 77).join("");
    assert.deepEqual(reloaded.encode(sample), inMemory.encode(sample));
    assert.equal(reloaded.decode(reloaded.encode(sample)), sample);
    assert.ok(inMemory.encode(sample).length < new TextEncoder().encode(sample).length / 2, "merges compress the text");
  });

  it("rejects bad options with OptionError", () => {
    assert.throws(() => trainByteLevelBpe(texts, { vocabSize: 100 }), OptionError);
    assert.throws(() => trainByteLevelBpe(texts, { vocabSize: 300, minFrequency: 0 }), OptionError);
    assert.throws(() => trainByteLevelBpe(texts, { vocabSize: 300, specialTokens: ["x", "x"] }), OptionError);
  });
});
