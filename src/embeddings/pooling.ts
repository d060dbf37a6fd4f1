// Sentence embeddings from an encoder's last hidden states: the mean of the
// real tokens' vectors (padding left out, [CLS] and [SEP] kept, as
// sentence-transformers' mean pooling does) or the first token's ([CLS]) vector.

import { OptionError } from "../errors.js";

export type Pooling = "mean" | "cls";

export const POOLINGS: readonly Pooling[] = ["mean", "cls"];

export function checkPooling(value: unknown, option = "pooling"): Pooling {
  if (value !== "mean" && value !== "cls") throw new OptionError(option, `expected "mean" or "cls", got ${JSON.stringify(value)}`);
  return value;
}

/**
 * The pooled vector [dim] of row `row` of hidden states [batch, seq, dim];
 * `mask` [seq] (1 = token, 0 = padding) selects the tokens mean pooling averages.
 */
export function poolRow(hidden: Float32Array, row: number, seq: number, dim: number, mask: readonly number[] | undefined, pooling: Pooling): Float32Array {
  const base = row * seq * dim;
  if (pooling === "cls") return hidden.slice(base, base + dim);
  const sum = new Float64Array(dim);
  let count = 0;
  for (let t = 0; t < seq; t++) {
    if (mask !== undefined && mask[t] === 0) continue;
    count++;
    const at = base + t * dim;
    for (let d = 0; d < dim; d++) sum[d]! += hidden[at + d]!;
  }
  const out = new Float32Array(dim);
  for (let d = 0; d < dim; d++) out[d] = sum[d]! / Math.max(count, 1);
  return out;
}
