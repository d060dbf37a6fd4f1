// Masked-language-model inputs (Devlin et al. 2019 §3.1; HF
// DataCollatorForLanguageModeling): each token that is not special is selected
// with probability 15%; a selected token becomes [MASK] 80% of the time, a
// random vocabulary id 10% and stays as it is 10%. Labels hold the original id
// at selected positions and −100 (ignored by the loss) everywhere else.
// Draws come from a seeded generator, so a seed gives the same masks everywhere.

import { Rng } from "../../tensor/random.js";
import { OptionError } from "../../errors.js";

/** The label cross-entropy skips (PyTorch's ignore_index). */
export const IGNORE_INDEX = -100;

export interface MaskingOptions {
  maskTokenId: number;
  /** Random replacements are uniform over [0, vocabSize), as HF draws them. */
  vocabSize: number;
  /** Ids never selected ([CLS], [SEP], [PAD], …). */
  isSpecial: (id: number) => boolean;
  /** Selection probability (default 0.15). */
  probability?: number;
  /** Share of selected tokens replaced by [MASK] (default 0.8). */
  maskFraction?: number;
  /** Share of selected tokens replaced by a random id (default 0.1); the rest stay unchanged. */
  randomFraction?: number;
}

export interface MaskedTokens {
  inputIds: number[];
  /** The original id at selected positions, IGNORE_INDEX elsewhere. */
  labels: number[];
}

function checkFraction(name: string, value: number): number {
  if (!(value >= 0 && value <= 1)) throw new OptionError(name, `expected a number in [0, 1], got ${String(value)}`);
  return value;
}

/**
 * Masks one row. `attentionMask` (optional) excludes padding positions from
 * selection; `random` is a seeded generator (or a seed).
 */
export function maskTokens(ids: readonly number[], random: Rng | number, options: MaskingOptions, attentionMask?: readonly number[]): MaskedTokens {
  const rng = typeof random === "number" ? new Rng(random) : random;
  const probability = checkFraction("probability", options.probability ?? 0.15);
  const maskFraction = checkFraction("maskFraction", options.maskFraction ?? 0.8);
  const randomFraction = checkFraction("randomFraction", options.randomFraction ?? 0.1);
  if (maskFraction + randomFraction > 1) throw new OptionError("randomFraction", `maskFraction + randomFraction must not exceed 1`);
  if (!Number.isInteger(options.vocabSize) || options.vocabSize <= 0) throw new OptionError("vocabSize", `expected a positive integer, got ${String(options.vocabSize)}`);
  const inputIds = [...ids];
  const labels = ids.map(() => IGNORE_INDEX);
  ids.forEach((id, i) => {
    if (options.isSpecial(id) || attentionMask?.[i] === 0) return;
    if (rng.nextFloat() >= probability) return;
    labels[i] = id;
    const r = rng.nextFloat();
    if (r < maskFraction) inputIds[i] = options.maskTokenId;
    else if (r < maskFraction + randomFraction) inputIds[i] = Math.floor(rng.nextFloat() * options.vocabSize);
  });
  return { inputIds, labels };
}

/** Masks every row of a batch with one generator (rows draw in order). */
export function maskBatch(
  rows: readonly (readonly number[])[],
  random: Rng | number,
  options: MaskingOptions,
  attentionMask?: readonly (readonly number[])[],
): { inputIds: number[][]; labels: number[][] } {
  const rng = typeof random === "number" ? new Rng(random) : random;
  const masked = rows.map((row, b) => maskTokens(row, rng, options, attentionMask?.[b]));
  return { inputIds: masked.map((m) => m.inputIds), labels: masked.map((m) => m.labels) };
}
