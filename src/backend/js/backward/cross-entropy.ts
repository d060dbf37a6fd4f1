// Reference cross-entropy from logits (torch.nn.functional.cross_entropy with
// ignore_index and reduction "mean"; llm.c crossentropy_softmax_backward):
//   loss = Σ_valid (logsumexp(logits_r) − logits_r[target_r]) / count
//   dLogits_r = dLoss · (softmax(logits_r) − onehot(target_r)) / count
// Rows whose target is ignoreIndex take no part. logsumexp subtracts the row max.

import { InputError } from "../../../errors.js";
import type { FloatArray } from "../../../tensor/tensor.js";

/** The number of rows whose target is not ignoreIndex; a target outside the vocabulary is an InputError. */
export function validTargets(targets: ArrayLike<number>, rows: number, vocab: number, ignoreIndex: number): number {
  if (targets.length < rows) throw new InputError(`${targets.length} targets for ${rows} rows of logits`);
  let count = 0;
  for (let r = 0; r < rows; r++) {
    const t = targets[r]!;
    if (t === ignoreIndex) continue;
    if (!Number.isInteger(t) || t < 0 || t >= vocab) {
      throw new InputError(`target ${t} at row ${r} is outside the vocabulary [0, ${vocab}) and is not ignoreIndex ${ignoreIndex}`);
    }
    count++;
  }
  return count;
}

function logSumExp(logits: FloatArray, base: number, vocab: number): number {
  let max = -Infinity;
  for (let j = 0; j < vocab; j++) if (logits[base + j]! > max) max = logits[base + j]!;
  let sum = 0;
  for (let j = 0; j < vocab; j++) sum += Math.exp(logits[base + j]! - max);
  return max + Math.log(sum);
}

export function crossEntropy(logits: FloatArray, targets: ArrayLike<number>, rows: number, vocab: number, ignoreIndex: number): number {
  const count = validTargets(targets, rows, vocab, ignoreIndex);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const t = targets[r]!;
    if (t === ignoreIndex) continue;
    const base = r * vocab;
    total += logSumExp(logits, base, vocab) - logits[base + t]!;
  }
  return total / count;
}

export function crossEntropyBackward(
  dLogits: FloatArray,
  logits: FloatArray,
  targets: ArrayLike<number>,
  rows: number,
  vocab: number,
  ignoreIndex: number,
  dLoss: number,
): void {
  const count = validTargets(targets, rows, vocab, ignoreIndex);
  if (count === 0) return;
  const scale = dLoss / count;
  for (let r = 0; r < rows; r++) {
    const t = targets[r]!;
    if (t === ignoreIndex) continue;
    const base = r * vocab;
    const lse = logSumExp(logits, base, vocab);
    for (let j = 0; j < vocab; j++) dLogits[base + j] += scale * Math.exp(logits[base + j]! - lse);
    dLogits[base + t] -= scale;
  }
}
