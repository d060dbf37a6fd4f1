// Loss and perplexity of a model over a text longer than its context, by
// sliding a window over it (the strided evaluation of Hugging Face's guide
// "Perplexity of fixed-length models"): windows of `context` tokens start every
// `stride` tokens; each window scores only the targets that no earlier window
// scored, so every token after the first is predicted exactly once, and all but
// those of the first window see at least context − stride tokens before them.
//
//   stride = context      non-overlapping windows: a token sees 0 … context−1
//                         tokens of left context (on average as in training on
//                         random windows); fastest.
//   stride = context / 2  the default: every token after the first window sees
//                         at least half a window of context; about twice the work.
//   stride = 1            every token with the full window (or all the text before
//                         it): the true autoregressive loss; `context` times the work.
//
// The loss is the mean negative log-likelihood (nats) over the scored tokens and
// the perplexity is its exponential.
import { InputError } from "../errors.js";
import type { Batch } from "./trainable.js";

export interface SlidingWindowOptions {
  /** Window length in tokens (the model's context, or the training block size). */
  context: number;
  /** Tokens between window starts, 1 … context; default ⌈context / 2⌉. */
  stride?: number;
  /** Windows per evaluate call (default 8). */
  batchSize?: number;
  /** Called after each batch of windows with the tokens scored so far and the total. */
  onProgress?: (scored: number, total: number) => void;
}

export interface PerplexityResult {
  /** Mean negative log-likelihood per scored token, in nats. */
  loss: number;
  perplexity: number;
  /** Tokens scored: every token but the first. */
  tokens: number;
  windows: number;
  context: number;
  stride: number;
}

/** The default stride for a window: half of it, rounded up. */
export function defaultStride(context: number): number {
  return Math.ceil(context / 2);
}

/** Window i covers inputs ids[begin, begin + length) and scores targets ids[from + 1 … end]. */
interface Window {
  begin: number;
  length: number;
  /** Targets at positions ≤ this (absolute) were scored by an earlier window. */
  scoredUpTo: number;
}

/** The windows of the strided evaluation of a text of n tokens. */
export function slidingWindows(n: number, context: number, stride: number): Window[] {
  const windows: Window[] = [];
  let scoredUpTo = 0; // the first token is never a target
  for (let begin = 0; scoredUpTo < n - 1; begin += stride) {
    const end = Math.min(begin + context, n - 1); // last input position + 1; its target is ids[end]
    windows.push({ begin, length: end - begin, scoredUpTo });
    scoredUpTo = end;
  }
  return windows;
}

/** Mean loss and perplexity of `ids` under the model, each token after the first scored once. */
export async function slidingWindowLoss(
  model: { evaluate(batch: Batch): Promise<number> },
  ids: ArrayLike<number>,
  options: SlidingWindowOptions,
): Promise<PerplexityResult> {
  const { context } = options;
  const stride = options.stride ?? defaultStride(context);
  const batchSize = options.batchSize ?? 8;
  if (!(Number.isInteger(context) && context >= 1)) throw new InputError(`context ${context} must be a positive integer`);
  if (!(Number.isInteger(stride) && stride >= 1 && stride <= context)) {
    throw new InputError(`stride ${stride} must be an integer from 1 to the context ${context}`);
  }
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new InputError(`batch size ${batchSize} must be a positive integer`);
  const n = ids.length;
  if (n < 2) throw new InputError(`the text has ${n} token${n === 1 ? "" : "s"}; scoring needs at least 2`);

  const windows = slidingWindows(n, context, stride);
  const rowLength = Math.min(context, n - 1); // rows of a batch share one length; short windows are padded
  const total = n - 1;
  let sumLoss = 0;
  let scored = 0;
  for (let first = 0; first < windows.length; first += batchSize) {
    const inputIds: number[][] = [];
    const targets: number[][] = [];
    let batchScored = 0;
    for (const w of windows.slice(first, first + batchSize)) {
      const inputs = new Array<number>(rowLength).fill(0); // padding after the window: a causal model never looks right
      const rowTargets = new Array<number>(rowLength).fill(-100);
      for (let t = 0; t < w.length; t++) {
        inputs[t] = ids[w.begin + t]!;
        const targetPosition = w.begin + t + 1;
        if (targetPosition > w.scoredUpTo) {
          rowTargets[t] = ids[targetPosition]!;
          batchScored++;
        }
      }
      inputIds.push(inputs);
      targets.push(rowTargets);
    }
    const meanLoss = await model.evaluate({ inputIds, targets });
    sumLoss += meanLoss * batchScored;
    scored += batchScored;
    options.onProgress?.(scored, total);
  }
  const loss = sumLoss / scored;
  return { loss, perplexity: Math.exp(loss), tokens: scored, windows: windows.length, context, stride };
}
