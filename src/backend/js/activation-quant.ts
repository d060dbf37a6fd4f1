// Activations quantized on the fly as ggml's CPU matmul does before its integer dot
// products (ggml-quants.c `quantize_row_q8_0_ref`, `_q8_1_ref`, `_q8_K_ref`), in
// float32, written as ggml's blocks so that a test can compare them byte for byte:
//   Q8_0 (34 B per 32):  d = max|x|/127 (stored f16), q = roundf(x·(1/d))
//   Q8_1 (36 B per 32):  as Q8_0, plus s = d·Σq (stored f16) @2; quants @4
//   Q8_K (292 B per 256): d f32 @0 = 1/iscale with iscale = −127/max (max = the value
//         of largest magnitude), q = min(127, nearest_int(iscale·x)) @4 (ties to even),
//         bsums int16[16] @260 (Σq per 16)
// roundf rounds halves away from zero; nearest_int rounds them to even. The quants
// are computed with the unrounded d; an all-zero block gets d = 0 and zero quants.

import type { ActivationFormat } from "../../tensor/block-formats.js";
import { nearestInt } from "../../tensor/block-quantizers/scale-search.js";
import { putF16 } from "../../tensor/block-quantizers/bytes.js";

const f32 = Math.fround;

export interface ActivationLayout {
  /** Values per block. */
  readonly blockSize: number;
  readonly blockBytes: number;
}

export const ACTIVATION_LAYOUTS: Readonly<Record<ActivationFormat, ActivationLayout>> = {
  q8_0: { blockSize: 32, blockBytes: 34 },
  q8_1: { blockSize: 32, blockBytes: 36 },
  q8_k: { blockSize: 256, blockBytes: 292 },
};

/** C roundf: to nearest, halves away from zero. */
function roundHalfAway(v: number): number {
  return v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5);
}

function quantizeQ8(x: Float32Array, at: number, out: Uint8Array, o: number, withSum: boolean): void {
  let amax = 0;
  for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[at + j]!));
  const d = f32(amax / 127);
  const id = d !== 0 ? f32(1 / d) : 0;
  const qs = o + (withSum ? 4 : 2);
  let sum = 0;
  for (let j = 0; j < 32; j++) {
    const q = roundHalfAway(f32(x[at + j]! * id));
    out[qs + j] = q & 0xff;
    sum += q;
  }
  putF16(out, o, d);
  if (withSum) putF16(out, o + 2, f32(sum * d));
}

function quantizeQ8K(x: Float32Array, at: number, out: Uint8Array, o: number): void {
  let amax = 0;
  let max = 0;
  for (let j = 0; j < 256; j++) {
    const ax = Math.abs(x[at + j]!);
    if (ax > amax) {
      amax = ax;
      max = x[at + j]!;
    }
  }
  out.fill(0, o, o + 292);
  if (amax === 0) return;
  const iscale = f32(-127 / max);
  for (let j = 0; j < 16; j++) {
    let sum = 0;
    for (let l = 0; l < 16; l++) {
      const q = Math.min(127, nearestInt(f32(iscale * x[at + 16 * j + l]!)));
      out[o + 4 + 16 * j + l] = q & 0xff;
      sum += q;
    }
    out[o + 260 + 2 * j] = sum & 0xff;
    out[o + 261 + 2 * j] = (sum >> 8) & 0xff;
  }
  new DataView(out.buffer, out.byteOffset).setFloat32(o, f32(1 / iscale), true);
}

/** The first m rows of x ([m, k]) as ggml's `format` blocks, row after row (k a multiple of the block size). */
export function quantizeActivations(format: ActivationFormat, x: Float32Array, m: number, k: number): Uint8Array {
  const { blockSize, blockBytes } = ACTIVATION_LAYOUTS[format];
  const blocks = (m * k) / blockSize;
  const out = new Uint8Array(blocks * blockBytes);
  for (let b = 0; b < blocks; b++) {
    if (format === "q8_k") quantizeQ8K(x, b * blockSize, out, b * blockBytes);
    else quantizeQ8(x, b * blockSize, out, b * blockBytes, format === "q8_1");
  }
  return out;
}
