// safetensors: round trips, exact F16/BF16 widening, and every kind of malformed file.
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ModelFormatError } from "../../../src/errors.js";
import { parseSafetensors, readSafetensors, writeSafetensors } from "../../../src/io/safetensors.js";

const LABEL = "crafted.safetensors";

/**
 * A safetensors file from a header (object or raw text) and data bytes. `headerLength` can lie;
 * `padTo8` pads the header with spaces so that the data starts 8-byte aligned.
 */
function craft(header: unknown, data: Uint8Array = new Uint8Array(0), headerLength?: bigint, padTo8 = false): Uint8Array {
  let text = typeof header === "string" ? header : JSON.stringify(header);
  if (padTo8) text = text.padEnd(Math.ceil(text.length / 8) * 8, " ");
  const json = new TextEncoder().encode(text);
  const bytes = new Uint8Array(8 + json.length + data.length);
  new DataView(bytes.buffer).setBigUint64(0, headerLength ?? BigInt(json.length), true);
  bytes.set(json, 8);
  bytes.set(data, 8 + json.length);
  return bytes;
}

function u16Bytes(values: number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 2);
  values.forEach((v, i) => new DataView(bytes.buffer).setUint16(i * 2, v, true));
  return bytes;
}

/** Assert that parsing fails with a ModelFormatError naming the file, the tensor (if any) and the problem. */
function assertRejects(bytes: Uint8Array, problem: RegExp, tensor?: string): void {
  assert.throws(
    () => parseSafetensors(bytes, LABEL),
    (error: unknown) => {
      assert.ok(error instanceof ModelFormatError, `expected ModelFormatError, got ${String(error)}`);
      assert.equal(error.file, LABEL);
      assert.ok(error.message.includes(LABEL), error.message);
      assert.equal(error.tensor, tensor);
      if (tensor !== undefined) assert.ok(error.message.includes(`"${tensor}"`), error.message);
      assert.match(error.message, problem);
      return true;
    },
  );
}

const f32 = (n: number) => new Uint8Array(n * 4);

describe("writeSafetensors / readSafetensors", () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), "lmscope-safetensors-"))));
  after(async () => rm(dir, { recursive: true, force: true }));

  it("round-trips F32 tensors, metadata, scalars and empty tensors bit for bit", async () => {
    const path = join(dir, "round-trip.safetensors");
    const weird = new Float32Array([-0, Infinity, -Infinity, NaN, 1e-45, 3.4028234663852886e38, 0.1]);
    const input = [
      { name: "z.weight", shape: [7], data: weird },
      { name: "a.matrix", shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
      { name: "m.scalar", shape: [], data: new Float32Array([42]) },
      { name: "e.empty", shape: [0, 5], data: new Float32Array(0) },
    ];
    await writeSafetensors(path, input, { format: "pt", note: "ünïcode" });
    const file = await readSafetensors(path);
    assert.equal(file.path, path);
    assert.deepEqual(file.metadata, { format: "pt", note: "ünïcode" });
    assert.deepEqual([...file.tensors.keys()].sort(), ["a.matrix", "e.empty", "m.scalar", "z.weight"]);
    for (const { name, shape, data } of input) {
      const record = file.tensors.get(name)!;
      assert.equal(record.name, name);
      assert.equal(record.dtype, "F32");
      assert.deepEqual(record.shape, shape);
      assert.deepEqual(new Uint32Array(record.data.slice().buffer), new Uint32Array(data.slice().buffer));
    }
    assert.deepEqual(await readdir(dir), ["round-trip.safetensors"], "no temporary file is left behind");
  });

  it("writes the layout the format prescribes: padded header, data sorted by name", async () => {
    const path = join(dir, "layout.safetensors");
    await writeSafetensors(path, [
      { name: "b", shape: [1], data: new Float32Array([2]) },
      { name: "a", shape: [1], data: new Float32Array([1]) },
    ]);
    const bytes = new Uint8Array(await readFile(path));
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    assert.equal(headerLength % 8, 0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + headerLength));
    assert.match(text, /^\{.*\} *$/);
    assert.deepEqual(JSON.parse(text), {
      a: { dtype: "F32", shape: [1], data_offsets: [0, 4] },
      b: { dtype: "F32", shape: [1], data_offsets: [4, 8] },
    });
    assert.deepEqual([...new Float32Array(bytes.slice(8 + headerLength).buffer)], [1, 2]);
  });

  it("replaces an existing file atomically and rejects inconsistent input", async () => {
    const path = join(dir, "replace.safetensors");
    await writeSafetensors(path, [{ name: "x", shape: [1], data: new Float32Array([1]) }]);
    await writeSafetensors(path, [{ name: "x", shape: [1], data: new Float32Array([2]) }]);
    assert.equal((await readSafetensors(path)).tensors.get("x")!.data[0], 2);
    await assert.rejects(
      writeSafetensors(path, [{ name: "x", shape: [2, 2], data: new Float32Array(3) }]),
      (e: unknown) => e instanceof ModelFormatError && e.tensor === "x" && /\[2, 2\]/.test(e.message),
    );
    await assert.rejects(
      writeSafetensors(path, [
        { name: "x", shape: [1], data: new Float32Array(1) },
        { name: "x", shape: [1], data: new Float32Array(1) },
      ]),
      (e: unknown) => e instanceof ModelFormatError && /used twice/.test(e.message),
    );
    assert.equal((await readSafetensors(path)).tensors.get("x")!.data[0], 2, "a failed write leaves the old file");
  });

  it("names the path when the file is missing or not a file", async () => {
    const missing = join(dir, "missing.safetensors");
    await assert.rejects(readSafetensors(missing), (e: unknown) => e instanceof ModelFormatError && e.message.includes(missing));
    await assert.rejects(readSafetensors(dir), (e: unknown) => e instanceof ModelFormatError && /not a regular file/.test(e.message));
  });

  it("reads a crafted file written by hand", async () => {
    const path = join(dir, "by-hand.safetensors");
    const data = new Uint8Array(new Float32Array([0.5, -1.5]).buffer);
    await writeFile(path, craft({ t: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, data));
    assert.deepEqual([...(await readSafetensors(path)).tensors.get("t")!.data], [0.5, -1.5]);
  });
});

describe("parseSafetensors dtypes", () => {
  it("widens F16 exactly: zeros, subnormals, normals, max, infinities, NaN", () => {
    const cases: [number, number][] = [
      [0x0000, 0], [0x8000, -0], [0x3c00, 1], [0xc000, -2], [0x3555, 0.333251953125],
      [0x0001, 2 ** -24], [0x8001, -(2 ** -24)], [0x03ff, 1023 * 2 ** -24], [0x0400, 2 ** -14],
      [0x7bff, 65504], [0xfbff, -65504], [0x7c00, Infinity], [0xfc00, -Infinity], [0x7e00, NaN], [0xfe01, NaN],
    ];
    const bytes = craft({ h: { dtype: "F16", shape: [cases.length], data_offsets: [0, cases.length * 2] } }, u16Bytes(cases.map((c) => c[0])));
    const record = parseSafetensors(bytes, LABEL).tensors.get("h")!;
    assert.equal(record.dtype, "F16");
    cases.forEach(([bits, expected], i) => assert.ok(Object.is(record.data[i], expected), `f16 0x${bits.toString(16)} → ${record.data[i]}, expected ${expected}`));
  });

  it("widens BF16 exactly: zeros, subnormals, normals, max, infinities, NaN", () => {
    const cases: [number, number][] = [
      [0x0000, 0], [0x8000, -0], [0x3f80, 1], [0xbf80, -1], [0x4049, 3.140625], [0x3e80, 0.25],
      [0x0001, 2 ** -133], [0x807f, -127 * 2 ** -133], [0x0080, 2 ** -126],
      [0x7f7f, (2 - 2 ** -7) * 2 ** 127], [0x7f80, Infinity], [0xff80, -Infinity], [0x7fc0, NaN], [0xffc1, NaN],
    ];
    const bytes = craft({ b: { dtype: "BF16", shape: [2, cases.length / 2], data_offsets: [0, cases.length * 2] } }, u16Bytes(cases.map((c) => c[0])));
    const record = parseSafetensors(bytes, LABEL).tensors.get("b")!;
    assert.equal(record.dtype, "BF16");
    assert.deepEqual(record.shape, [2, cases.length / 2]);
    cases.forEach(([bits, expected], i) => assert.ok(Object.is(record.data[i], expected), `bf16 0x${bits.toString(16)} → ${record.data[i]}, expected ${expected}`));
  });

  it("views aligned F32 data in place and copies unaligned F32 data correctly", () => {
    // One F16 value (2 bytes) first, so the F32 tensor after it starts at an odd multiple of 2.
    const header = { a: { dtype: "F16", shape: [1], data_offsets: [0, 2] }, b: { dtype: "F32", shape: [2], data_offsets: [2, 10] } };
    const data = new Uint8Array(10);
    data.set(u16Bytes([0x3c00]));
    new DataView(data.buffer).setFloat32(2, 1.25, true);
    new DataView(data.buffer).setFloat32(6, -7.5, true);
    const file = parseSafetensors(craft(header, data, undefined, true), LABEL);
    assert.deepEqual([...file.tensors.get("b")!.data], [1.25, -7.5]);

    const aligned = craft({ c: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, new Uint8Array(new Float32Array([3]).buffer), undefined, true);
    const view = parseSafetensors(aligned, LABEL).tensors.get("c")!.data;
    assert.equal(view[0], 3);
    assert.equal(view.buffer, aligned.buffer, "aligned F32 data is not copied");
  });
});

describe("parseSafetensors rejects malformed files", () => {
  const ok = { dtype: "F32", shape: [2], data_offsets: [0, 8] };

  it("files shorter than the length prefix", () => {
    assertRejects(new Uint8Array(0), /0 bytes, shorter than the 8-byte header length/);
    assertRejects(new Uint8Array(7), /7 bytes/);
  });

  it("header lengths past the file or over the cap, without allocating", () => {
    assertRejects(craft({ t: ok }, f32(2), 1000n), /header length 1000 runs past the end of the \d+-byte file/);
    assertRejects(craft({ t: ok }, f32(2), 99_000_000n), /runs past the end/);
    assertRejects(craft({ t: ok }, f32(2), 100_000_001n), /over the 100000000-byte limit/);
    assertRejects(craft({ t: ok }, f32(2), 2n ** 64n - 1n), /18446744073709551615 is over the/);
  });

  it("headers that are not UTF-8, not JSON or not an object", () => {
    const notUtf8 = craft('{"a":1}');
    notUtf8[10] = 0xff; // the "a"
    assertRejects(notUtf8, /not valid UTF-8/);
    assertRejects(craft("{\"t\": ", f32(0)), /not valid JSON/);
    assertRejects(craft("[1, 2]"), /not an object/);
    assertRejects(craft("null"), /not an object/);
    assertRejects(craft("7"), /not an object/);
  });

  it("metadata that is not a string map", () => {
    assertRejects(craft({ __metadata__: { format: 1 } }), /"__metadata__" entry "format" is not a string/);
    assertRejects(craft({ __metadata__: "pt" }), /"__metadata__" is not an object/);
  });

  it("a tensor (or any key) listed twice, even when escaped differently", () => {
    const entry = (begin: number) => `{"dtype":"F32","shape":[1],"data_offsets":[${begin},${begin + 4}]}`;
    assertRejects(craft(`{"w":${entry(0)},"w":${entry(4)}}`, f32(2)), /lists this tensor twice/, "w");
    // The same entry twice still fails, and "\u0077" is "w".
    assertRejects(craft(`{"w":${entry(0)},"\\u0077":${entry(0)}}`, f32(1)), /lists this tensor twice/, "w");
    assertRejects(craft(`{"__metadata__":{"a":"1","a":"2"}}`), /header object __metadata__ has the key "a" twice/);
    assertRejects(craft(`{"w":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}}`, f32(1)), /header object w has the key "dtype" twice/);
    // Equal keys in different objects, and strings that merely look like keys, are fine.
    const fine = `{"__metadata__":{"w":"x"},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"v":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`;
    assert.deepEqual([...parseSafetensors(craft(fine, f32(2)), LABEL).tensors.keys()], ["w", "v"]);
  });

  it("entries with missing or mistyped fields", () => {
    assertRejects(craft({ t: 5 }, f32(2)), /entry is not an object/, "t");
    assertRejects(craft({ t: { shape: [2], data_offsets: [0, 8] } }, f32(2)), /missing or non-string "dtype"/, "t");
    assertRejects(craft({ t: { ...ok, dtype: 4 } }, f32(2)), /"dtype"/, "t");
    assertRejects(craft({ t: { dtype: "F32", data_offsets: [0, 8] } }, f32(2)), /missing or non-array "shape"/, "t");
    assertRejects(craft({ t: { ...ok, shape: "2" } }, f32(2)), /"shape"/, "t");
    assertRejects(craft({ t: { dtype: "F32", shape: [2] } }, f32(2)), /missing "data_offsets"/, "t");
    assertRejects(craft({ t: { ...ok, data_offsets: [0, 8, 16] } }, f32(2)), /\[begin, end\] pair/, "t");
    assertRejects(craft({ t: { ...ok, data_offsets: { begin: 0 } } }, f32(2)), /\[begin, end\] pair/, "t");
  });

  it("dtypes outside the allow-list, naming the dtype", () => {
    for (const dtype of ["I64", "F64", "U8", "F8_E4M3", "f32", ""]) {
      assertRejects(craft({ t: { ...ok, dtype } }, f32(2)), new RegExp(`unsupported dtype "${dtype}" \\(supported: F32, F16, BF16\\)`), "t");
    }
  });

  it("shapes with negative, fractional, non-numeric or overflowing dimensions", () => {
    assertRejects(craft({ t: { ...ok, shape: [-2] } }, f32(2)), /shape \[-2\] has a dimension that is not a non-negative integer/, "t");
    assertRejects(craft({ t: { ...ok, shape: [1.5, 2] } }, f32(2)), /not a non-negative integer/, "t");
    assertRejects(craft({ t: { ...ok, shape: ["2"] } }, f32(2)), /not a non-negative integer/, "t");
    assertRejects(craft({ t: { ...ok, shape: [null] } }, f32(2)), /not a non-negative integer/, "t");
    assertRejects(craft({ t: { ...ok, shape: [2 ** 40, 2 ** 40] } }, f32(2)), /too large/, "t");
  });

  it("offsets that are not integers, reversed, or past the data", () => {
    assertRejects(craft({ t: { ...ok, data_offsets: [0.5, 8] } }, f32(2)), /data_offsets \[0.5,8\] are not non-negative integers/, "t");
    assertRejects(craft({ t: { ...ok, data_offsets: [-8, 0] } }, f32(2)), /not non-negative integers/, "t");
    assertRejects(craft({ t: { ...ok, data_offsets: ["0", "8"] } }, f32(2)), /not non-negative integers/, "t");
    assertRejects(craft({ t: { ...ok, shape: [0], data_offsets: [8, 0] } }, f32(2)), /begin 8 is after end 0/, "t");
    assertRejects(craft({ t: { ...ok, data_offsets: [4, 12] } }, f32(2)), /end 12 is past the 8-byte data section/, "t");
    assertRejects(craft({ t: { ...ok, shape: [2 ** 50], data_offsets: [0, 2 ** 52] } }, f32(2)), /end 4503599627370496 is past/, "t");
  });

  it("byte lengths that do not match shape × dtype size", () => {
    assertRejects(craft({ t: { ...ok, shape: [3] } }, f32(2)), /span 8 bytes but F32 shape \[3\] needs 12/, "t");
    assertRejects(craft({ t: { ...ok, dtype: "BF16" } }, f32(2)), /span 8 bytes but BF16 shape \[2\] needs 4/, "t");
  });

  it("overlapping tensors, gaps and trailing bytes", () => {
    const a = { dtype: "F32", shape: [2], data_offsets: [0, 8] };
    assertRejects(craft({ a, b: { dtype: "F32", shape: [2], data_offsets: [4, 12] } }, f32(3)), /\[4, 12\] overlap the previous tensor, which ends at 8/, "b");
    assertRejects(craft({ a, b: { ...a } }, f32(2)), /\[0, 8\] overlap/, "b");
    assertRejects(craft({ a, b: { dtype: "F32", shape: [1], data_offsets: [12, 16] } }, f32(4)), /bytes 8\.\.12 of the data section before this tensor belong to no tensor/, "b");
    assertRejects(craft({ b: { dtype: "F32", shape: [1], data_offsets: [4, 8] } }, f32(2)), /bytes 0\.\.4/, "b");
    assertRejects(craft({ a }, f32(3)), /data section is 12 bytes but the tensors cover only 8/);
    assertRejects(craft({}, f32(1)), /cover only 0/);
  });

  it("accepts an empty file and tensors named like object internals", () => {
    assert.equal(parseSafetensors(craft({}), LABEL).tensors.size, 0);
    const file = parseSafetensors(craft('{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', f32(1)), LABEL);
    assert.deepEqual([...file.tensors.keys()], ["__proto__"]);
  });
});
