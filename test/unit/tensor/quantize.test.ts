// Q8_0 / Q4_0 quantizers against ggml's reference quantizers: blocks worked out by hand,
// the Q4_0 nibble order, error bounds on random data, and f16 rounding of the scales.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { f16ToF32, f32ToF16, roundToF16 } from "../../../src/tensor/dtype.js";
import { dequantize, quantizeQ4_0, quantizeQ8_0 } from "../../../src/tensor/quantize.js";
import { f32Matrix } from "../../../src/tensor/weights.js";
import { randomNormal, seededRandom } from "../../helpers/random.js";

describe("f32ToF16", () => {
  it("rounds to nearest even and round-trips every f16 value", () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = f16ToF32(bits);
      if (Number.isNaN(value)) assert.ok(Number.isNaN(f16ToF32(f32ToF16(value))));
      else assert.equal(f32ToF16(value), bits, `bits 0x${bits.toString(16)}`);
    }
    assert.equal(f32ToF16(1 + 2 ** -11), 0x3c00); // tie → even (1.0)
    assert.equal(f32ToF16(1 + 3 * 2 ** -11), 0x3c02); // tie → even (1 + 2·2^-10)
    assert.equal(f32ToF16(65520), 0x7c00); // rounds up to infinity
    assert.equal(f32ToF16(65519), 0x7bff);
    assert.equal(f32ToF16(2 ** -25), 0x0000); // half the smallest subnormal: tie → 0
    assert.equal(f32ToF16(1.5 * 2 ** -25), 0x0001);
    assert.equal(f32ToF16(-0), 0x8000);
    assert.equal(roundToF16(0.1), 0.0999755859375);
  });
});

describe("quantizeQ8_0", () => {
  it("matches a block worked out by hand (d = amax/127, q = round half away from zero)", () => {
    // amax 127 → d = 1 exactly; x = j - 0.5 rounds away from zero; the sign of -0.5 → -1.
    const x = new Float32Array(32);
    for (let j = 0; j < 31; j++) x[j] = j - 0.5;
    x[31] = -127;
    const m = quantizeQ8_0(x, 1, 32);
    assert.deepEqual([...m.scales], [1]);
    const expected = [-1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, -127];
    assert.deepEqual([...m.quants], expected);
  });

  it("stores an all-zero block as scale 0 and zeros", () => {
    const m = quantizeQ8_0(new Float32Array(64), 2, 32);
    assert.deepEqual([...m.scales], [0, 0]);
    assert.ok(m.quants.every((q) => q === 0));
  });

  it("rounds the scale to f16 and keeps |x − dequantized| ≤ d/2 (+ the f16 scale error)", () => {
    const x = randomNormal(seededRandom(3), 64 * 96);
    const m = quantizeQ8_0(x, 64, 96);
    const back = dequantize(m);
    for (let b = 0; b < m.scales.length; b++) {
      assert.equal(m.scales[b], roundToF16(m.scales[b]!));
      let amax = 0;
      for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b * 32 + j]!));
      const d = amax / 127;
      for (let j = 0; j < 32; j++) {
        const i = b * 32 + j;
        assert.ok(Math.abs(x[i]! - back[i]!) <= d / 2 + 127 * Math.abs(m.scales[b]! - d) + 1e-6, `element ${i}`);
      }
    }
  });

  it("refuses rows that are not a multiple of 32", () => {
    assert.throws(() => quantizeQ8_0(new Float32Array(40), 1, 40), /row length 40 is not a multiple of the block size 32/);
    assert.throws(() => quantizeQ8_0(new Float32Array(10), 1, 32), /cannot quantize 10 values/);
  });
});

describe("quantizeQ4_0", () => {
  it("matches a block worked out by hand, with ggml's nibble order", () => {
    // max (signed, largest magnitude) = -8 → d = 1; q = min(15, trunc(x/d + 8.5)).
    const x = new Float32Array(32);
    for (let j = 0; j < 16; j++) x[j] = j - 8; // -8..7 → nibbles 0..15
    for (let j = 16; j < 32; j++) x[j] = 7.6 - (j - 16); // 7.6, 6.6, … → trunc(x + 8.5)
    const m = quantizeQ4_0(x, 1, 32);
    assert.deepEqual([...m.scales], [1]);
    for (let j = 0; j < 16; j++) {
      const low = m.quants[j]! & 0x0f;
      const high = m.quants[j]! >> 4;
      assert.equal(low, j, `weight ${j} is the low nibble of byte ${j}`);
      assert.equal(high, Math.min(15, Math.trunc(Math.fround(7.6 - j) + 8.5)), `weight ${j + 16} is the high nibble of byte ${j}`);
    }
    // 7.6 + 8.5 = 16.1 is clamped to 15.
    assert.equal(m.quants[0]! >> 4, 15);
    const back = dequantize(m);
    assert.deepEqual([...back.subarray(0, 16)], Array.from({ length: 16 }, (_, j) => j - 8));
  });

  it("uses the signed maximum: a positive extreme gives a negative scale", () => {
    const x = new Float32Array(32).fill(1);
    x[5] = 16;
    const m = quantizeQ4_0(x, 1, 32);
    assert.equal(m.scales[0], -2); // 16 / -8
    const back = dequantize(m);
    assert.equal(back[5], 16); // nibble 0 → (0 − 8) · −2
  });

  it("keeps |x − dequantized| ≤ |d| (+ the f16 scale error) on random data", () => {
    const x = randomNormal(seededRandom(4), 32 * 64);
    const m = quantizeQ4_0(x, 32, 64);
    const back = dequantize(m);
    let worst = 0;
    for (let b = 0; b < m.scales.length; b++) {
      const d = Math.abs(m.scales[b]!);
      for (let j = 0; j < 32; j++) {
        const i = b * 32 + j;
        worst = Math.max(worst, Math.abs(x[i]! - back[i]!) / d);
        assert.ok(Math.abs(x[i]! - back[i]!) <= d * (1 + 1e-3), `element ${i}: |Δ| ${Math.abs(x[i]! - back[i]!)} > d ${d}`);
      }
    }
    assert.ok(worst > 0.4, "errors reach the expected size (about d/2 in the middle, up to d at the clamp)");
  });

  it("refuses rows that are not a multiple of 32", () => {
    assert.throws(() => quantizeQ4_0(new Float32Array(48), 1, 48), /not a multiple of the block size 32/);
  });
});

describe("dequantize", () => {
  it("copies f32 matrices", () => {
    const data = new Float32Array([1, 2, 3, 4]);
    const out = dequantize(f32Matrix(data, 2, 2));
    assert.deepEqual([...out], [1, 2, 3, 4]);
    assert.notEqual(out, data);
  });
});
