// GGUF files with ggml's block formats: a mixed-type file (every block format beside
// F32, F16 and Q8_0) round-trips through the writer and reader byte for byte; a block
// tensor that is not 2-D is dequantized; a block whose f16 scale (d, dmin or m) is
// infinite or NaN is refused with the file, tensor, row and block named; the writer
// refuses a block matrix whose bytes do not fit its shape.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ModelFormatError } from "../../../src/errors.js";
import { parseGguf, writeGguf, type GgufTensorInput } from "../../../src/io/gguf.js";
import { BLOCK_FORMATS, BLOCK_QUANT_TYPES } from "../../../src/tensor/block-formats.js";
import { dequantize, quantizeMatrix } from "../../../src/tensor/quantize.js";
import type { BlockQuantMatrix } from "../../../src/tensor/weights.js";
import { randomNormal, seededRandom } from "../../helpers/random.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "gguf-blocks-"));
});
after(async () => {
  await rm(dir, { recursive: true });
});

const random = seededRandom(5);

/** A GGUF file (no metadata) with one tensor "v" of ggml dims `dims` and type `typeId`, hand-built. */
function oneTensorFile(dims: number[], typeId: number, data: Uint8Array): Uint8Array {
  const head: number[] = [];
  const u32 = (v: number) => head.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
  const u64 = (v: number) => (u32(v), u32(0));
  u32(0x46554747); // "GGUF"
  u32(3);
  u64(1); // tensors
  u64(0); // metadata
  u64(1);
  head.push(0x76); // name "v"
  u32(dims.length);
  for (const d of dims) u64(d);
  u32(typeId);
  u64(0);
  const start = Math.ceil(head.length / 32) * 32;
  const out = new Uint8Array(start + Math.ceil(data.length / 32) * 32);
  out.set(head);
  out.set(data, start);
  return out;
}

describe("GGUF block formats", () => {
  it("a file mixing every type round-trips byte for byte, read without a copy", async () => {
    const tensors: GgufTensorInput[] = [{ name: "norm", shape: [512], data: randomNormal(random, 512) }];
    const matrices = new Map<string, BlockQuantMatrix>();
    for (const type of BLOCK_QUANT_TYPES) {
      const m = quantizeMatrix(randomNormal(random, 3 * 512), 3, 512, type) as BlockQuantMatrix;
      matrices.set(type, m);
      tensors.push({ name: `w.${type}`, matrix: m });
    }
    tensors.push({ name: "w.q8_0", matrix: quantizeMatrix(randomNormal(random, 2 * 64), 2, 64, "q8_0") });
    tensors.push({ name: "w.f16", shape: [2, 3], data: randomNormal(random, 6), type: "F16" });
    const path = join(dir, "mixed.gguf");
    await writeGguf(path, { metadata: [["general.architecture", { type: "string", value: "llama" }]], tensors });
    const bytes = new Uint8Array(await readFile(path));
    const file = parseGguf(bytes, path);
    for (const [type, m] of matrices) {
      const t = file.tensors.get(`w.${type}`)!;
      assert.equal(t.type, BLOCK_FORMATS[type as keyof typeof BLOCK_FORMATS].ggmlName);
      if (t.kind !== "matrix" || !("blocks" in t.matrix)) assert.fail(`${type} should stay in its blocks`);
      assert.deepEqual([...t.shape], [3, 512]);
      assert.deepEqual([...t.matrix.blocks], [...m.blocks], type);
      assert.equal(t.matrix.blocks.buffer, bytes.buffer, `${type}: a view of the file's bytes`);
    }
    assert.equal(file.tensors.get("w.q8_0")?.type, "Q8_0");
    assert.equal(file.tensors.get("w.f16")?.type, "F16");
  });

  it("a block tensor of one dimension is dequantized on reading", () => {
    const row = quantizeMatrix(randomNormal(random, 256), 1, 256, "q4_k") as BlockQuantMatrix;
    const v = parseGguf(oneTensorFile([256], BLOCK_FORMATS.q4_k.ggmlId, row.blocks), "vector.gguf").tensors.get("v")!;
    if (v.kind !== "dense") assert.fail("a 1-D block tensor is dequantized");
    assert.deepEqual([...v.shape], [256]);
    assert.deepEqual([...v.data], [...dequantize(row)]);
  });

  for (const type of BLOCK_QUANT_TYPES) {
    const { ggmlName, ggmlId, blockSize, blockBytes, f16Scales } = BLOCK_FORMATS[type];
    it(`${ggmlName}: a block whose f16 scale is infinite or NaN is refused, naming the tensor, row and block`, () => {
      const m = quantizeMatrix(randomNormal(random, 2 * 512), 2, 512, type) as BlockQuantMatrix;
      const perRow = 512 / blockSize;
      assert.equal(parseGguf(oneTensorFile([512, 2], ggmlId, m.blocks), "ok.gguf").tensors.get("v")?.kind, "matrix");
      for (const field of f16Scales) {
        for (const [low, high] of [[0x00, 0x7c], [0x01, 0xfe]]) {
          const blocks = m.blocks.slice();
          const block = 2 * perRow - 1; // row 1, its last block
          blocks[block * blockBytes + field] = low!;
          blocks[block * blockBytes + field + 1] = high!;
          assert.throws(
            () => parseGguf(oneTensorFile([512, 2], ggmlId, blocks), "bad.gguf"),
            (error: unknown) =>
              error instanceof ModelFormatError &&
              error.message.startsWith(`bad.gguf: tensor "v": ${ggmlName} block ${perRow - 1} of row 1`) &&
              /infinite or NaN/.test(error.message),
          );
        }
      }
    });
  }

  it("Q8_0 and Q4_0 scales are checked too", () => {
    for (const [type, id, blockBytes] of [["Q8_0", 8, 34], ["Q4_0", 2, 18]] as const) {
      const blocks = new Uint8Array(2 * blockBytes);
      blocks[blockBytes + 1] = 0x7c; // block 1's d: the high byte of +infinity
      assert.throws(() => parseGguf(oneTensorFile([64, 1], id, blocks), "bad.gguf"), new RegExp(`tensor "v": ${type} block 1 of row 0: its f16 scale d is infinite or NaN`));
    }
  });

  it("the writer refuses a block matrix whose bytes do not fit its shape", async () => {
    const m = quantizeMatrix(randomNormal(random, 256), 1, 256, "q6_k") as BlockQuantMatrix;
    await assert.rejects(
      writeGguf(join(dir, "bad.gguf"), { metadata: [], tensors: [{ name: "w", matrix: { ...m, blocks: m.blocks.subarray(1) } }] }),
      /tensor "w": Q6_K matrix 1×256 has 209 bytes of blocks/,
    );
  });
});
