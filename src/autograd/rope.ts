// Rotary position embedding on the tape (Su et al. 2021), either pair layout
// ("half" = HF rotate_half, "interleaved" = Meta/llama2.c). Backward turns each
// pair back by its angle. x is [batch · seq, nHeads · headDim]; row i of each
// sequence is at position firstPosition + i.

import type { RopeLayout } from "../backend/backend.js";
import type { FloatArray } from "../tensor/tensor.js";
import { rowsOf } from "./shapes.js";
import type { Tape } from "./tape.js";
import { view } from "./view.js";
import type { Variable } from "./variable.js";

export interface RopeOptions<A extends FloatArray> {
  nHeads: number;
  headDim: number;
  /** [positions, rotaryDim/2] tables (nn/rotary-embedding.ts builds them). */
  cos: A;
  sin: A;
  /** Leading dimensions of each head that rotate (default headDim). */
  rotaryDim?: number;
  layout: RopeLayout;
  /** Position of each sequence's first row (default 0). */
  firstPosition?: number;
  /** Sequences stacked in x (default 1). */
  batch?: number;
}

export function rope<A extends FloatArray>(tape: Tape<A>, x: Variable<A>, options: RopeOptions<A>): Variable<A> {
  const { nHeads, headDim, cos, sin, layout } = options;
  const rotaryDim = options.rotaryDim ?? headDim;
  const firstPosition = options.firstPosition ?? 0;
  const batch = options.batch ?? 1;
  const rows = rowsOf(x, nHeads * headDim, "rope", "x");
  if (rows % batch !== 0) throw new RangeError(`rope: ${rows} rows do not split into a batch of ${batch}`);
  const seq = rows / batch;
  const half = rotaryDim / 2;
  if ((firstPosition + seq) * half > cos.length || (firstPosition + seq) * half > sin.length) {
    throw new RangeError(`rope: positions up to ${firstPosition + seq - 1} exceed the cos/sin tables`);
  }
  const width = seq * nHeads * headDim;
  const out = tape.output(x.size);
  tape.kernels.forward.copy(out, x.data, x.size);
  for (let b = 0; b < batch; b++) {
    tape.kernels.forward.rope(view(out, b * width, width), seq, nHeads, headDim, firstPosition, cos, sin, rotaryDim, layout);
  }
  return tape.record(out, x.shape, [x], (dOut) => {
    const dx = tape.gradFor(x)!;
    for (let b = 0; b < batch; b++) {
      tape.kernels.backward.ropeBackward(
        view(dx, b * width, width),
        view(dOut, b * width, width),
        seq,
        nHeads,
        headDim,
        firstPosition,
        cos,
        sin,
        rotaryDim,
        layout,
      );
    }
  });
}
