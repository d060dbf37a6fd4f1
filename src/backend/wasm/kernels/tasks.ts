// AssemblyScript. The entry of the chunked kernels ("tasks") that src/backend/wasm
// runs on all its threads through one job type: the caller writes a task's
// arguments as 4-byte slots (i32 addresses and sizes, f32 scalars) into a block of
// the memory, then every thread calls runTask(task, args, chunk, thread) for the
// chunks it claims. Task numbers are src/backend/wasm/tasks.ts's.

import { gemmTask } from "./gemm";
import { attentionBackwardTask } from "./attention-backward";
import { normBackwardTask } from "./norms-backward";
import { columnSumsTask, embeddingBackwardTask } from "./gradient-sums";
import { pointwiseTask, ropeBackwardTask, softmaxBackwardTask } from "./pointwise-backward";
import { crossEntropyTask } from "./cross-entropy";
import { adamwTask, sumOfSquaresTask } from "./optimizer";
import { activationTask, normRowsTask } from "./forward-tasks";

export function runTask(task: i32, args: usize, chunk: i32, thread: i32): void {
  switch (task) {
    case 1: gemmTask(args, chunk, thread); break;
    case 2: attentionBackwardTask(args, chunk, thread); break;
    case 3: normBackwardTask(args, chunk); break;
    case 4: columnSumsTask(args, chunk); break;
    case 5: embeddingBackwardTask(args, chunk); break;
    case 6: pointwiseTask(args, chunk); break;
    case 7: softmaxBackwardTask(args, chunk); break;
    case 8: ropeBackwardTask(args, chunk); break;
    case 9: crossEntropyTask(args, chunk); break;
    case 10: adamwTask(args, chunk); break;
    case 11: sumOfSquaresTask(args, chunk); break;
    case 12: activationTask(args, chunk); break;
    case 13: normRowsTask(args, chunk); break;
    default: unreachable();
  }
}
