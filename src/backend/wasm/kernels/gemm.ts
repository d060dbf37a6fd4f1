// AssemblyScript. The general f32 matrix product of prompt processing and
// training, C[m, n] (+)= A[m, k] · B[k, n] (+ bias), on packed panels (the
// Goto–van de Geijn scheme of BLIS and XNNPACK):
//  - B is copied, KC rows at a time, into panels of NR = 8 columns stored row
//    after row (kc × 8 contiguous floats), zero-padded past the last column. A
//    transposed B (an nn.Linear weight [n, k], a Conv1D window read as [n, k]) is
//    transposed here, in the packing, so no operand is ever transposed in memory.
//  - A is read in place, four rows at a time, one float per row and step splatted
//    to four lanes as it loads (v128.load32_splat: XNNPACK's "load-splat"), in
//    either storage order: rows of A contiguous ([m, k]), or A stored transposed
//    ([k, m], as dOutᵀ and xᵀ are in the weight gradients).
//  - The register tile is 4 rows × 8 columns: eight f32x4 accumulators, two B
//    vectors and one splatted A value, twelve of the sixteen xmm registers V8
//    gives a function on x64 (a 4×16 tile needs 22 and spilled; 6×8 spilled; the
//    "splat" variant, one v128.load of four A values then lane shuffles, was
//    1.3–2× slower: the shuffles compete with the multiplies for the same ports;
//    measured 2026-12-03 with --print-wasm-code on this repository's AMD EPYC).
//    The loop is written once per step of k: unrolled by hand, TurboFan hoisted
//    every load of the unrolled body to its top and spilled the accumulators.
//  - Outer loops: KC = 256 deep blocks (a 4 × KC slice of A and a KC × 8 panel
//    in L1), MC = 256 rows of A per pass over the packed block (in L2).
// Every output sums its products in the order of k, starting from zero, the bias,
// or (accumulate) the output's old value, with the same code whichever chunk holds
// it: results do not depend on how the work is cut, hence not on the thread count.
// The multiply–add is ./fma.ts's: fused in the relaxed-SIMD build.

import { madd } from "./fma";

const MR = 4;
const NR = 8;
const KC = 256;
const MC = 256;
const PANEL_ROW: usize = NR << 2;

/** How a tile's accumulators start. */
const START_ZERO = 0;
const START_LOAD = 1;
const START_BIAS = 2;

// The task's arguments: i32 slots at `args` (src/backend/wasm/gemm.ts writes them).
const C = 0, LDC = 1, A = 2, LDA = 3, A_TRANSPOSED = 4, B = 5, LDB = 6, B_TRANSPOSED = 7;
const M = 8, N = 9, K = 10, ACCUMULATE = 11, BIAS = 12;
const ROWS_PER_CHUNK = 13, COLS_PER_CHUNK = 14, COL_CHUNKS = 15, SCRATCH = 16, SCRATCH_BYTES = 17;

@inline function arg(args: usize, slot: i32): i32 {
  return load<i32>(args + (<usize>slot << 2));
}

/**
 * One chunk of a product: the block of C in rows [i0, i1) and columns [j0, j1)
 * that chunk number `chunk` names (row chunks × column chunks, column-major), on
 * thread `thread`'s scratch (the packed panels, then one 4×8 tile).
 */
export function gemmTask(args: usize, chunk: i32, thread: i32): void {
  const m = arg(args, M), n = arg(args, N);
  const rowsPerChunk = arg(args, ROWS_PER_CHUNK), colsPerChunk = arg(args, COLS_PER_CHUNK);
  const colChunks = arg(args, COL_CHUNKS);
  const rowChunk = chunk / colChunks;
  const colChunk = chunk - rowChunk * colChunks;
  const i0 = rowChunk * rowsPerChunk, j0 = colChunk * colsPerChunk;
  const scratch = <usize>arg(args, SCRATCH) + <usize>thread * <usize>arg(args, SCRATCH_BYTES);
  const panels = (colsPerChunk + NR - 1) / NR;
  gemmBlock(
    <usize>arg(args, C), arg(args, LDC), <usize>arg(args, A), arg(args, LDA), arg(args, A_TRANSPOSED) != 0,
    <usize>arg(args, B), arg(args, LDB), arg(args, B_TRANSPOSED) != 0, arg(args, K),
    arg(args, ACCUMULATE) != 0, <usize>arg(args, BIAS),
    i0, min(m, i0 + rowsPerChunk), j0, min(n, j0 + colsPerChunk),
    scratch, scratch + <usize>panels * KC * PANEL_ROW,
  );
}

function gemmBlock(
  c: usize, ldc: i32, a: usize, lda: i32, aTransposed: bool, b: usize, ldb: i32, bTransposed: bool, k: i32,
  accumulate: bool, bias: usize, i0: i32, i1: i32, j0: i32, j1: i32, packed: usize, tile: usize,
): void {
  const ldcBytes = <usize>ldc << 2;
  const aRowStep: usize = aTransposed ? 4 : <usize>lda << 2;
  const aKStep: usize = aTransposed ? <usize>lda << 2 : 4;
  // (k = 0 still passes once: C takes its starting values, zero or the bias.)
  for (let k0 = 0; k0 == 0 || k0 < k; k0 += KC) {
    const kc = min(KC, k - k0);
    packPanels(packed, b, ldb, bTransposed, k0, kc, j0, j1);
    const start = accumulate || k0 > 0 ? START_LOAD : bias != 0 ? START_BIAS : START_ZERO;
    const panelBytes = <usize>kc * PANEL_ROW;
    for (let r0 = i0; r0 < i1; r0 += MC) {
      const r1 = min(i1, r0 + MC);
      let panel = packed;
      for (let j = j0; j < j1; j += NR) {
        const cols = min(NR, j1 - j);
        for (let i = r0; i < r1; ) {
          const rows = i + MR <= r1 ? MR : 1;
          const ap = a + ((aTransposed ? <usize>k0 * lda + i : <usize>i * lda + k0) << 2);
          const cp = c + ((<usize>i * ldc + j) << 2);
          const bp = bias + (<usize>j << 2);
          if (cols == NR) {
            if (rows == MR) tile4x8(cp, ldcBytes, ap, aRowStep, aKStep, panel, kc, start, bp);
            else tile1x8(cp, ap, aKStep, panel, kc, start, bp);
          } else {
            // The last, partial panel: through a whole tile in scratch, so the
            // kernels never read or write past column n (nor past the bias).
            for (let r = 0; r < rows; r++) {
              for (let q = 0; q < NR; q++) {
                let value: f32 = 0;
                if (q < cols) {
                  if (start == START_LOAD) value = load<f32>(cp + <usize>r * ldcBytes + (<usize>q << 2));
                  else if (start == START_BIAS) value = load<f32>(bp + (<usize>q << 2));
                }
                store<f32>(tile + ((<usize>(r * NR + q)) << 2), value);
              }
            }
            if (rows == MR) tile4x8(tile, PANEL_ROW, ap, aRowStep, aKStep, panel, kc, START_LOAD, 0);
            else tile1x8(tile, ap, aKStep, panel, kc, START_LOAD, 0);
            for (let r = 0; r < rows; r++) {
              for (let q = 0; q < cols; q++) {
                store<f32>(cp + <usize>r * ldcBytes + (<usize>q << 2), load<f32>(tile + ((<usize>(r * NR + q)) << 2)));
              }
            }
          }
          i += rows;
        }
        panel += panelBytes;
      }
    }
  }
}

/**
 * Rows k0 .. k0+kc of B's columns j0 .. j1, as panels of 8 columns: panel p holds
 * B[k0 + t, j0 + 8p + q] at float t·8 + q, zero for columns past j1.
 */
function packPanels(dst: usize, b: usize, ldb: i32, transposed: bool, k0: i32, kc: i32, j0: i32, j1: i32): void {
  const rowBytes = <usize>ldb << 2;
  for (let j = j0; j < j1; j += NR) {
    const cols = min(NR, j1 - j);
    if (!transposed) {
      // B stored [k, n]: each panel row is 8 contiguous floats of a row of B.
      let src = b + ((<usize>k0 * ldb + j) << 2);
      if (cols == NR) {
        for (let t = 0; t < kc; t++) {
          v128.store(dst, v128.load(src));
          v128.store(dst, v128.load(src, 16), 16);
          src += rowBytes;
          dst += PANEL_ROW;
        }
      } else {
        for (let t = 0; t < kc; t++) {
          for (let q = 0; q < NR; q++) store<f32>(dst + (<usize>q << 2), q < cols ? load<f32>(src + (<usize>q << 2)) : 0);
          src += rowBytes;
          dst += PANEL_ROW;
        }
      }
    } else {
      // B stored [n, k]: column j + q of B is row j + q of the storage. Four columns
      // at a time, four steps of k at a time: a 4×4 block loaded as four rows and
      // transposed in registers.
      let q = 0;
      for (; q + 4 <= cols; q += 4) {
        const s0 = b + ((<usize>(j + q) * ldb + k0) << 2);
        const s1 = s0 + rowBytes, s2 = s1 + rowBytes, s3 = s2 + rowBytes;
        const column = dst + (<usize>q << 2);
        let t = 0;
        for (; t + 4 <= kc; t += 4) {
          const o = <usize>t << 2;
          const r0 = v128.load(s0 + o), r1 = v128.load(s1 + o), r2 = v128.load(s2 + o), r3 = v128.load(s3 + o);
          const lo01 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), hi01 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
          const lo23 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5), hi23 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
          const at = column + <usize>t * PANEL_ROW;
          v128.store(at, v128.shuffle<f32>(lo01, lo23, 0, 1, 4, 5));
          v128.store(at + PANEL_ROW, v128.shuffle<f32>(lo01, lo23, 2, 3, 6, 7));
          v128.store(at + 2 * PANEL_ROW, v128.shuffle<f32>(hi01, hi23, 0, 1, 4, 5));
          v128.store(at + 3 * PANEL_ROW, v128.shuffle<f32>(hi01, hi23, 2, 3, 6, 7));
        }
        for (; t < kc; t++) {
          const o = <usize>t << 2;
          const at = column + <usize>t * PANEL_ROW;
          store<f32>(at, load<f32>(s0 + o));
          store<f32>(at, load<f32>(s1 + o), 4);
          store<f32>(at, load<f32>(s2 + o), 8);
          store<f32>(at, load<f32>(s3 + o), 12);
        }
      }
      for (; q < NR; q++) {
        const column = dst + (<usize>q << 2);
        if (q < cols) {
          const src = b + ((<usize>(j + q) * ldb + k0) << 2);
          for (let t = 0; t < kc; t++) store<f32>(column + <usize>t * PANEL_ROW, load<f32>(src + (<usize>t << 2)));
        } else {
          for (let t = 0; t < kc; t++) store<f32>(column + <usize>t * PANEL_ROW, 0);
        }
      }
      dst += <usize>kc * PANEL_ROW;
    }
  }
}

/**
 * C[4, 8] at c (rows ldcBytes apart) from A's four rows at a (aRowStep bytes apart,
 * aKStep bytes per step of k) against one packed panel, kc steps.
 */
@inline function tile4x8(
  c: usize, ldcBytes: usize, a: usize, aRowStep: usize, aKStep: usize, panel: usize, kc: i32, start: i32, bias: usize,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const c1 = c + ldcBytes, c2 = c1 + ldcBytes, c3 = c2 + ldcBytes;
  if (start == START_LOAD) {
    c00 = v128.load(c); c01 = v128.load(c, 16);
    c10 = v128.load(c1); c11 = v128.load(c1, 16);
    c20 = v128.load(c2); c21 = v128.load(c2, 16);
    c30 = v128.load(c3); c31 = v128.load(c3, 16);
  } else if (start == START_BIAS) {
    c00 = v128.load(bias); c01 = v128.load(bias, 16);
    c10 = c00; c11 = c01; c20 = c00; c21 = c01; c30 = c00; c31 = c01;
  }
  const o1 = aRowStep, o2 = aRowStep << 1, o3 = aRowStep * 3;
  let p = a;
  let b = panel;
  const end = panel + <usize>kc * PANEL_ROW;
  while (b < end) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let av = v128.load32_splat(p);
    c00 = madd(av, b0, c00); c01 = madd(av, b1, c01);
    av = v128.load32_splat(p + o1);
    c10 = madd(av, b0, c10); c11 = madd(av, b1, c11);
    av = v128.load32_splat(p + o2);
    c20 = madd(av, b0, c20); c21 = madd(av, b1, c21);
    av = v128.load32_splat(p + o3);
    c30 = madd(av, b0, c30); c31 = madd(av, b1, c31);
    p += aKStep;
    b += PANEL_ROW;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c1, c10); v128.store(c1, c11, 16);
  v128.store(c2, c20); v128.store(c2, c21, 16);
  v128.store(c3, c30); v128.store(c3, c31, 16);
}

/** One row of C (the rows past the last multiple of 4) against one packed panel. */
@inline function tile1x8(c: usize, a: usize, aKStep: usize, panel: usize, kc: i32, start: i32, bias: usize): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0);
  if (start == START_LOAD) {
    c0 = v128.load(c); c1 = v128.load(c, 16);
  } else if (start == START_BIAS) {
    c0 = v128.load(bias); c1 = v128.load(bias, 16);
  }
  let p = a;
  let b = panel;
  const end = panel + <usize>kc * PANEL_ROW;
  while (b < end) {
    const av = v128.load32_splat(p);
    c0 = madd(av, v128.load(b), c0);
    c1 = madd(av, v128.load(b, 16), c1);
    p += aKStep;
    b += PANEL_ROW;
  }
  v128.store(c, c0);
  v128.store(c, c1, 16);
}

/** Bytes of per-thread scratch a chunk of `colsPerChunk` columns needs: its packed panels and one tile. */
export function gemmScratchBytes(colsPerChunk: i32): i32 {
  return ((colsPerChunk + NR - 1) / NR) * KC * NR * 4 + MR * NR * 4;
}
