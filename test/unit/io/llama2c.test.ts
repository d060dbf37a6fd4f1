// llama2.c checkpoints: v0 round trips, the v0/v1/v2 layouts checked against files built
// by hand in export.py order, and truncated or lying headers.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ModelFormatError } from "../../../src/errors.js";
import { readLlama2c, writeLlama2c, type Llama2cConfig } from "../../../src/io/llama2c.js";

// dim 8, 4 heads of size 2, 2 kv heads (kvDim 4), hidden 12, 2 layers, vocab 10, seq_len 3.
const SMALL = { dim: 8, hiddenDim: 12, nLayers: 2, nHeads: 4, nKvHeads: 2, vocabSize: 10, seqLen: 3 };

/** HF name and element count of each weight, in export.py `legacy_export` (run.c) order; `null` = RoPE table. */
function legacyOrder(shared: boolean): [string | null, number][] {
  const { dim, hiddenDim: h, nLayers: L, vocabSize: v, seqLen } = SMALL;
  const kv = 4;
  const layers = (suffix: string, n: number): [string, number][] => Array.from({ length: L }, (_, l) => [`model.layers.${l}.${suffix}`, n]);
  return [
    ["model.embed_tokens.weight", v * dim],
    ...layers("input_layernorm.weight", dim),
    ...layers("self_attn.q_proj.weight", dim * dim),
    ...layers("self_attn.k_proj.weight", kv * dim),
    ...layers("self_attn.v_proj.weight", kv * dim),
    ...layers("self_attn.o_proj.weight", dim * dim),
    ...layers("post_attention_layernorm.weight", dim),
    ...layers("mlp.gate_proj.weight", h * dim),
    ...layers("mlp.down_proj.weight", dim * h),
    ...layers("mlp.up_proj.weight", h * dim),
    ["model.norm.weight", dim],
    [null, seqLen * 1],
    [null, seqLen * 1],
    ...(shared ? [] : ([["lm_head.weight", v * dim]] as [string, number][])),
  ];
}

/** The same weights in export.py `version1_export` order: norms first, no RoPE tables. */
function version1Order(shared: boolean): [string, number][] {
  const named = legacyOrder(shared).filter((e): e is [string, number] => e[0] !== null);
  const isNorm = (name: string) => name.endsWith("layernorm.weight") || name === "model.norm.weight";
  const norms = [
    ...named.filter(([n]) => n.endsWith("input_layernorm.weight")),
    ...named.filter(([n]) => n.endsWith("post_attention_layernorm.weight")),
    ...named.filter(([n]) => n === "model.norm.weight"),
  ];
  return [...norms, ...named.filter(([n]) => !isNorm(n))];
}

function header(fields: number[]): Uint8Array {
  const bytes = new Uint8Array(fields.length * 4);
  fields.forEach((v, i) => new DataView(bytes.buffer).setInt32(i * 4, v, true));
  return bytes;
}

/** 256-byte "ak42" header of export.py versions 1 and 2. */
function versionedHeader(version: number, vocab: number, shared: boolean, groupSize?: number): Uint8Array {
  const bytes = new Uint8Array(256);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0x616b3432, true);
  view.setInt32(4, version, true);
  [SMALL.dim, SMALL.hiddenDim, SMALL.nLayers, SMALL.nHeads, SMALL.nKvHeads, vocab, SMALL.seqLen].forEach((v, i) => view.setInt32(8 + i * 4, v, true));
  view.setUint8(36, shared ? 1 : 0);
  if (groupSize !== undefined) view.setInt32(37, groupSize, true); // unaligned, right after the flag
  return bytes;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** f32 weights where value k of the whole stream is k + 0.5, so each tensor's first value tells its offset. */
function countingWeights(order: [string | null, number][]): { bytes: Uint8Array; starts: Map<string, number> } {
  const total = order.reduce((n, [, c]) => n + c, 0);
  const values = Float32Array.from({ length: total }, (_, k) => k + 0.5);
  const starts = new Map<string, number>();
  let at = 0;
  for (const [name, count] of order) {
    if (name !== null) starts.set(name, at);
    at += count;
  }
  return { bytes: new Uint8Array(values.buffer), starts };
}

function isFormatError(path: string, pattern: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof ModelFormatError, `expected ModelFormatError, got ${String(error)}`);
    assert.ok(error.message.includes(path), error.message);
    assert.match(error.message, pattern);
    return true;
  };
}

describe("llama2.c checkpoints", () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), "lmscope-llama2c-"))));
  after(async () => rm(dir, { recursive: true, force: true }));

  async function writeBytes(name: string, bytes: Uint8Array): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, bytes);
    return path;
  }

  for (const shared of [true, false]) {
    it(`reads a hand-built version 0 file (${shared ? "shared" : "separate"} classifier) in run.c order`, async () => {
      const order = legacyOrder(shared);
      const { bytes, starts } = countingWeights(order);
      const vocab = shared ? SMALL.vocabSize : -SMALL.vocabSize;
      const path = await writeBytes(`v0-${shared}.bin`, concat([header([8, 12, 2, 4, 2, vocab, 3]), bytes]));
      const checkpoint = await readLlama2c(path);
      assert.deepEqual(checkpoint.config, { ...SMALL, sharedClassifier: shared, version: 0 });
      assert.equal(checkpoint.tensors.size, shared ? 20 : 21); // embed + 9 per layer + norm (+ lm_head)
      assert.deepEqual([...checkpoint.tensors.keys()].sort(), [...starts.keys()].sort());
      for (const [name, count] of order) {
        if (name === null) continue;
        const record = checkpoint.tensors.get(name)!;
        assert.equal(record.dtype, "F32");
        assert.equal(record.data.length, count, name);
        assert.equal(record.data[0], starts.get(name)! + 0.5, name);
        assert.equal(record.data[count - 1], starts.get(name)! + count - 0.5, name);
      }
      assert.deepEqual(checkpoint.tensors.get("model.layers.1.self_attn.k_proj.weight")!.shape, [4, 8]);
      assert.deepEqual(checkpoint.tensors.get("model.layers.0.mlp.down_proj.weight")!.shape, [8, 12]);
      assert.deepEqual(checkpoint.tensors.get("model.layers.0.mlp.gate_proj.weight")!.shape, [12, 8]);
      assert.deepEqual(checkpoint.tensors.get("model.norm.weight")!.shape, [8]);
    });

    it(`round-trips through writeLlama2c (${shared ? "shared" : "separate"} classifier)`, async () => {
      const names = legacyOrder(shared).filter((e): e is [string, number] => e[0] !== null);
      const tensors = new Map(names.map(([name, count], t) => [name, Float32Array.from({ length: count }, (_, i) => Math.sin(t * 100 + i))]));
      const path = join(dir, `round-trip-${shared}.bin`);
      await writeLlama2c(path, { ...SMALL, sharedClassifier: shared }, tensors);
      const raw = new Uint8Array(await readFile(path));
      const totalFloats = legacyOrder(shared).reduce((n, [, c]) => n + c, 0);
      assert.equal(raw.length, 28 + 4 * totalFloats);
      assert.equal(new DataView(raw.buffer).getInt32(20, true), shared ? 10 : -10, "the vocab sign carries the classifier flag");
      // RoPE tables as model.py computes them: head size 2, one frequency (1), cos/sin of pos.
      const ropeAt = 28 + 4 * (totalFloats - 6 - (shared ? 0 : 80));
      assert.deepEqual([...new Float32Array(raw.slice(ropeAt, ropeAt + 24).buffer)], [1, Math.fround(Math.cos(1)), Math.fround(Math.cos(2)), 0, Math.fround(Math.sin(1)), Math.fround(Math.sin(2))]);
      const checkpoint = await readLlama2c(path);
      assert.deepEqual(checkpoint.config, { ...SMALL, sharedClassifier: shared, version: 0 });
      for (const [name, data] of tensors) assert.deepEqual(checkpoint.tensors.get(name)!.data, data, name);
    });
  }

  it("reads a hand-built version 1 file in version1_export order (norms first)", async () => {
    const order = version1Order(false);
    const { bytes, starts } = countingWeights(order);
    const path = await writeBytes("v1.bin", concat([versionedHeader(1, 10, false), bytes]));
    const checkpoint = await readLlama2c(path);
    assert.deepEqual(checkpoint.config, { ...SMALL, sharedClassifier: false, version: 1 });
    assert.equal(checkpoint.tensors.size, 21);
    for (const [name, count] of order) {
      assert.equal(checkpoint.tensors.get(name)!.data[0], starts.get(name)! + 0.5, name);
      assert.equal(checkpoint.tensors.get(name)!.data.length, count, name);
    }
    assert.equal(checkpoint.tensors.get("model.layers.0.input_layernorm.weight")!.data[0], 0.5);
    assert.equal(checkpoint.tensors.get("model.embed_tokens.weight")!.data[0], 5 * 8 + 0.5);
  });

  it("reads and dequantizes a hand-built version 2 (Q8_0) file in version2_export order", async () => {
    const groupSize = 4;
    const order = version1Order(true);
    const norms = order.slice(0, 5);
    const quantized = order.slice(5);
    assert.equal(quantized[0]![0], "model.embed_tokens.weight");
    const parts = [versionedHeader(2, 10, true, groupSize)];
    parts.push(new Uint8Array(Float32Array.from({ length: 5 * 8 }, (_, k) => 1 + k / 64).buffer));
    const expected = new Map<string, Float32Array>();
    quantized.forEach(([name, count], t) => {
      const values = Int8Array.from({ length: count }, (_, i) => ((i * 37 + t * 11) % 255) - 127);
      const scales = Float32Array.from({ length: count / groupSize }, (_, g) => (g + 1 + t) / 1024);
      parts.push(new Uint8Array(values.buffer), new Uint8Array(scales.slice().buffer));
      expected.set(name, Float32Array.from(values, (q, i) => q * scales[Math.floor(i / groupSize)]!));
    });
    const path = await writeBytes("v2.bin", concat(parts));
    const checkpoint = await readLlama2c(path);
    assert.deepEqual(checkpoint.config, { ...SMALL, sharedClassifier: true, version: 2 });
    assert.equal(checkpoint.tensors.size, 20);
    assert.equal(checkpoint.tensors.has("lm_head.weight"), false);
    for (const [name] of norms) assert.ok(checkpoint.tensors.get(name)!.data.every((x) => x >= 1 && x < 2), name);
    assert.equal(checkpoint.tensors.get("model.layers.1.post_attention_layernorm.weight")!.data[0], 1 + 24 / 64);
    for (const [name, data] of expected) assert.deepEqual(checkpoint.tensors.get(name)!.data, data, name);
  });

  describe("rejects", () => {
    const v0 = (fields: number[], floats: number) => concat([header(fields), new Uint8Array(floats * 4)]);
    const goodFloats = legacyOrder(true).reduce((n, [, c]) => n + c, 0);

    it("truncated files and trailing data, with expected and actual sizes", async () => {
      const full = v0([8, 12, 2, 4, 2, 10, 3], goodFloats);
      const truncated = await writeBytes("truncated.bin", full.subarray(0, full.length - 1));
      await assert.rejects(readLlama2c(truncated), isFormatError(truncated, new RegExp(`implies ${full.length} bytes, but the file has ${full.length - 1} \\(truncated`)));
      const longer = await writeBytes("longer.bin", concat([full, new Uint8Array(4)]));
      await assert.rejects(readLlama2c(longer), isFormatError(longer, /trailing data/));
      const tiny = await writeBytes("tiny.bin", new Uint8Array(27));
      await assert.rejects(readLlama2c(tiny), isFormatError(tiny, /27 bytes, shorter than the smallest llama2.c header/));
      const versionedShort = await writeBytes("short-v1.bin", versionedHeader(1, 10, true).subarray(0, 100));
      await assert.rejects(readLlama2c(versionedShort), isFormatError(versionedShort, /shorter than the 256-byte "ak42" header/));
      const missing = join(dir, "missing.bin");
      await assert.rejects(readLlama2c(missing), isFormatError(missing, /cannot open/));
    });

    it("lying headers, before allocating anything", async () => {
      const cases: [number[], RegExp][] = [
        [[8, 12, 2, 3, 3, 10, 3], /n_heads=3 does not divide dim=8/],
        [[8, 12, 2, 4, 3, 10, 3], /n_kv_heads=3 does not divide n_heads=4/],
        [[12, 12, 2, 4, 2, 10, 3], /head size dim\/n_heads=3 is odd/],
        [[0, 12, 2, 4, 2, 10, 3], /dim=0 must be a positive/],
        [[8, -12, 2, 4, 2, 10, 3], /hidden_dim=-12 must be a positive/],
        [[8, 12, 2, 4, 2, 0, 3], /vocab_size=0 must be a positive/],
        [[8, 12, 2, 4, 2, 10, 0], /seq_len=0 must be a positive/],
        [[8, 12, 2, 4, 2, 2 ** 31 - 1, 3], new RegExp(`vocab_size=2147483647.*implies \\d+ bytes, but the file has ${28 + goodFloats * 4}`)],
        [[8, 2 ** 31 - 1, 2, 4, 2, 10, 3], /implies \d+ bytes/],
        [[2 ** 30, 12, 2, 2 ** 29, 2 ** 29, 10, 3], /n_layers=2, dim=1073741824 needs more bytes for the norms alone/],
        [[8, 12, 2 ** 31 - 1, 4, 2, 10, 2 ** 31 - 1], /n_layers=2147483647, dim=8 needs more bytes for the norms alone/],
      ];
      for (const [index, [fields, pattern]] of cases.entries()) {
        const path = await writeBytes(`lying-${index}.bin`, v0(fields, goodFloats));
        await assert.rejects(readLlama2c(path), isFormatError(path, pattern));
      }
    });

    it("bad versioned headers", async () => {
      const weights = new Uint8Array(version1Order(true).reduce((n, [, c]) => n + c, 0) * 4);
      const withFlag = versionedHeader(1, 10, true);
      withFlag[36] = 2;
      const negativeVocab = versionedHeader(1, -10, false);
      const cases: [Uint8Array, RegExp][] = [
        [concat([versionedHeader(3, 10, true), weights]), /unsupported llama2.c version 3/],
        [concat([withFlag, weights]), /shared_classifier flag is 2/],
        [concat([negativeVocab, weights]), /vocab_size -10 must be positive/],
        [concat([versionedHeader(2, 10, true, 0), weights]), /group size 0 must be positive and divide dim 8/],
        [concat([versionedHeader(2, 10, true, 3), weights]), /group size 3/],
        [concat([versionedHeader(2, 10, true, 4), weights]), /group_size=4\) implies \d+ bytes/],
      ];
      for (const [index, [bytes, pattern]] of cases.entries()) {
        const path = await writeBytes(`bad-versioned-${index}.bin`, bytes);
        await assert.rejects(readLlama2c(path), isFormatError(path, pattern));
      }
    });

    it("writes with missing, extra or misshapen tensors", async () => {
      const path = join(dir, "bad-write.bin");
      const config: Omit<Llama2cConfig, "version"> = { ...SMALL, sharedClassifier: true };
      const tensors = new Map(legacyOrder(true).flatMap(([name, count]) => (name === null ? [] : [[name, new Float32Array(count)] as const])));
      const cases: [Map<string, Float32Array>, RegExp, string][] = [
        [new Map([...tensors].filter(([n]) => n !== "model.norm.weight")), /is missing/, "model.norm.weight"],
        [new Map([...tensors, ["lm_head.weight", new Float32Array(80)]]), /is not part of/, "lm_head.weight"],
        [new Map([...tensors, ["model.norm.weight", new Float32Array(7)]]), /has 7 values, expected \[8\] = 8/, "model.norm.weight"],
      ];
      for (const [map, pattern, tensor] of cases) {
        await assert.rejects(writeLlama2c(path, config, map), (e: unknown) => e instanceof ModelFormatError && e.tensor === tensor && pattern.test(e.message));
      }
      await assert.rejects(writeLlama2c(path, { ...config, nHeads: 3 }, tensors), isFormatError(path, /n_heads=3 does not divide dim=8/));
    });
  });
});
