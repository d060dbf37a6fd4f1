// The fixed pieces of the configurable Transformer: sinusoidal encodings in both
// layouts against their formulas (Vaswani et al.; Hugging Face Marian's sines
// then cosines, odd widths included), looked up by range, by ids and on a tape,
// and FAVOR+'s seeded orthogonal random features.
import assert from "node:assert/strict";
import { test } from "node:test";
import { jsBackend } from "../../../src/backend/js/index.js";
import { InputError } from "../../../src/errors.js";
import { ParameterIndex } from "../../../src/nn/parameter-index.js";
import { orthogonalRandomFeatures, PerformerFeatureMap } from "../../../src/nn/performer-features.js";
import { SinusoidalPositions } from "../../../src/nn/sinusoidal-positions.js";
import { Tape } from "../../../src/autograd/tape.js";
import { backendTapeKernels } from "../../../src/autograd/kernels.js";
import { maxAbsDiff } from "../../helpers/reference.js";

test("sinusoidal encodings: PE(p, 2i) = sin(p/10000^(2i/d)), PE(p, 2i+1) = cos(…), interleaved", () => {
  for (const dim of [1, 6, 7]) {
    const positions = new SinusoidalPositions(43, dim, "interleaved");
    const out = new Float32Array(40 * dim);
    positions.forwardRange(out, 3, 40);
    for (let p = 0; p < 40; p++) {
      for (let i = 0; 2 * i < dim; i++) {
        const angle = (p + 3) / 10000 ** ((2 * i) / dim);
        assert.ok(Math.abs(out[p * dim + 2 * i]! - Math.sin(angle)) < 1e-6);
        if (2 * i + 1 < dim) assert.ok(Math.abs(out[p * dim + 2 * i + 1]! - Math.cos(angle)) < 1e-6);
      }
    }
  }
});

test("sinusoidal encodings, concatenated layout: Hugging Face Marian's sines then cosines", () => {
  for (const dim of [8, 9]) {
    const positions = new SinusoidalPositions(12, dim, "concatenated");
    for (let p = 0; p < 12; p++) {
      // MarianSinusoidalPositionalEmbedding._init_weight, written out
      const enc = Array.from({ length: dim }, (_, j) => p / 10000 ** ((2 * Math.floor(j / 2)) / dim));
      const expected = [...enc.filter((_, j) => j % 2 === 0).map(Math.sin), ...enc.filter((_, j) => j % 2 === 1).map(Math.cos)];
      assert.ok(maxAbsDiff(positions.table.subarray(p * dim, (p + 1) * dim), expected) < 1e-6, `p ${p}`);
    }
  }
});

test("sinusoidal lookups by ids and on a tape give the table's rows; positions past the context are InputErrors", () => {
  const positions = new SinusoidalPositions(700, 10, "interleaved");
  const ids = [600, 3, 699];
  const out = new Float32Array(3 * 10);
  positions.forward(jsBackend, out, ids);
  ids.forEach((p, i) => assert.deepEqual(out.subarray(i * 10, (i + 1) * 10), positions.table.subarray(p * 10, (p + 1) * 10)));
  const ctx = { tape: new Tape(backendTapeKernels(jsBackend)), parameters: new ParameterIndex(), training: true, dropout: 0, random: Math.random };
  const onTape = positions.forwardOnTape(ctx, ids);
  assert.deepEqual(onTape.data, out);
  assert.equal(onTape.requiresGrad, false);
  assert.throws(() => positions.forwardRange(new Float32Array(10 * 10), 695, 10), InputError);
  assert.throws(() => positions.forward(jsBackend, new Float32Array(10), [700]), InputError);
});

test("FAVOR+ features: seeded, rows orthogonal within each block of d, redrawable", () => {
  const d = 6;
  const m = 15; // two full blocks and a partial one
  const omega = orthogonalRandomFeatures(m, d, 9);
  assert.deepEqual(omega, orthogonalRandomFeatures(m, d, 9));
  assert.ok(maxAbsDiff(omega, orthogonalRandomFeatures(m, d, 10)) > 0.1);
  for (let block = 0; block < m; block += d) {
    for (let a = block; a < Math.min(m, block + d); a++) {
      for (let b = a + 1; b < Math.min(m, block + d); b++) {
        let dot = 0;
        let na = 0;
        let nb = 0;
        for (let k = 0; k < d; k++) {
          dot += omega[a * d + k]! * omega[b * d + k]!;
          na += omega[a * d + k]! ** 2;
          nb += omega[b * d + k]! ** 2;
        }
        assert.ok(Math.abs(dot) < 1e-5 * Math.sqrt(na * nb), `rows ${a}, ${b}`);
      }
    }
  }
  const map = new PerformerFeatureMap(m, d, 9);
  const shared = map.omega;
  map.redraw(10);
  assert.equal(map.omega, shared, "redrawn in place");
  assert.deepEqual(map.omega, orthogonalRandomFeatures(m, d, 10));
  assert.equal(map.seed, 10);
});
