// stories260K, a real pretrained TinyStories Llama, from both its Hugging Face
// folder and its llama2.c checkpoint: logits of the three reference sequences
// within 1e-4 × max |reference logit|, and greedy generation from BOS for 200
// tokens printing exactly reference/greedy.txt — through the library and the CLI.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { main } from "../../src/cli/main.js";
import { loadModel } from "../../src/index.js";
import { Capture } from "../helpers/capture.js";
import { SHARED } from "../helpers/paths.js";
import { maxAbs, maxAbsDiff, readF32, readJson } from "../helpers/reference.js";

const ROOT = join(SHARED, "models/stories260K");
const REFERENCE = join(ROOT, "reference");
const FORMATS = { "hf/": join(ROOT, "hf"), "llama2c/": join(ROOT, "llama2c"), "llama2c .bin file": join(ROOT, "llama2c/stories260K.bin") };
const manifest = readJson<{ files: { name: string; file: string; shape: number[]; token_ids: number[] }[] }>(join(REFERENCE, "manifest.json"));
const greedyText = readFileSync(join(REFERENCE, "greedy.txt"), "utf8");
const greedy = readJson<{ generated_ids: number[]; continuation_to_299_tokens: number[] }>(join(REFERENCE, "greedy.json"));

for (const [format, path] of Object.entries(FORMATS)) {
  for (const file of manifest.files) {
    test(`stories260K ${format}: ${file.name} logits match the reference`, async () => {
      const model = await loadModel(path);
      const expected = readF32(join(REFERENCE, file.file));
      const out = await model.forward([file.token_ids]);
      assert.deepEqual([...out.shape], [1, ...file.shape]);
      const diff = maxAbsDiff(out.data, expected);
      const bound = 1e-4 * maxAbs(expected);
      assert.ok(diff <= bound, `max |Δ| ${diff.toExponential(2)} > ${bound.toExponential(2)}`);
    });
  }

  test(`stories260K ${format}: greedy generation from BOS gives the reference text and ids`, async () => {
    const model = await loadModel(path);
    let text = "";
    const ids: number[] = [];
    for await (const piece of model.generate("", { maxTokens: 299, temperature: 0, stopOnEos: false })) {
      if (piece.tokenId !== null) ids.push(piece.tokenId);
      if (ids.length <= 200) text += piece.text;
    }
    assert.deepEqual(ids, [...greedy.generated_ids, ...greedy.continuation_to_299_tokens]);
    assert.equal(text, greedyText);
  });
}

for (const folder of ["hf", "llama2c"]) {
  test(`lmscope generate on stories260K/${folder}, greedy from BOS for 200 tokens, prints exactly greedy.txt`, async () => {
    const stdout = new Capture();
    const stderr = new Capture();
    const code = await main(["generate", "--model", join(ROOT, folder), "--max-tokens", "200", "--temperature", "0"], { stdout, stderr });
    assert.equal(stderr.text, "");
    assert.equal(code, 0);
    assert.equal(stdout.text, greedyText);
  });
}

test("stories260K loaded from llama2.c and saved in the HF layout (q/k permuted) reloads to the same logits", async () => {
  const model = await loadModel(FORMATS["llama2c/"]);
  const dir = await mkdtemp(join(tmpdir(), "lmscope-260k-"));
  try {
    await model.save(dir);
    const reloaded = await loadModel(dir, { tokenizer: join(ROOT, "hf") });
    const ids = [manifest.files[0]!.token_ids];
    // The two layouts sum each head's q·k in different orders, so float32 rounding differs
    // (1.3e-5 on logits up to 18 with the WASM GEMM); the fixture README's float32 tolerance is 1e-4.
    assert.ok(maxAbsDiff((await model.forward(ids)).data, (await reloaded.forward(ids)).data) < 1e-4);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
