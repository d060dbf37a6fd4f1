// AssemblyScript. The forward kernels of elementwise.ts cut into chunks for the
// threads, on the large tensors of prompt processing and training: activations
// in place over blocks of elements, LayerNorm and RMSNorm over blocks of rows.
// Each element (row) is computed by the same code whatever chunk holds it.

import { geluErf, geluTanh, layerNorm, rmsNorm, silu, tanhInPlace } from "./elementwise";

// Activation ops (slot OP) and argument slots (src/backend/wasm/index.ts writes them).
const GELU_TANH = 0, GELU_ERF = 1, SILU = 2, TANH = 3;
const OP = 0, X = 1, N = 2, PER_CHUNK = 3;
const OUT = 0, NX = 1, WEIGHT = 2, BIAS = 3, ROWS = 4, DIM = 5, EPS = 6, WEIGHT_OFFSET = 7, ROWS_PER_CHUNK = 8, RMS = 9;

@inline function arg(args: usize, slot: i32): i32 {
  return load<i32>(args + (<usize>slot << 2));
}

export function activationTask(args: usize, chunk: i32): void {
  const n = arg(args, N), perChunk = arg(args, PER_CHUNK);
  const first = chunk * perChunk;
  const x = <usize>arg(args, X) + (<usize>first << 2);
  const count = min(n, first + perChunk) - first;
  switch (arg(args, OP)) {
    case GELU_TANH: geluTanh(x, count); break;
    case GELU_ERF: geluErf(x, count); break;
    case SILU: silu(x, count); break;
    case TANH: tanhInPlace(x, count); break;
    default: unreachable();
  }
}

export function normRowsTask(args: usize, chunk: i32): void {
  const rows = arg(args, ROWS), dim = arg(args, DIM), perChunk = arg(args, ROWS_PER_CHUNK);
  const r0 = chunk * perChunk;
  const at = (<usize>r0 * <usize>dim) << 2;
  const count = min(rows, r0 + perChunk) - r0;
  const out = <usize>arg(args, OUT) + at, x = <usize>arg(args, NX) + at;
  const eps = load<f32>(args + (EPS << 2));
  if (arg(args, RMS) != 0) rmsNorm(out, x, <usize>arg(args, WEIGHT), count, dim, eps, load<f32>(args + (WEIGHT_OFFSET << 2)));
  else layerNorm(out, x, <usize>arg(args, WEIGHT), <usize>arg(args, BIAS), count, dim, eps);
}
