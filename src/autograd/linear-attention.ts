// Causal linear attention on the tape (Katharopoulos et al. 2020): each of `batch`
// sequences runs the running-sums kernel from zero sums; backward is the kernel's
// two scans (backend/js/backward/linear-attention.ts), which store nothing of the
// forward. phiQ is [batch · seq, nHeads · F], phiK [batch · seq, nKvHeads · F],
// v [batch · seq, nKvHeads · headDim]; the output is [batch · seq, nHeads · headDim].

import { linearAttentionScratch, type LinearAttentionShape } from "../backend/attention-variants.js";
import type { FloatArray } from "../tensor/tensor.js";
import { rowsOf } from "./shapes.js";
import type { Tape } from "./tape.js";
import { view } from "./view.js";
import type { Variable } from "./variable.js";

export interface LinearAttentionOptions {
  nHeads: number;
  nKvHeads: number;
  /** Features per head of φ(q) and φ(k). */
  featureDim: number;
  headDim: number;
  eps: number;
  /** Sequences stacked in the inputs (default 1). */
  batch?: number;
}

export function linearAttention<A extends FloatArray>(
  tape: Tape<A>,
  phiQ: Variable<A>,
  phiK: Variable<A>,
  v: Variable<A>,
  options: LinearAttentionOptions,
): Variable<A> {
  const { nHeads, nKvHeads, featureDim, headDim, eps } = options;
  const batch = options.batch ?? 1;
  if (nHeads % nKvHeads !== 0) throw new RangeError(`linearAttention: ${nHeads} query heads are not a multiple of ${nKvHeads} kv heads`);
  const rows = rowsOf(phiQ, nHeads * featureDim, "linearAttention", "phiQ");
  if (rowsOf(phiK, nKvHeads * featureDim, "linearAttention", "phiK") !== rows || rowsOf(v, nKvHeads * headDim, "linearAttention", "v") !== rows) {
    throw new RangeError(`linearAttention: phiQ, phiK and v must have the same ${rows} rows`);
  }
  if (rows % batch !== 0) throw new RangeError(`linearAttention: ${rows} rows do not split into a batch of ${batch}`);
  const seq = rows / batch;
  const shape: LinearAttentionShape = { rows: seq, nHeads, nKvHeads, featureDim, headDim, eps };
  const qWidth = seq * nHeads * featureDim;
  const kWidth = seq * nKvHeads * featureDim;
  const vWidth = seq * nKvHeads * headDim;
  const oWidth = seq * nHeads * headDim;
  const out = tape.allocate(rows * nHeads * headDim);
  const sums = tape.allocate(nKvHeads * featureDim * headDim);
  const normalizer = tape.allocate(nKvHeads * featureDim);
  for (let b = 0; b < batch; b++) {
    sums.fill(0);
    normalizer.fill(0);
    tape.kernels.forward.linearAttention(
      view(out, b * oWidth, oWidth),
      view(phiQ.data, b * qWidth, qWidth),
      view(phiK.data, b * kWidth, kWidth),
      view(v.data, b * vWidth, vWidth),
      sums,
      normalizer,
      shape,
    );
  }
  return tape.record(out, [rows, nHeads * headDim], [phiQ, phiK, v], (dOut) => {
    const dq = tape.gradFor(phiQ);
    const dk = tape.gradFor(phiK);
    const dv = tape.gradFor(v);
    const scratch = tape.allocate(linearAttentionScratch(shape));
    for (let b = 0; b < batch; b++) {
      tape.kernels.backward.linearAttentionBackward(
        dq === null ? null : view(dq, b * qWidth, qWidth),
        dk === null ? null : view(dk, b * kWidth, kWidth),
        dv === null ? null : view(dv, b * vWidth, vWidth),
        view(dOut, b * oWidth, oWidth),
        view(phiQ.data, b * qWidth, qWidth),
        view(phiK.data, b * kWidth, kWidth),
        view(v.data, b * vWidth, vWidth),
        shape,
        scratch,
      );
    }
  });
}
