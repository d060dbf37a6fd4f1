// AssemblyScript. Gradients that are sums over rows: a bias's gradient (column
// sums of dOut, the backward of adding a bias to every row), the chunk partial
// sums of the norms' gains (norms-backward.ts), and the embedding's scatter-add
// (PyTorch embedding_backward; reference src/backend/js/backward/elementwise.ts).
// Each chunk owns a block of columns and walks every row in order, so any number
// of threads adds the same terms in the same order.

// Argument slots (src/backend/wasm/backward.ts writes them).
const DST = 0, SRC = 1, ROWS = 2, COLS = 3, STRIDE = 4, COLS_PER_CHUNK = 5;
const IDS = 2, COUNT = 3, DIM = 4, SKIP = 6;

@inline function arg(args: usize, slot: i32): i32 {
  return load<i32>(args + (<usize>slot << 2));
}

/** dst[j] += Σ_r src[r · stride + j] for the chunk's columns, four at a time, summed in f64 lanes. */
export function columnSumsTask(args: usize, chunk: i32): void {
  const rows = arg(args, ROWS), cols = arg(args, COLS), perChunk = arg(args, COLS_PER_CHUNK);
  const dst = <usize>arg(args, DST), src = <usize>arg(args, SRC);
  const stride = <usize>arg(args, STRIDE) << 2;
  const j0 = chunk * perChunk, j1 = min(cols, j0 + perChunk);
  let j = j0;
  for (; j + 4 <= j1; j += 4) {
    const column = src + (<usize>j << 2);
    let lo = f64x2.splat(0), hi = f64x2.splat(0);
    for (let r = 0; r < rows; r++) {
      const v = v128.load(column + <usize>r * stride);
      lo = f64x2.add(lo, f64x2.promote_low_f32x4(v));
      hi = f64x2.add(hi, f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)));
    }
    const at = dst + (<usize>j << 2);
    const sums = v128.shuffle<f32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
    v128.store(at, f32x4.add(v128.load(at), sums));
  }
  for (; j < j1; j++) {
    const column = src + (<usize>j << 2);
    let sum: f64 = 0;
    for (let r = 0; r < rows; r++) sum += <f64>load<f32>(column + <usize>r * stride);
    const at = dst + (<usize>j << 2);
    store<f32>(at, <f32>(<f64>load<f32>(at) + sum));
  }
}

/** dTable[ids[i], j] += dOut[i, j] for the chunk's columns j, rows of id `skip` excepted when skipping. */
export function embeddingBackwardTask(args: usize, chunk: i32): void {
  const dTable = <usize>arg(args, DST), dOut = <usize>arg(args, SRC), ids = <usize>arg(args, IDS);
  const count = arg(args, COUNT), dim = arg(args, DIM), perChunk = arg(args, COLS_PER_CHUNK);
  const skipping = arg(args, SKIP) != 0, skip = arg(args, SKIP + 1);
  const j0 = chunk * perChunk, j1 = min(dim, j0 + perChunk);
  const bytes = <usize>dim << 2;
  const from = <usize>j0 << 2, to = <usize>j1 << 2;
  const to4 = from + (<usize>((j1 - j0) & ~3) << 2);
  for (let i = 0; i < count; i++) {
    const id = load<i32>(ids + (<usize>i << 2));
    if (skipping && id == skip) continue;
    const row = dTable + <usize>id * bytes;
    const g = dOut + <usize>i * bytes;
    let t = from;
    for (; t < to4; t += 16) v128.store(row + t, f32x4.add(v128.load(row + t), v128.load(g + t)));
    for (; t < to; t += 4) store<f32>(row + t, load<f32>(row + t) + load<f32>(g + t));
  }
}
