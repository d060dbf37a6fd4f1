// Reference quantizers of ggml's 32-weight formats Q4_1, Q5_0 and Q5_1 (ggml-quants.c
// `quantize_row_q4_1_ref`, `_q5_0_ref`, `_q5_1_ref`, which llama-quantize uses when no
// importance matrix is given), evaluated in float32 step by step as the C code does,
// so that the bytes equal ggml's:
//   Q4_1: d = (max − min)/15, m = min,  q = min(15, trunc((x − min)/d + 0.5))
//   Q5_0: d = max/−16 (max = the value of largest magnitude), q = min(31, trunc(x/d + 16.5))
//   Q5_1: d = (max − min)/31, m = min,  q = trunc((x − min)/d + 0.5)
// (x/d is x·(1/d) with 1/d in float32; d and m are stored as f16, the quants computed
// with the unrounded values.) Block layouts: block-dequantize.ts.

import { putF16, putU32 } from "./bytes.js";

const f32 = Math.fround;

/** The smallest and largest of x[at .. at + 32). */
function range(x: Float32Array, at: number): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (let j = 0; j < 32; j++) {
    const v = x[at + j]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

export function quantizeBlockQ4_1(x: Float32Array, at: number, out: Uint8Array, o: number): void {
  const [min, max] = range(x, at);
  const d = f32(f32(max - min) / 15);
  const id = d !== 0 ? f32(1 / d) : 0;
  putF16(out, o, d);
  putF16(out, o + 2, min);
  const level = (v: number) => Math.min(15, Math.trunc(f32(f32(f32(v - min) * id) + 0.5)));
  for (let j = 0; j < 16; j++) out[o + 4 + j] = level(x[at + j]!) | (level(x[at + 16 + j]!) << 4);
}

export function quantizeBlockQ5_0(x: Float32Array, at: number, out: Uint8Array, o: number): void {
  let amax = 0;
  let max = 0;
  for (let j = 0; j < 32; j++) {
    const v = x[at + j]!;
    if (amax < Math.abs(v)) {
      amax = Math.abs(v);
      max = v;
    }
  }
  const d = f32(max / -16);
  const id = d !== 0 ? f32(1 / d) : 0;
  putF16(out, o, d);
  const level = (v: number) => Math.min(31, Math.trunc(f32(f32(v * id) + 16.5)));
  let qh = 0;
  for (let j = 0; j < 16; j++) {
    const q0 = level(x[at + j]!);
    const q1 = level(x[at + 16 + j]!);
    out[o + 6 + j] = (q0 & 0xf) | ((q1 & 0xf) << 4);
    qh |= ((q0 >> 4) << j) | ((q1 >> 4) << (j + 16));
  }
  putU32(out, o + 2, qh >>> 0);
}

export function quantizeBlockQ5_1(x: Float32Array, at: number, out: Uint8Array, o: number): void {
  const [min, max] = range(x, at);
  const d = f32(f32(max - min) / 31);
  const id = d !== 0 ? f32(1 / d) : 0;
  putF16(out, o, d);
  putF16(out, o + 2, min);
  const level = (v: number) => Math.trunc(f32(f32(f32(v - min) * id) + 0.5)) & 0xff;
  let qh = 0;
  for (let j = 0; j < 16; j++) {
    const q0 = level(x[at + j]!);
    const q1 = level(x[at + 16 + j]!);
    out[o + 8 + j] = (q0 & 0xf) | ((q1 & 0xf) << 4);
    qh |= (((q0 >> 4) & 1) << j) | (((q1 >> 4) & 1) << (j + 16));
  }
  putU32(out, o + 4, qh >>> 0);
}
