// Reference matrix products with Q8_0 / Q4_0 weights: out[m, n] = x[m, k] · w[n, k]ᵀ + bias,
// computed as llama.cpp's CPU matmul computes it (ggml-cpu/quants.c
// `ggml_vec_dot_q8_0_q8_0_generic` / `ggml_vec_dot_q4_0_q8_0_generic`), so that results
// land on ggml's bit for bit: each activation row is quantized on the fly to Q8_0
// (activation-quant.ts: per block of 32, d = max|x|/127 stored as f16, q = roundf(x/d)),
// then every block contributes its exact integer sum Σ w_q·x_q times both scales, in
// float32 in ggml's order:
//   Q8_0: sum += sumi·(d_w·d_x)        Q4_0: sum += (sumi·d_w)·d_x   (weights nibble − 8)
// and the bias is added in float32 (ggml_add). Weight scales are those of the matrix
// (f16 values for GGUF files; llama2.c's Q8_0 checkpoints carry f32 ones).

import { QUANT_BLOCK, type Q4_0Matrix, type Q8_0Matrix } from "../../tensor/weights.js";
import { f16At } from "../../tensor/block-dequantize.js";
import { quantizeActivations } from "./activation-quant.js";

const HALF_BLOCK = QUANT_BLOCK / 2;
/** Bytes of a Q8_0 activation block: f16 d, then 32 int8. */
const ACTIVATION_BLOCK = 34;
const f32 = Math.fround;

function checkShapes(out: Float32Array, x: Float32Array, rows: number, cols: number, m: number, type: string): void {
  if (cols % QUANT_BLOCK !== 0) throw new RangeError(`${type} weight has ${cols} columns, not a multiple of ${QUANT_BLOCK}`);
  if (x.length < m * cols || out.length < m * rows) {
    throw new RangeError(`${type} matmul of ${m} rows by a ${rows}×${cols} weight needs x ≥ ${m * cols} and out ≥ ${m * rows} floats`);
  }
}

const i8 = (b: Uint8Array, i: number) => (b[i]! << 24) >> 24;

/** out[m, n] = x[m, k] · wᵀ + bias with Q8_0 weights [n, k]; activations quantized to Q8_0 per row. */
export function matmulQ8_0(out: Float32Array, x: Float32Array, w: Q8_0Matrix, bias: Float32Array | null, m: number): void {
  const { rows: n, cols: k } = w;
  checkShapes(out, x, n, k, m, "q8_0");
  const { quants, scales } = w; // read once: a backend's matrix may rebuild them per access
  const a = quantizeActivations("q8_0", x, m, k);
  const blocks = k / QUANT_BLOCK;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let b = 0; b < blocks; b++) {
        const y = (i * blocks + b) * ACTIVATION_BLOCK;
        const wq = (j * blocks + b) * QUANT_BLOCK;
        let sumi = 0;
        for (let t = 0; t < QUANT_BLOCK; t++) sumi += quants[wq + t]! * i8(a, y + 2 + t);
        sum = f32(sum + f32(sumi * f32(scales[j * blocks + b]! * f16At(a, y))));
      }
      out[i * n + j] = bias === null ? sum : f32(sum + bias[j]!);
    }
  }
}

/** out[m, n] = x[m, k] · wᵀ + bias with Q4_0 weights [n, k]; activations quantized to Q8_0 per row. */
export function matmulQ4_0(out: Float32Array, x: Float32Array, w: Q4_0Matrix, bias: Float32Array | null, m: number): void {
  const { rows: n, cols: k } = w;
  checkShapes(out, x, n, k, m, "q4_0");
  const { quants, scales } = w;
  const a = quantizeActivations("q8_0", x, m, k);
  const blocks = k / QUANT_BLOCK;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let b = 0; b < blocks; b++) {
        const y = (i * blocks + b) * ACTIVATION_BLOCK;
        const wq = (j * blocks + b) * HALF_BLOCK;
        // Byte t holds weight t (low nibble) and weight t + 16 (high nibble), each stored + 8.
        let sumi0 = 0;
        let sumi1 = 0;
        for (let t = 0; t < HALF_BLOCK; t++) {
          sumi0 += ((quants[wq + t]! & 0x0f) - 8) * i8(a, y + 2 + t);
          sumi1 += ((quants[wq + t]! >> 4) - 8) * i8(a, y + 2 + HALF_BLOCK + t);
        }
        sum = f32(sum + f32(f32((sumi0 + sumi1) * scales[j * blocks + b]!) * f16At(a, y)));
      }
      out[i * n + j] = bias === null ? sum : f32(sum + bias[j]!);
    }
  }
}
