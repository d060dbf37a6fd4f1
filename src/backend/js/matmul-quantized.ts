// Reference matrix products with block-quantized weights: out[m, n] = x[m, k] · w[n, k]ᵀ + bias.
// Follows llama.cpp's CPU path (ggml-cpu `ggml_vec_dot_q8_0_q8_0` / `ggml_vec_dot_q4_0_q8_0`):
// each activation row is quantized on the fly to Q8_0 (per block of 32: d = max|x| / 127,
// q = roundf(x / d), all zeros when d = 0), then every block contributes
//   (Σ integer weight quant · integer activation quant) · weight scale · activation scale.
// Block sums are exact integers; the block terms accumulate in float64 (JS numbers).
// Unlike llama.cpp, the activation scale is kept in f32 rather than rounded to f16.
//
// The only memory used beyond the arguments is a module-level scratch for the quantized
// activation rows (m·k bytes plus a scale and a sum per block), grown when a larger input
// comes along and reused for every call. Rows of x are taken four at a time so that each
// weight block is read once per four tokens during prompt processing (as matmul.ts does).

import { QUANT_BLOCK, type Q4_0Matrix, type Q8_0Matrix } from "../../tensor/weights.js";

const HALF_BLOCK = QUANT_BLOCK / 2;
const f32 = Math.fround;

let rowQuants = new Int8Array(0);
let rowScales = new Float32Array(0);
/** Σ of each activation block's quants (Q4_0 folds its −8 offset into one product per block). */
let rowSums = new Int32Array(0);

/** Scratch for m quantized activation rows of k values. */
function scratchFor(m: number, k: number): void {
  if (rowQuants.length < m * k) {
    rowQuants = new Int8Array(m * k);
    rowScales = new Float32Array((m * k) / QUANT_BLOCK);
    rowSums = new Int32Array((m * k) / QUANT_BLOCK);
  }
}

function checkShapes(out: Float32Array, x: Float32Array, rows: number, cols: number, m: number, type: string): void {
  if (cols % QUANT_BLOCK !== 0) throw new RangeError(`${type} weight has ${cols} columns, not a multiple of ${QUANT_BLOCK}`);
  if (x.length < m * cols || out.length < m * rows) {
    throw new RangeError(`${type} matmul of ${m} rows by a ${rows}×${cols} weight needs x ≥ ${m * cols} and out ≥ ${m * rows} floats`);
  }
}

/**
 * Quantize the first m rows of x ([m, k]) into the scratch as Q8_0 blocks (ggml
 * `quantize_row_q8_0_ref`, with the scale kept in f32): block i of the whole [m, k] array
 * has scale rowScales[i], quants rowQuants[32i .. 32i + 32) and their sum rowSums[i].
 */
function quantizeActivations(x: Float32Array, m: number, k: number): void {
  scratchFor(m, k);
  for (let b = 0; b < (m * k) / QUANT_BLOCK; b++) {
    const start = b * QUANT_BLOCK;
    let amax = 0;
    for (let j = 0; j < QUANT_BLOCK; j++) amax = Math.max(amax, Math.abs(x[start + j]!));
    const d = f32(amax / 127);
    const id = d !== 0 ? f32(1 / d) : 0;
    rowScales[b] = d;
    let sum = 0;
    for (let j = 0; j < QUANT_BLOCK; j++) {
      const v = f32(x[start + j]! * id);
      const q = v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5); // roundf: half away from zero
      rowQuants[start + j] = q;
      sum += q;
    }
    rowSums[b] = sum;
  }
}

/** out[m, n] = x[m, k] · wᵀ + bias with Q8_0 weights [n, k]; activations quantized to Q8_0 per row. */
export function matmulQ8_0(out: Float32Array, x: Float32Array, w: Q8_0Matrix, bias: Float32Array | null, m: number): void {
  const { rows: n, cols: k, quants, scales } = w;
  checkShapes(out, x, n, k, m, "q8_0");
  quantizeActivations(x, m, k);
  const blocks = k / QUANT_BLOCK;
  const xq = rowQuants;
  const xs = rowScales;
  let row = 0;
  // Four activation rows at a time (prompt processing): each weight block is read once for all four.
  for (; row + 4 <= m; row += 4) {
    const x0 = row * k;
    const s0 = row * blocks;
    for (let j = 0; j < n; j++) {
      let sum0 = 0;
      let sum1 = 0;
      let sum2 = 0;
      let sum3 = 0;
      for (let b = 0, wq = j * k; b < blocks; b++, wq += QUANT_BLOCK) {
        const xb = x0 + b * QUANT_BLOCK;
        let d0 = 0;
        let d1 = 0;
        let d2 = 0;
        let d3 = 0;
        for (let t = 0; t < QUANT_BLOCK; t++) {
          const wv = quants[wq + t]!;
          d0 += wv * xq[xb + t]!;
          d1 += wv * xq[xb + k + t]!;
          d2 += wv * xq[xb + 2 * k + t]!;
          d3 += wv * xq[xb + 3 * k + t]!;
        }
        const ws = scales[j * blocks + b]!;
        sum0 += d0 * ws * xs[s0 + b]!;
        sum1 += d1 * ws * xs[s0 + blocks + b]!;
        sum2 += d2 * ws * xs[s0 + 2 * blocks + b]!;
        sum3 += d3 * ws * xs[s0 + 3 * blocks + b]!;
      }
      const bj = bias === null ? 0 : bias[j]!;
      out[row * n + j] = sum0 + bj;
      out[(row + 1) * n + j] = sum1 + bj;
      out[(row + 2) * n + j] = sum2 + bj;
      out[(row + 3) * n + j] = sum3 + bj;
    }
  }
  for (; row < m; row++) {
    const xRow = row * k;
    const sRow = row * blocks;
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let b = 0, wq = j * k, sq = j * blocks; b < blocks; b++, wq += QUANT_BLOCK) {
        const xb = xRow + b * QUANT_BLOCK;
        // Integer dot product of one block, exact (|dot| ≤ 32 · 127 · 128), four partial sums.
        let d0 = 0;
        let d1 = 0;
        let d2 = 0;
        let d3 = 0;
        for (let t = 0; t < QUANT_BLOCK; t += 4) {
          d0 += quants[wq + t]! * xq[xb + t]!;
          d1 += quants[wq + t + 1]! * xq[xb + t + 1]!;
          d2 += quants[wq + t + 2]! * xq[xb + t + 2]!;
          d3 += quants[wq + t + 3]! * xq[xb + t + 3]!;
        }
        sum += (d0 + d1 + d2 + d3) * scales[sq + b]! * xs[sRow + b]!;
      }
      out[row * n + j] = sum + (bias === null ? 0 : bias[j]!);
    }
  }
}

/** out[m, n] = x[m, k] · wᵀ + bias with Q4_0 weights [n, k]; activations quantized to Q8_0 per row. */
export function matmulQ4_0(out: Float32Array, x: Float32Array, w: Q4_0Matrix, bias: Float32Array | null, m: number): void {
  const { rows: n, cols: k, quants, scales } = w;
  checkShapes(out, x, n, k, m, "q4_0");
  quantizeActivations(x, m, k);
  const blocks = k / QUANT_BLOCK;
  const xq = rowQuants;
  const xs = rowScales;
  const xsum = rowSums;
  let row = 0;
  // Four activation rows at a time (prompt processing): each weight block is read once for all four.
  for (; row + 4 <= m; row += 4) {
    const x0 = row * k;
    const s0 = row * blocks;
    for (let j = 0; j < n; j++) {
      let sum0 = 0;
      let sum1 = 0;
      let sum2 = 0;
      let sum3 = 0;
      for (let b = 0, wq = (j * k) / 2; b < blocks; b++, wq += HALF_BLOCK) {
        const xb = x0 + b * QUANT_BLOCK;
        let d0 = 0;
        let d1 = 0;
        let d2 = 0;
        let d3 = 0;
        for (let t = 0; t < HALF_BLOCK; t++) {
          const byte = quants[wq + t]!;
          const lo = byte & 0x0f;
          const hi = byte >> 4;
          const a = xb + t;
          const c = a + HALF_BLOCK;
          d0 += lo * xq[a]! + hi * xq[c]!;
          d1 += lo * xq[a + k]! + hi * xq[c + k]!;
          d2 += lo * xq[a + 2 * k]! + hi * xq[c + 2 * k]!;
          d3 += lo * xq[a + 3 * k]! + hi * xq[c + 3 * k]!;
        }
        const ws = scales[j * blocks + b]!;
        const i0 = s0 + b;
        sum0 += (d0 - 8 * xsum[i0]!) * ws * xs[i0]!;
        sum1 += (d1 - 8 * xsum[i0 + blocks]!) * ws * xs[i0 + blocks]!;
        sum2 += (d2 - 8 * xsum[i0 + 2 * blocks]!) * ws * xs[i0 + 2 * blocks]!;
        sum3 += (d3 - 8 * xsum[i0 + 3 * blocks]!) * ws * xs[i0 + 3 * blocks]!;
      }
      const bj = bias === null ? 0 : bias[j]!;
      out[row * n + j] = sum0 + bj;
      out[(row + 1) * n + j] = sum1 + bj;
      out[(row + 2) * n + j] = sum2 + bj;
      out[(row + 3) * n + j] = sum3 + bj;
    }
  }
  for (; row < m; row++) {
    const xRow = row * k;
    const sRow = row * blocks;
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let b = 0, wq = (j * k) / 2, sq = j * blocks; b < blocks; b++, wq += HALF_BLOCK) {
        const xb = xRow + b * QUANT_BLOCK;
        // Byte t holds weight t (low nibble) and weight t + 16 (high nibble), each stored + 8:
        // Σ (nibble − 8)·x = Σ nibble·x − 8·Σ x.
        let d0 = 0;
        let d1 = 0;
        for (let t = 0; t < HALF_BLOCK; t++) {
          const byte = quants[wq + t]!;
          d0 += (byte & 0x0f) * xq[xb + t]!;
          d1 += (byte >> 4) * xq[xb + HALF_BLOCK + t]!;
        }
        sum += (d0 + d1 - 8 * xsum[sRow + b]!) * scales[sq + b]! * xs[sRow + b]!;
      }
      out[row * n + j] = sum + (bias === null ? 0 : bias[j]!);
    }
  }
}
