// AssemblyScript. Entry of the quantized matrix products (weights as panels, activations
// from quantizeActivations): kinds below 10 are the 32-weight formats (quant32.ts), the
// others the K-quants (kquants.ts); each has a matrix–vector form (m < 4) and a prompt
// form (m ≥ 4). [j0, j1) are the weight rows this call computes, a multiple of 4 apart
// (whole panels) except at n. `scratch` is this thread's quantScratchBytes(m) bytes
// (panels.ts).
//
// One function per format below, each holding its own copy of the loops with the
// format (and its tile size) fixed at compile time. Copies inlined side by side into
// one function would share their locals, and the optimizer's code folding would merge
// them back into one loop that tests the format at run time, in the innermost loop.
import { prefill32Of, quant32Of } from "./quant32";
import { kQuantOf, prefillOf } from "./kquants";

export function matmulQuant(
  kind: i32, out: usize, xq: usize, xd: usize, xs: usize, w: usize, bias: usize,
  m: i32, n: i32, k: i32, j0: i32, j1: i32, scratch: usize,
): void {
  if (kind == 1) q8_0(out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
  else if (kind == 2) q4_0(out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
  else if (kind == 3) q4_1(out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
  else if (kind == 4) q5_0(out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
  else if (kind == 5) q5_1(out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
  else if (kind == 6) iq4Nl(out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
  else if (kind == 10) q2K(out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
  else if (kind == 11) q3K(out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
  else if (kind == 12) q4K(out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
  else if (kind == 13) q5K(out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
  else if (kind == 14) q6K(out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
  else iq4Xs(out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
}

/** Q8_0 (kind 1). */
function q8_0(
  out: usize, xq: usize, xd: usize, xs: usize, w: usize, bias: usize, m: i32, n: i32, k: i32, j0: i32, j1: i32, scratch: usize,
): void {
  if (m >= 4) prefill32Of(1, 144, 16, out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
  else quant32Of(1, 144, 16, out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
}

/** Q4_0 (kind 2). */
function q4_0(
  out: usize, xq: usize, xd: usize, xs: usize, w: usize, bias: usize, m: i32, n: i32, k: i32, j0: i32, j1: i32, scratch: usize,
): void {
  if (m >= 4) prefill32Of(2, 80, 16, out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
  else quant32Of(2, 80, 16, out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
}

/** Q4_1 (kind 3). */
function q4_1(
  out: usize, xq: usize, xd: usize, xs: usize, w: usize, bias: usize, m: i32, n: i32, k: i32, j0: i32, j1: i32, scratch: usize,
): void {
  if (m >= 4) prefill32Of(3, 96, 32, out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
  else quant32Of(3, 96, 32, out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
}

/** Q5_0 (kind 4). */
function q5_0(
  out: usize, xq: usize, xd: usize, xs: usize, w: usize, bias: usize, m: i32, n: i32, k: i32, j0: i32, j1: i32, scratch: usize,
): void {
  if (m >= 4) prefill32Of(4, 144, 16, out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
  else quant32Of(4, 144, 16, out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
}

/** Q5_1 (kind 5). */
function q5_1(
  out: usize, xq: usize, xd: usize, xs: usize, w: usize, bias: usize, m: i32, n: i32, k: i32, j0: i32, j1: i32, scratch: usize,
): void {
  if (m >= 4) prefill32Of(5, 160, 32, out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
  else quant32Of(5, 160, 32, out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
}

/** IQ4_NL (kind 6). */
function iq4Nl(
  out: usize, xq: usize, xd: usize, xs: usize, w: usize, bias: usize, m: i32, n: i32, k: i32, j0: i32, j1: i32, scratch: usize,
): void {
  if (m >= 4) prefill32Of(6, 80, 16, out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
  else quant32Of(6, 80, 16, out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
}

/** Q2_K (kind 10). */
function q2K(
  out: usize, xq: usize, xd: usize, xs: usize, w: usize, bias: usize, m: i32, n: i32, k: i32, j0: i32, j1: i32, scratch: usize,
): void {
  if (m >= 4) prefillOf(10, 480, out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
  else kQuantOf(10, 480, out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
}

/** Q3_K (kind 11). */
function q3K(
  out: usize, xq: usize, xd: usize, xs: usize, w: usize, bias: usize, m: i32, n: i32, k: i32, j0: i32, j1: i32, scratch: usize,
): void {
  if (m >= 4) prefillOf(11, 656, out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
  else kQuantOf(11, 656, out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
}

/** Q4_K (kind 12). */
function q4K(
  out: usize, xq: usize, xd: usize, xs: usize, w: usize, bias: usize, m: i32, n: i32, k: i32, j0: i32, j1: i32, scratch: usize,
): void {
  if (m >= 4) prefillOf(12, 640, out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
  else kQuantOf(12, 640, out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
}

/** Q5_K (kind 13). */
function q5K(
  out: usize, xq: usize, xd: usize, xs: usize, w: usize, bias: usize, m: i32, n: i32, k: i32, j0: i32, j1: i32, scratch: usize,
): void {
  if (m >= 4) prefillOf(13, 1152, out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
  else kQuantOf(13, 1152, out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
}

/** Q6_K (kind 14). */
function q6K(
  out: usize, xq: usize, xd: usize, xs: usize, w: usize, bias: usize, m: i32, n: i32, k: i32, j0: i32, j1: i32, scratch: usize,
): void {
  if (m >= 4) prefillOf(14, 1168, out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
  else kQuantOf(14, 1168, out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
}

/** IQ4_XS (kind 15). */
function iq4Xs(
  out: usize, xq: usize, xd: usize, xs: usize, w: usize, bias: usize, m: i32, n: i32, k: i32, j0: i32, j1: i32, scratch: usize,
): void {
  if (m >= 4) prefillOf(15, 656, out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
  else kQuantOf(15, 656, out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
}
