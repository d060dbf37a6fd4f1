// Reference matrix products with block-quantized weights: out[m, n] = x[m, k] · w[n, k]ᵀ + bias.
// Follows llama.cpp's CPU path (ggml-cpu `ggml_vec_dot_q8_0_q8_0` / `ggml_vec_dot_q4_0_q8_0`):
// each activation row is quantized on the fly to Q8_0 (per block of 32: d = max|x| / 127,
// q = roundf(x / d), all zeros when d = 0), then every block contributes
//   (Σ integer weight quant · integer activation quant) · weight scale · activation scale.
// Block sums are exact integers; the block terms accumulate in float64 (JS numbers).
// Unlike llama.cpp, the activation scale is kept in f32 rather than rounded to f16.
//
// The only memory used beyond the arguments is a module-level scratch for the quantized
// activation row, grown when a wider matrix comes along and reused for every call.

import { QUANT_BLOCK, type Q4_0Matrix, type Q8_0Matrix } from "../../tensor/weights.js";

const HALF_BLOCK = QUANT_BLOCK / 2;
const f32 = Math.fround;

let rowQuants = new Int8Array(0);
let rowScales = new Float32Array(0);

function scratchFor(k: number): void {
  if (rowQuants.length < k) {
    rowQuants = new Int8Array(k);
    rowScales = new Float32Array(k / QUANT_BLOCK);
  }
}

function checkShapes(out: Float32Array, x: Float32Array, rows: number, cols: number, m: number, type: string): void {
  if (cols % QUANT_BLOCK !== 0) throw new RangeError(`${type} weight has ${cols} columns, not a multiple of ${QUANT_BLOCK}`);
  if (x.length < m * cols || out.length < m * rows) {
    throw new RangeError(`${type} matmul of ${m} rows by a ${rows}×${cols} weight needs x ≥ ${m * cols} and out ≥ ${m * rows} floats`);
  }
}

/** Quantize x[offset .. offset + k) into the scratch as Q8_0 blocks (ggml `quantize_row_q8_0_ref`, f32 scale). */
function quantizeActivationRow(x: Float32Array, offset: number, k: number): void {
  for (let b = 0; b < k / QUANT_BLOCK; b++) {
    const start = offset + b * QUANT_BLOCK;
    let amax = 0;
    for (let j = 0; j < QUANT_BLOCK; j++) amax = Math.max(amax, Math.abs(x[start + j]!));
    const d = f32(amax / 127);
    const id = d !== 0 ? f32(1 / d) : 0;
    rowScales[b] = d;
    const q = b * QUANT_BLOCK;
    for (let j = 0; j < QUANT_BLOCK; j++) {
      const v = f32(x[start + j]! * id);
      rowQuants[q + j] = v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5); // roundf: half away from zero
    }
  }
}

/** out[m, n] = x[m, k] · wᵀ + bias with Q8_0 weights [n, k]; activations quantized to Q8_0 per row. */
export function matmulQ8_0(out: Float32Array, x: Float32Array, w: Q8_0Matrix, bias: Float32Array | null, m: number): void {
  const { rows: n, cols: k, quants, scales } = w;
  checkShapes(out, x, n, k, m, "q8_0");
  scratchFor(k);
  const blocks = k / QUANT_BLOCK;
  for (let row = 0; row < m; row++) {
    quantizeActivationRow(x, row * k, k);
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let b = 0; b < blocks; b++) {
        const wq = j * k + b * QUANT_BLOCK;
        const xq = b * QUANT_BLOCK;
        let dot = 0; // exact: |dot| ≤ 32 · 127 · 128
        for (let t = 0; t < QUANT_BLOCK; t++) dot += quants[wq + t]! * rowQuants[xq + t]!;
        sum += dot * scales[j * blocks + b]! * rowScales[b]!;
      }
      out[row * n + j] = sum + (bias === null ? 0 : bias[j]!);
    }
  }
}

/** out[m, n] = x[m, k] · wᵀ + bias with Q4_0 weights [n, k]; activations quantized to Q8_0 per row. */
export function matmulQ4_0(out: Float32Array, x: Float32Array, w: Q4_0Matrix, bias: Float32Array | null, m: number): void {
  const { rows: n, cols: k, quants, scales } = w;
  checkShapes(out, x, n, k, m, "q4_0");
  scratchFor(k);
  const blocks = k / QUANT_BLOCK;
  for (let row = 0; row < m; row++) {
    quantizeActivationRow(x, row * k, k);
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let b = 0; b < blocks; b++) {
        const wq = (j * k + b * QUANT_BLOCK) / 2; // 16 bytes per block
        const xq = b * QUANT_BLOCK;
        let dot = 0;
        for (let t = 0; t < HALF_BLOCK; t++) {
          const byte = quants[wq + t]!;
          dot += ((byte & 0x0f) - 8) * rowQuants[xq + t]! + ((byte >> 4) - 8) * rowQuants[xq + HALF_BLOCK + t]!;
        }
        sum += dot * scales[j * blocks + b]! * rowScales[b]!;
      }
      out[row * n + j] = sum + (bias === null ? 0 : bias[j]!);
    }
  }
}
