// GGUF reader and writer: hand-built files (every metadata type, v2 and v3, alignment,
// every tensor type), malformed files (each must fail with a ModelFormatError naming the
// problem, without crashing or allocating what a lying count asks for), and round trips.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ModelFormatError } from "../../../src/errors.js";
import { parseGguf, readGguf, writeGguf, type GgufValue } from "../../../src/io/gguf.js";
import { f32ToF16 } from "../../../src/tensor/dtype.js";
import { dequantize, quantizeQ4_0, quantizeQ8_0 } from "../../../src/tensor/quantize.js";
import { randomNormal, seededRandom } from "../../helpers/random.js";

const LABEL = "crafted.gguf";

/** Little-endian byte builder for hand-made GGUF files. */
class Bytes {
  private parts: number[] = [];
  get length(): number {
    return this.parts.length;
  }
  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  raw(bytes: ArrayLike<number>): this {
    for (let i = 0; i < bytes.length; i++) this.parts.push(bytes[i]!);
    return this;
  }
  u16(v: number): this {
    return this.u8(v).u8(v >> 8);
  }
  u32(v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, true);
    return this.raw(b);
  }
  i32(v: number): this {
    return this.u32(v >>> 0);
  }
  u64(v: bigint | number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(v), true);
    return this.raw(b);
  }
  f32(v: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    return this.raw(b);
  }
  f64(v: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    return this.raw(b);
  }
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.u64(b.length).raw(b);
  }
  pad(alignment: number): this {
    while (this.parts.length % alignment !== 0) this.parts.push(0);
    return this;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/** Header: magic, version, counts. */
function header(tensors: number | bigint, kvs: number | bigint, version = 3): Bytes {
  return new Bytes().raw([0x47, 0x47, 0x55, 0x46]).u32(version).u64(tensors).u64(kvs);
}

/** Tensor info: name, dims (ggml order), type id, offset. */
function tensorInfo(b: Bytes, name: string, ggmlDims: (number | bigint)[], type: number, offset: number | bigint): Bytes {
  b.str(name).u32(ggmlDims.length);
  for (const d of ggmlDims) b.u64(d);
  return b.u32(type).u64(offset);
}

function f32Data(b: Bytes, values: number[]): Bytes {
  for (const v of values) b.f32(v);
  return b;
}

function parseError(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(
    () => parseGguf(bytes, LABEL),
    (error: unknown) => {
      assert.ok(error instanceof ModelFormatError, `expected ModelFormatError, got ${String(error)}`);
      assert.match(error.message, pattern);
      assert.ok(error.message.startsWith(LABEL));
      return true;
    },
  );
}

/** A file with one metadata value and no tensors. */
function oneKv(key: string, type: number, write: (b: Bytes) => void, version = 3): Uint8Array {
  const b = header(0, 1, version).str(key).u32(type);
  write(b);
  return b.done();
}

describe("GGUF metadata", () => {
  it("reads every value type, in v2 and v3", () => {
    for (const version of [2, 3]) {
      const b = header(0, 14, version);
      b.str("u8").u32(0).u8(200);
      b.str("i8").u32(1).u8(-5);
      b.str("u16").u32(2).u16(60000);
      b.str("i16").u32(3).u16(-300 & 0xffff);
      b.str("u32").u32(4).u32(4_000_000_000);
      b.str("i32").u32(5).i32(-70000);
      b.str("f32").u32(6).f32(1.5);
      b.str("bool").u32(7).u8(1);
      b.str("string").u32(8).str("héllo ▁");
      b.str("array").u32(9).u32(5).u64(3).i32(1).i32(-2).i32(3);
      b.str("u64").u32(10).u64(2n ** 63n + 5n);
      b.str("i64").u32(11).u64(-7n & (2n ** 64n - 1n));
      b.str("f64").u32(12).f64(Math.PI);
      b.str("nested").u32(9).u32(9).u64(2).u32(8).u64(1).str("a").u32(7).u64(2).u8(0).u8(1);
      const file = parseGguf(b.done(), LABEL);
      assert.equal(file.version, version);
      const value = (k: string) => file.metadata.get(k);
      assert.deepEqual(value("u8"), { type: "uint8", value: 200 });
      assert.deepEqual(value("i8"), { type: "int8", value: -5 });
      assert.deepEqual(value("u16"), { type: "uint16", value: 60000 });
      assert.deepEqual(value("i16"), { type: "int16", value: -300 });
      assert.deepEqual(value("u32"), { type: "uint32", value: 4_000_000_000 });
      assert.deepEqual(value("i32"), { type: "int32", value: -70000 });
      assert.deepEqual(value("f32"), { type: "float32", value: 1.5 });
      assert.deepEqual(value("bool"), { type: "bool", value: true });
      assert.deepEqual(value("string"), { type: "string", value: "héllo ▁" });
      assert.deepEqual(value("array"), { type: "array", elementType: "int32", value: [1, -2, 3] });
      assert.deepEqual(value("u64"), { type: "uint64", value: 2n ** 63n + 5n });
      assert.deepEqual(value("i64"), { type: "int64", value: -7n });
      assert.deepEqual(value("f64"), { type: "float64", value: Math.PI });
      assert.deepEqual(value("nested"), {
        type: "array",
        elementType: "array",
        value: [
          { type: "array", elementType: "string", value: ["a"] },
          { type: "array", elementType: "bool", value: [false, true] },
        ],
      });
      assert.equal(file.tensors.size, 0);
    }
  });

  it("round-trips every value type through the writer", async () => {
    const dir = await mkdtemp(join(tmpdir(), "gguf-meta-"));
    try {
      const metadata: [string, GgufValue][] = [
        ["a.u8", { type: "uint8", value: 255 }],
        ["a.i8", { type: "int8", value: -128 }],
        ["a.u16", { type: "uint16", value: 65535 }],
        ["a.i16", { type: "int16", value: -32768 }],
        ["a.u32", { type: "uint32", value: 2 ** 32 - 1 }],
        ["a.i32", { type: "int32", value: -(2 ** 31) }],
        ["a.f32", { type: "float32", value: Math.fround(0.1) }],
        ["a.bool", { type: "bool", value: false }],
        ["a.string", { type: "string", value: "日本語 🙂" }],
        ["a.u64", { type: "uint64", value: 2n ** 64n - 1n }],
        ["a.i64", { type: "int64", value: -(2n ** 63n) }],
        ["a.f64", { type: "float64", value: -1e300 }],
        ["a.strings", { type: "array", elementType: "string", value: ["", "x", "▁y"] }],
        ["a.floats", { type: "array", elementType: "float32", value: [0, -1.5, 3] }],
        ["a.empty", { type: "array", elementType: "uint8", value: [] }],
        ["a.nested", { type: "array", elementType: "array", value: [{ type: "array", elementType: "int64", value: [1n, -2n] }] }],
      ];
      const path = join(dir, "meta.gguf");
      await writeGguf(path, { metadata, tensors: [] });
      const file = await readGguf(path);
      assert.equal(file.version, 3);
      assert.deepEqual([...file.metadata], metadata);
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it("refuses malformed metadata", () => {
    parseError(oneKv("k", 13, () => {}), /value type 13, not a GGUF type/);
    parseError(oneKv("k", 7, (b) => b.u8(2)), /bool value is 2/);
    parseError(oneKv("k", 8, (b) => b.u64(1000).raw([1, 2])), /metadata "k" string length is 1000, more than the 2 the rest of the file can hold/);
    parseError(oneKv("k", 8, (b) => b.u64(2n ** 63n)), /metadata "k" string length is 9223372036854775808/);
    parseError(oneKv("k", 9, (b) => b.u32(4).u64(2n ** 60n).u32(1)), /metadata "k" array length is 1152921504606846976, more than the 1 /);
    parseError(oneKv("k", 9, (b) => b.u32(8).u64(3).str("a")), /metadata "k" array length is 3, more than the 1 /);
    parseError(oneKv("k", 9, (b) => b.u32(8).u64(2).str("abcdefgh").u64(100).raw(new Uint8Array(8))), /metadata "k"\[1\] string length is 100, more than the 8 /);
    parseError(oneKv("k", 9, (b) => b.u32(99).u64(0)), /metadata "k" element has value type 99, not a GGUF type/);
    parseError(oneKv("k", 4, (b) => b.u8(1)), /needs 4 bytes at offset \d+, but the file ends 1 bytes later/);
    const deep = oneKv("k", 9, (b) => {
      for (let i = 0; i < 6; i++) b.u32(9).u64(1);
      b.u32(0).u64(0);
    });
    parseError(deep, /arrays nest more than 4 deep/);
    const twice = header(0, 2).str("k").u32(4).u32(1).str("k").u32(4).u32(2).done();
    parseError(twice, /metadata key "k" appears twice/);
    parseError(header(0, 1).str("general.alignment").u32(4).u32(48).done(), /"general.alignment" is 48, not a power of two/);
    parseError(header(0, 1).str("general.alignment").u32(10).u64(32).done(), /"general.alignment" has type uint64, expected uint32/);
  });
});

describe("GGUF header", () => {
  it("refuses a bad magic, v1, unknown versions and big-endian files", () => {
    parseError(new Bytes().raw([0x47, 0x47, 0x4d, 0x4c]).u32(3).u64(0).u64(0).done(), /bad magic "GGML": not a GGUF file/);
    parseError(header(0, 0, 1).done(), /unsupported GGUF version 1 \(supported: 2, 3\)/);
    parseError(header(0, 0, 4).done(), /unsupported GGUF version 4/);
    parseError(header(0, 0, 0x03000000).done(), /big-endian GGUF files are not supported/);
    parseError(new Uint8Array(10), /shorter than the 24-byte GGUF header/);
  });

  it("refuses lying counts before allocating", () => {
    parseError(header(2n ** 60n, 0).done(), /tensor count is 1152921504606846976, more than the 0/);
    parseError(header(0, 2n ** 62n).done(), /metadata kv count is 4611686018427387904/);
    parseError(header(1, 0).done(), /tensor count is 1, more than the 0/);
    parseError(header(0, 1).str("k").done(), /metadata "k" type needs 4 bytes/);
  });
});

describe("GGUF tensors", () => {
  /** A file with the given tensor infos and data (after alignment padding). */
  function file(infos: (b: Bytes) => void, count: number, data: (b: Bytes) => void, alignment = 32, kvs: [string, number][] = []): Uint8Array {
    const b = header(count, kvs.length);
    for (const [k, v] of kvs) b.str(k).u32(4).u32(v);
    infos(b);
    b.pad(alignment);
    data(b);
    return b.done();
  }

  it("reads F32, F16, BF16, Q8_0 and Q4_0 with row-major shapes", () => {
    const q8 = quantizeQ8_0(randomNormal(seededRandom(1), 64), 2, 32);
    const q4 = quantizeQ4_0(randomNormal(seededRandom(2), 32), 1, 32);
    const bytes = file(
      (b) => {
        tensorInfo(b, "f32", [3, 2], 0, 0); // 24 bytes → padded to 32
        tensorInfo(b, "f16", [2], 1, 32);
        tensorInfo(b, "bf16", [2], 30, 64);
        tensorInfo(b, "q8", [32, 2], 8, 96); // 68 bytes
        tensorInfo(b, "q4", [32, 1], 2, 192); // 18 bytes
        tensorInfo(b, "q8_1d", [32], 8, 224); // 34 bytes: dequantized
      },
      6,
      (b) => {
        f32Data(b, [1, 2, 3, 4, 5, 6]).pad(32);
        b.u16(0x3c00).u16(0xc000).pad(32); // 1, -2
        b.u16(0x3fc0).u16(0xbf80).pad(32); // bf16 1.5, -1
        for (let r = 0; r < 2; r++) b.u16(f32ToF16(q8.scales[r]!)).raw(new Uint8Array(q8.quants.buffer, r * 32, 32));
        b.pad(32);
        b.u16(f32ToF16(q4.scales[0]!)).raw(q4.quants).pad(32);
        b.u16(f32ToF16(q8.scales[0]!)).raw(new Uint8Array(q8.quants.buffer, 0, 32));
      },
    );
    const gguf = parseGguf(bytes, LABEL);
    const get = (n: string) => gguf.tensors.get(n)!;
    assert.deepEqual([...get("f32").shape], [2, 3]);
    assert.equal(get("f32").kind, "dense");
    const dense = (n: string) => {
      const t = get(n);
      assert.equal(t.kind, "dense");
      return t.kind === "dense" ? [...t.data] : [];
    };
    assert.deepEqual(dense("f32"), [1, 2, 3, 4, 5, 6]);
    assert.deepEqual(dense("f16"), [1, -2]);
    assert.deepEqual(dense("bf16"), [1.5, -1]);
    assert.equal(get("bf16").type, "BF16");
    const q8t = get("q8");
    assert.equal(q8t.kind, "matrix");
    if (q8t.kind === "matrix" && q8t.matrix.type === "q8_0") {
      assert.deepEqual(q8t.shape, [2, 32]);
      assert.deepEqual([...q8t.matrix.quants], [...q8.quants]);
      assert.deepEqual([...q8t.matrix.scales], [...q8.scales]);
    }
    const q4t = get("q4");
    if (q4t.kind !== "matrix" || q4t.matrix.type !== "q4_0") assert.fail("q4 should stay quantized");
    assert.deepEqual([...q4t.matrix.quants], [...q4.quants]);
    assert.deepEqual(dense("q8_1d"), [...dequantize(q8)].slice(0, 32));
  });

  it("honours general.alignment", () => {
    const bytes = file(
      (b) => {
        tensorInfo(b, "a", [1], 0, 0);
        tensorInfo(b, "b", [1], 0, 64);
      },
      2,
      (b) => f32Data(b, [7]).pad(64).f32(8).pad(64),
      64,
      [["general.alignment", 64]],
    );
    const gguf = parseGguf(bytes, LABEL);
    const b = gguf.tensors.get("b")!;
    assert.ok(b.kind === "dense" && b.data[0] === 8);
  });

  const one = (dims: (number | bigint)[], type: number, offset: number | bigint, dataBytes: number) =>
    file((b) => tensorInfo(b, "w", dims, type, offset), 1, (b) => b.raw(new Uint8Array(dataBytes)));

  it("refuses unsupported types, bad dims, offsets and sizes", () => {
    parseError(one([256], 16, 0, 32), /tensor "w": ggml type IQ2_XXS \(16\) is not supported/);
    parseError(one([32], 12, 0, 32), /tensor "w": Q4_K row length 32 is not a multiple of the block size 256/);
    parseError(one([32], 77, 0, 32), /tensor "w": ggml type 77 \(unknown\) is not supported/);
    parseError(one([30], 8, 0, 64), /tensor "w": Q8_0 row length 30 is not a multiple of the block size 32/);
    parseError(one([1, 1, 1, 1, 1], 0, 0, 32), /tensor "w": has 5 dimensions/);
    parseError(file((b) => b.str("w").u32(0).u32(0).u64(0), 1, () => {}), /has 0 dimensions/);
    parseError(one([2n ** 32n, 2n ** 32n], 0, 0, 32), /dims \[4294967296, 4294967296…\] hold more elements than can be addressed/);
    parseError(one([2n ** 40n], 0, 0, 32), /runs past the end/);
    parseError(one([4], 0, 2n ** 63n, 32), /at data offset 9223372036854775808 .* runs past the end/);
    parseError(one([4], 0, 16, 32), /data offset 16 is not a multiple of the alignment 32/);
    parseError(one([16], 0, 0, 32), /data \[0, 64\) runs past the end of the 32-byte data section/);
    parseError(one([4], 0, 32, 64), /bytes 0\.\.32 of the data section before this tensor belong to no tensor/);
    parseError(one([4], 0, 0, 64), /48 bytes after the last tensor belong to no tensor/);
    const overlapping = file(
      (b) => {
        tensorInfo(b, "a", [16], 0, 0);
        tensorInfo(b, "b", [4], 0, 32);
      },
      2,
      (b) => b.raw(new Uint8Array(64)),
    );
    parseError(overlapping, /tensor "b": data \[32, 48\) overlaps tensor "a", which ends at 64/);
    const duplicate = file(
      (b) => {
        tensorInfo(b, "a", [4], 0, 0);
        tensorInfo(b, "a", [4], 0, 32);
      },
      2,
      (b) => b.raw(new Uint8Array(64)),
    );
    parseError(duplicate, /tensor "a": tensor name appears twice/);
    parseError(file((b) => tensorInfo(b, "w", [4], 0, 0), 1, () => {}), /data \[0, 16\) runs past the end of the 0-byte data section/);
  });

  it("never throws anything but ModelFormatError on truncated or corrupted files", () => {
    const good = file(
      (b) => {
        tensorInfo(b, "a", [32, 2], 8, 0);
        tensorInfo(b, "b", [3], 0, 96);
      },
      2,
      (b) => b.raw(new Uint8Array(96 + 12)),
    );
    parseGguf(good, LABEL);
    for (let n = 0; n < good.length; n++) {
      assert.throws(() => parseGguf(good.subarray(0, n), LABEL), ModelFormatError, `truncated to ${n} bytes`);
    }
    const random = seededRandom(7);
    for (let trial = 0; trial < 300; trial++) {
      const corrupt = good.slice();
      for (let k = 0; k < 3; k++) corrupt[Math.floor(random() * 140)] = Math.floor(random() * 256);
      try {
        parseGguf(corrupt, LABEL);
      } catch (error) {
        assert.ok(error instanceof ModelFormatError, `trial ${trial}: ${String(error)}`);
      }
    }
  });
});

describe("GGUF writer", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "gguf-"));
  });
  after(async () => {
    await rm(dir, { recursive: true });
  });

  it("round-trips F32, F16, BF16, Q8_0 and Q4_0 tensors, 32-byte aligned", async () => {
    const random = seededRandom(11);
    const w = randomNormal(random, 3 * 64);
    const q8 = quantizeQ8_0(w, 3, 64);
    const q4 = quantizeQ4_0(w, 3, 64);
    const vector = randomNormal(random, 5);
    const cube = randomNormal(random, 2 * 3 * 4);
    const path = join(dir, "t.gguf");
    await writeGguf(path, {
      metadata: [["general.architecture", { type: "string", value: "llama" }]],
      tensors: [
        { name: "vector", shape: [5], data: vector },
        { name: "half", shape: [5], data: vector, type: "F16" },
        { name: "brain", shape: [5], data: vector, type: "BF16" },
        { name: "cube", shape: [2, 3, 4], data: cube },
        { name: "q8", matrix: q8 },
        { name: "q4", matrix: q4 },
      ],
    });
    const bytes = new Uint8Array(await readFile(path));
    assert.equal(bytes.length % 32, 0);
    const file = await readGguf(path);
    assert.deepEqual([...file.tensors.keys()], ["vector", "half", "brain", "cube", "q8", "q4"]);
    const dense = (n: string) => {
      const t = file.tensors.get(n)!;
      if (t.kind !== "dense") assert.fail(`${n} should be dense`);
      return t;
    };
    assert.deepEqual([...dense("vector").data], [...vector]);
    assert.deepEqual([...dense("cube").shape], [2, 3, 4]);
    assert.deepEqual([...dense("cube").data], [...cube]);
    dense("half").data.forEach((v, i) => assert.ok(Math.abs(v - vector[i]!) <= Math.abs(vector[i]!) * 2 ** -11));
    dense("brain").data.forEach((v, i) => assert.ok(Math.abs(v - vector[i]!) <= Math.abs(vector[i]!) * 2 ** -8));
    for (const [name, m] of [["q8", q8], ["q4", q4]] as const) {
      const t = file.tensors.get(name)!;
      if (t.kind !== "matrix") assert.fail(`${name} should stay quantized`);
      assert.equal(t.matrix.type, m.type);
      assert.deepEqual([...t.matrix.scales], [...m.scales], "f16 scales are exact after quantization");
      assert.deepEqual([...t.matrix.quants], [...m.quants]);
      assert.deepEqual([...t.shape], [3, 64]);
    }
  });

  it("writes metadata arrays whose numbers make the header buffer grow (a 50k-token vocabulary's scores)", async () => {
    const scores = Array.from({ length: 50_001 }, (_, i) => -i / 7);
    const types = Array.from({ length: 50_001 }, (_, i) => (i % 6) + 1);
    const path = join(dir, "scores.gguf");
    await writeGguf(path, {
      metadata: [
        ["tokenizer.ggml.scores", { type: "array", elementType: "float32", value: scores }],
        ["tokenizer.ggml.token_type", { type: "array", elementType: "int32", value: types }],
      ],
      tensors: [],
    });
    const file = await readGguf(path);
    assert.deepEqual(file.metadata.get("tokenizer.ggml.scores")?.value, scores.map(Math.fround));
    assert.deepEqual(file.metadata.get("tokenizer.ggml.token_type")?.value, types);
  });

  it("refuses duplicate names and shapes that do not hold the data", async () => {
    const data = new Float32Array(4);
    await assert.rejects(
      writeGguf(join(dir, "x.gguf"), { metadata: [], tensors: [{ name: "a", shape: [4], data }, { name: "a", shape: [4], data }] }),
      /tensor "a": name is used twice/,
    );
    await assert.rejects(writeGguf(join(dir, "y.gguf"), { metadata: [], tensors: [{ name: "a", shape: [3], data }] }), /shape \[3\] does not hold the 4 values/);
  });
});
