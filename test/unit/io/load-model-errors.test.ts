// loadModel on broken model folders and files: each gives a typed error that
// names the file (and tensor or field) and what was wrong; none crashes.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile, mkdir, truncate } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ConfigError, ModelFormatError, loadModel } from "../../../src/index.js";
import { writeSafetensors } from "../../../src/io/safetensors.js";
import { GPT2_CONFIG, randomGpt2 } from "../../helpers/random-models.js";

let root: string;
let good: string;

async function folder(name: string, config: object, tensors = randomGpt2()): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir);
  await writeFile(join(dir, "config.json"), JSON.stringify(config));
  await writeSafetensors(join(dir, "model.safetensors"), [...tensors].map(([n, t]) => ({ name: n, shape: t.shape, data: t.data })));
  return dir;
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), "lmscope-load-"));
  good = await folder("good", GPT2_CONFIG);
});
after(async () => rm(root, { recursive: true, force: true }));

const rejectsWith = async (path: string, type: Function, pattern: RegExp) =>
  assert.rejects(loadModel(path), (e: unknown) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${String(e)}`);
    assert.match((e as Error).message, pattern);
    return true;
  });

test("a well-formed folder loads and runs", async () => {
  const model = await loadModel(good);
  const out = await model.forward([[1, 2, 3]]);
  assert.deepEqual([...out.shape], [1, 3, 97]);
  assert.ok(out.data.every(Number.isFinite));
});

test("truncated weights name the file and the byte counts", async () => {
  const dir = await folder("truncated", GPT2_CONFIG);
  const file = join(dir, "model.safetensors");
  const size = (await readFile(file)).length;
  await truncate(file, size - 10);
  await rejectsWith(dir, ModelFormatError, /model\.safetensors: .*(past the end|cover only|data section)/);
});

test("a header length pointing past the end of the file", async () => {
  const dir = await folder("lying-header", GPT2_CONFIG);
  const file = join(dir, "model.safetensors");
  const bytes = await readFile(file);
  new DataView(bytes.buffer, bytes.byteOffset).setBigUint64(0, 1n << 40n, true);
  await writeFile(file, bytes);
  await rejectsWith(dir, ModelFormatError, /header length \d+ is over|runs past the end/);
});

test("an unknown dtype is named with the tensor", async () => {
  const dir = await folder("dtype", GPT2_CONFIG);
  const file = join(dir, "model.safetensors");
  const bytes = await readFile(file);
  const text = bytes.toString("latin1").replace('"dtype":"F32"', '"dtype":"I64"');
  await writeFile(file, Buffer.from(text, "latin1"));
  await rejectsWith(dir, ModelFormatError, /unsupported dtype "I64"/);
});

test("a config whose heads do not divide the width", async () => {
  await rejectsWith(await folder("heads", { ...GPT2_CONFIG, n_head: 5 }), ConfigError, /config\.json: "n_embd" \(24\) is not divisible by "n_head" \(5\)/);
});

test("a missing tensor and a wrong shape are named", async () => {
  const missing = randomGpt2();
  missing.delete("transformer.h.1.mlp.c_fc.bias");
  await rejectsWith(await folder("missing", GPT2_CONFIG, missing), ModelFormatError, /"transformer.h.1.mlp.c_fc.bias": missing \(expected shape \[96\]\)/);
  await rejectsWith(await folder("shape", { ...GPT2_CONFIG, n_positions: 64 }), ModelFormatError, /"transformer.wpe.weight": has shape \[40, 24\] but the config implies \[64, 24\]/);
});

test("config.json that is not JSON, or an unknown model_type", async () => {
  const dir = await folder("badjson", GPT2_CONFIG);
  await writeFile(join(dir, "config.json"), "{ not json");
  await rejectsWith(dir, ModelFormatError, /config\.json: is not valid UTF-8 JSON/);
  await rejectsWith(await folder("mamba", { ...GPT2_CONFIG, model_type: "mamba" }), ConfigError, /model_type "mamba" is not supported/);
});

test("a path that is neither a model folder nor a checkpoint", async () => {
  const empty = join(root, "empty");
  await mkdir(empty);
  await rejectsWith(empty, ModelFormatError, /neither config\.json \(Hugging Face\) nor a llama2\.c \.bin checkpoint/);
  await rejectsWith(join(root, "nothing-here"), ModelFormatError, /no such file or folder/);
  const junk = join(root, "junk.bin");
  await writeFile(junk, Buffer.alloc(100, 0xff));
  await rejectsWith(junk, ModelFormatError, /junk\.bin/);
});
