// AssemblyScript. Entry of the quantized matrix products (weights as panels, activations
// from quantizeActivations): kinds below 10 are the 32-weight formats (quant32.ts), the
// others the K-quants (kquants.ts). [j0, j1) are the weight rows this call computes, a
// multiple of 4 apart (whole panels) except at n. `scratch` is this thread's
// quantScratchBytes(m) bytes (panels.ts).
import { matmulQuant32 } from "./quant32";
import { matmulKQuant } from "./kquants";

export function matmulQuant(
  kind: i32, out: usize, xq: usize, xd: usize, xs: usize, w: usize, bias: usize,
  m: i32, n: i32, k: i32, j0: i32, j1: i32, scratch: usize,
): void {
  if (kind < 10) matmulQuant32(kind, out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
  else matmulKQuant(kind, out, xq, xd, xs, w, bias, m, n, k, j0, j1, scratch);
}
