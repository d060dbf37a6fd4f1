// ggml's block formats in the tensor layer: quantization then dequantization stays within
// each format's error on normal and mixed-scale rows; zero rows give exact zeros;
// quantizing is deterministic; hand-built Q4_K and Q6_K blocks (README layouts of the
// quant fixtures) decode to their formulas; non-finite values and rows that do not split
// into blocks are refused by name. (Equality with ggml's own bytes and values is the
// conformance suite's job: test/conformance/quants.test.ts.)
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BLOCK_FORMATS, BLOCK_QUANT_TYPES, type BlockQuantType } from "../../../src/tensor/block-formats.js";
import { dequantize, quantizeMatrix } from "../../../src/tensor/quantize.js";
import { f16ToF32, f32ToF16 } from "../../../src/tensor/dtype.js";
import { blockQuantMatrix, rowWindow, type BlockQuantMatrix } from "../../../src/tensor/weights.js";
import { randomNormal, seededRandom } from "../../helpers/random.js";

/** Relative RMS error bound of each format on N(0, 1) rows (ggml's own levels are below these). */
const RMS_BOUND: Record<BlockQuantType, number> = {
  q4_1: 0.12, q5_0: 0.07, q5_1: 0.05, q2_k: 0.35, q3_k: 0.2, q4_k: 0.11, q5_k: 0.05, q6_k: 0.025, iq4_nl: 0.12, iq4_xs: 0.12,
};

function relativeRms(a: Float32Array, b: Float32Array): number {
  let error = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    error += (a[i]! - b[i]!) ** 2;
    norm += b[i]! ** 2;
  }
  return Math.sqrt(error / norm);
}

describe("block quantization round trips", () => {
  for (const type of BLOCK_QUANT_TYPES) {
    const k = BLOCK_FORMATS[type].blockSize === 256 ? 512 : 96;
    it(`${type}: within its error on normal and mixed-scale rows; zeros stay zeros; deterministic`, () => {
      const random = seededRandom(7);
      const rows = 6;
      const data = randomNormal(random, rows * k);
      for (let i = 3 * k; i < 4 * k; i++) data[i]! *= 10 ** (Math.floor((i - 3 * k) / 32) % 4 - 2); // scales differ per 32
      data.fill(0, 5 * k, 6 * k);
      const m = quantizeMatrix(data, rows, k, type) as BlockQuantMatrix;
      assert.equal(m.blocks.length, (rows * k * BLOCK_FORMATS[type].blockBytes) / BLOCK_FORMATS[type].blockSize);
      const back = dequantize(m);
      const normal = relativeRms(back.subarray(0, 3 * k), data.subarray(0, 3 * k));
      assert.ok(normal < RMS_BOUND[type], `${type}: relative RMS error ${normal}`);
      const mixed = relativeRms(back.subarray(3 * k, 4 * k), data.subarray(3 * k, 4 * k));
      assert.ok(mixed < 2 * RMS_BOUND[type], `${type}: relative RMS error ${mixed} with mixed scales`);
      assert.ok(back.subarray(5 * k).every((v) => v === 0), "a zero row dequantizes to zeros");
      assert.deepEqual([...(quantizeMatrix(data, rows, k, type) as BlockQuantMatrix).blocks], [...m.blocks]);
    });
  }

  it("a row window of a block matrix (a fused projection's part) shares its bytes and dequantizes to those rows", () => {
    const k = 512;
    for (const type of BLOCK_QUANT_TYPES) {
      const m = quantizeMatrix(randomNormal(seededRandom(11), 7 * k), 7, k, type) as BlockQuantMatrix;
      const window = rowWindow(m, 2, 3) as BlockQuantMatrix;
      assert.equal(window.blocks.buffer, m.blocks.buffer, `${type}: no copy`);
      assert.deepEqual([window.rows, window.cols], [3, k]);
      assert.deepEqual([...dequantize(window)], [...dequantize(m).subarray(2 * k, 5 * k)], type);
    }
  });

  it("refuses non-finite values and rows that do not split into blocks, by name", () => {
    const data = new Float32Array(512);
    data[300] = NaN;
    assert.throws(() => quantizeMatrix(data, 2, 256, "q4_k"), /cannot quantize to q4_k: the value at row 1, column 44 is NaN/);
    data[300] = Infinity;
    assert.throws(() => quantizeMatrix(data, 1, 512, "q8_0"), /row 0, column 300 is Infinity/);
    assert.throws(() => quantizeMatrix(new Float32Array(320), 1, 320, "q6_k"), /the row length 320 is not a multiple of the block size 256/);
    assert.throws(() => blockQuantMatrix("q4_k", new Uint8Array(143), 1, 256), /needs 144 bytes/);
  });
});

describe("hand-built blocks decode to the layout's formula", () => {
  it("Q4_K: x = (d·sc)·q − (dmin·m) with 6-bit scales and mins, 64-element chunks of low/high nibbles", () => {
    const block = new Uint8Array(144);
    const d = 0.5, dmin = 0.25;
    block.set([f32ToF16(d) & 0xff, f32ToF16(d) >> 8, f32ToF16(dmin) & 0xff, f32ToF16(dmin) >> 8]);
    const sc = [1, 2, 3, 63, 17, 40, 5, 33];
    const mn = [0, 7, 1, 2, 60, 9, 63, 4];
    const s = block.subarray(4, 16);
    for (let j = 0; j < 4; j++) {
      s[j] = sc[j]! | ((sc[j + 4]! >> 4) << 6);
      s[j + 4] = mn[j]! | ((mn[j + 4]! >> 4) << 6);
      s[j + 8] = (sc[j + 4]! & 0xf) | ((mn[j + 4]! & 0xf) << 4);
    }
    const q = (e: number) => (e * 7 + 3) % 16;
    for (let c = 0; c < 4; c++) for (let l = 0; l < 32; l++) block[16 + 32 * c + l] = q(64 * c + l) | (q(64 * c + 32 + l) << 4);
    const out = dequantize(blockQuantMatrix("q4_k", block, 1, 256));
    for (let e = 0; e < 256; e++) {
      const j = e >> 5;
      assert.equal(out[e], Math.fround(Math.fround(Math.fround(d * sc[j]!) * q(e)) - Math.fround(dmin * mn[j]!)), `element ${e}`);
    }
  });

  it("Q6_K: x = (d·sc)·(q − 32), low nibbles in ql, top two bits in qh, int8 scale per 16", () => {
    const block = new Uint8Array(210);
    const d = f16ToF32(f32ToF16(0.01));
    block[208] = f32ToF16(d) & 0xff;
    block[209] = f32ToF16(d) >> 8;
    const sc = Array.from({ length: 16 }, (_, i) => ((i * 37) % 200) - 100);
    sc.forEach((v, i) => (block[192 + i] = v & 0xff));
    const q = (e: number) => (e * 11 + 5) % 64;
    for (let n = 0; n < 2; n++) {
      for (let l = 0; l < 32; l++) {
        const e = 128 * n + l;
        block[64 * n + l] = (q(e) & 0xf) | ((q(e + 64) & 0xf) << 4);
        block[64 * n + 32 + l] = (q(e + 32) & 0xf) | ((q(e + 96) & 0xf) << 4);
        block[128 + 32 * n + l] = (q(e) >> 4) | ((q(e + 32) >> 4) << 2) | ((q(e + 64) >> 4) << 4) | ((q(e + 96) >> 4) << 6);
      }
    }
    const out = dequantize(blockQuantMatrix("q6_k", block, 1, 256));
    for (let e = 0; e < 256; e++) assert.equal(out[e], Math.fround(Math.fround(d * sc[e >> 4]!) * (q(e) - 32)), `element ${e}`);
  });
});
