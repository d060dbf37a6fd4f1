// Reference cross-entropy from logits (torch.nn.functional.cross_entropy with
// ignore_index, label_smoothing and reduction "mean"; llm.c crossentropy_softmax_backward):
//   loss = Σ_valid (logsumexp(logits_r) − logits_r[target_r]) / count
//   dLogits_r = dLoss · (softmax(logits_r) − onehot(target_r)) / count
// With label smoothing ε (Szegedy et al. 2016; Vaswani et al. 2017 §5.4) the target
// distribution is (1 − ε)·onehot + ε/V, so each row's loss is
//   (1 − ε)·(lse − logits[target]) + ε·(lse − mean_j logits[j])
// and its gradient softmax − (1 − ε)·onehot − ε/V.
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

function checkSmoothing(labelSmoothing: number): void {
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new InputError(`label smoothing ${labelSmoothing} is outside [0, 1]`);
}

export function crossEntropy(logits: FloatArray, targets: ArrayLike<number>, rows: number, vocab: number, ignoreIndex: number, labelSmoothing = 0): number {
  checkSmoothing(labelSmoothing);
  const count = validTargets(targets, rows, vocab, ignoreIndex);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const t = targets[r]!;
    if (t === ignoreIndex) continue;
    const base = r * vocab;
    const lse = logSumExp(logits, base, vocab);
    let loss = lse - logits[base + t]!;
    if (labelSmoothing > 0) {
      let sum = 0;
      for (let j = 0; j < vocab; j++) sum += logits[base + j]!;
      loss = (1 - labelSmoothing) * loss + labelSmoothing * (lse - sum / vocab);
    }
    total += loss;
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
  labelSmoothing = 0,
): void {
  checkSmoothing(labelSmoothing);
  const count = validTargets(targets, rows, vocab, ignoreIndex);
  if (count === 0) return;
  const scale = dLoss / count;
  const uniform = labelSmoothing / vocab;
  for (let r = 0; r < rows; r++) {
    const t = targets[r]!;
    if (t === ignoreIndex) continue;
    const base = r * vocab;
    const lse = logSumExp(logits, base, vocab);
    for (let j = 0; j < vocab; j++) dLogits[base + j] += scale * (Math.exp(logits[base + j]! - lse) - uniform);
    dLogits[base + t] -= scale * (1 - labelSmoothing);
  }
}
