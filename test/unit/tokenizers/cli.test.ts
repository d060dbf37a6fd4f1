// `lmscope tokenize` and `lmscope tokenizer train`, run through main() with in-memory streams.
import assert from "node:assert/strict";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { main } from "../../../src/cli/main.js";
import { loadTokenizer } from "../../../src/tokenizers/index.js";
import { corpus } from "./fixtures.js";

function memoryIo(): { io: { stdout: Writable; stderr: Writable }; out: () => string; err: () => string } {
  let out = "";
  let err = "";
  const sink = (append: (s: string) => void): Writable =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        append(chunk.toString());
        done();
      },
    });
  return { io: { stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)) }, out: () => out, err: () => err };
}

describe("tokenizer CLI", () => {
  it("trains a tokenizer, then tokenizes with it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "lmscope-cli-"));
    const corpusFile = join(dir, "corpus.txt");
    await writeFile(corpusFile, corpus(200, 4).join(""));
    const out = join(dir, "tok");
    const train = memoryIo();
    assert.equal(await main(["tokenizer", "train", "--vocab-size", "300", "--special-token", "<|endoftext|>", "--out", out, corpusFile], train.io), 0);
    assert.match(train.out(), /trained 43 merges/);
    const config = JSON.parse(await readFile(join(out, "tokenizer_config.json"), "utf8")) as { eos_token: string };
    assert.equal(config.eos_token, "<|endoftext|>");

    const tokenizer = await loadTokenizer(out);
    const ids = memoryIo();
    assert.equal(await main(["tokenize", "--model", out, "--ids", "the cat sat"], ids.io), 0);
    assert.equal(ids.out(), `${tokenizer.encode("the cat sat").join(" ")}\n`);

    const pieces = memoryIo();
    assert.equal(await main(["tokenize", "--model", out, "the", "cat"], pieces.io), 0);
    const lines = pieces.out().trim().split("\n");
    assert.equal(lines.at(-1), `${tokenizer.encode("the cat").length} tokens`);
    assert.match(lines[0]!, /^\s*\d+ {2}".*"$/);
  });

  it("rejects unknown options and missing arguments with a message", async () => {
    const bad = memoryIo();
    assert.equal(await main(["tokenize", "--model", "x", "--frobnicate", "hi"], bad.io), 1);
    assert.match(bad.err(), /frobnicate/);
    const missing = memoryIo();
    assert.equal(await main(["tokenize", "hello"], missing.io), 1);
    assert.match(missing.err(), /--model/);
    const noVocab = memoryIo();
    assert.equal(await main(["tokenizer", "train", "--out", "x", "c.txt"], noVocab.io), 1);
    assert.match(noVocab.err(), /--vocab-size/);
    const help = memoryIo();
    assert.equal(await main(["tokenizer", "train", "--help"], help.io), 0);
    assert.match(help.out(), /--vocab-size/);
  });
});
