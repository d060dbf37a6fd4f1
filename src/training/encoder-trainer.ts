// The training loop for an encoder (BERT), as HF's Trainer runs it by default:
// each epoch the examples are shuffled (seeded) and cut into batches (the last
// one may be short); each batch is collated (padding; masking for MLM), its loss
// recorded with dropout, gradients clipped to a global norm of 1, and AdamW
// stepped with weight decay on every weight but biases and LayerNorm gains, at a
// learning rate that rises linearly over the warmup steps and falls linearly to
// 0 at the last step (get_linear_schedule_with_warmup). After each epoch an
// optional evaluation (on a held-out split) is recorded in the history.

import type { EncoderBatch, EncoderModel } from "../encoder-model.js";
import { OptionError } from "../errors.js";
import { Rng } from "../tensor/random.js";
import { AdamW } from "./adamw.js";
import { optimizerKernelsOf } from "./backend-kernels.js";
import { clipGradNorm } from "./grad-clip.js";

export interface EncoderTrainingOptions {
  epochs: number;
  batchSize: number;
  /** Peak learning rate. */
  learningRate: number;
  /** Decoupled weight decay of the weight matrices (default 0.01). */
  weightDecay?: number;
  /** Share of the total steps spent warming up (default 0.1). */
  warmupRatio?: number;
  /** Clip the global gradient norm to this (default 1; 0 turns clipping off). */
  maxGradNorm?: number;
  /** Dropout on embeddings and residual branches (default 0.1, BERT's hidden_dropout_prob). */
  dropout?: number;
  /** Seed of shuffling, dropout and the collator's draws (default 0). */
  seed?: number;
  /** Stop after this many optimizer steps (the schedule then spans them). */
  maxSteps?: number;
  betas?: [number, number];
  eps?: number;
}

export interface StepRecord {
  /** 1-based optimizer step. */
  readonly step: number;
  readonly epoch: number;
  readonly loss: number;
  readonly learningRate: number;
  /** The global gradient norm before clipping. */
  readonly gradNorm: number;
}

export interface EpochRecord {
  readonly epoch: number;
  /** Steps taken so far in the run. */
  readonly step: number;
  /** Mean training loss of the epoch's batches. */
  readonly trainLoss: number;
  readonly seconds: number;
  /** What the evaluate hook returned (absent without one). */
  readonly eval?: Readonly<Record<string, number>>;
}

export interface TrainingHistory {
  readonly steps: StepRecord[];
  readonly epochs: EpochRecord[];
}

export interface EncoderTrainingHooks {
  /** Called after each epoch; its numbers go into the epoch's record. */
  evaluate?: (epoch: number) => Promise<Record<string, number>>;
  onStep?: (record: StepRecord) => void;
  onEpoch?: (record: EpochRecord) => void;
}

/** The examples of one batch → a model batch; `random` is the run's seeded generator for the collator's draws. */
export type Collate<E> = (examples: E[], random: Rng) => EncoderBatch;

/** HF get_linear_schedule_with_warmup: lr · step/warmup while warming up, then lr · (total − step)/(total − warmup), never below 0. */
export function linearWarmupDecay(step: number, learningRate: number, warmupSteps: number, totalSteps: number): number {
  if (step < warmupSteps) return (learningRate * step) / Math.max(1, warmupSteps);
  return learningRate * Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
}

/** Biases and LayerNorm gains take no weight decay (HF Trainer's default grouping). */
export function decaysWeight(name: string): boolean {
  return !(name.endsWith(".bias") || /LayerNorm\.weight$/.test(name));
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new OptionError(name, `expected a positive integer, got ${String(value)}`);
  return value;
}

export async function trainEncoder<E>(
  model: EncoderModel,
  examples: readonly E[],
  collate: Collate<E>,
  options: EncoderTrainingOptions,
  hooks: EncoderTrainingHooks = {},
): Promise<TrainingHistory> {
  const epochs = positiveInteger("epochs", options.epochs);
  const batchSize = positiveInteger("batchSize", options.batchSize);
  if (examples.length === 0) throw new OptionError("data", "there are no training examples");
  if (!(options.learningRate > 0)) throw new OptionError("learningRate", `expected a positive number, got ${String(options.learningRate)}`);
  const warmupRatio = options.warmupRatio ?? 0.1;
  if (!(warmupRatio >= 0 && warmupRatio < 1)) throw new OptionError("warmupRatio", `expected a number in [0, 1), got ${String(warmupRatio)}`);
  const maxGradNorm = options.maxGradNorm ?? 1;
  const dropout = options.dropout ?? 0.1;

  const batchesPerEpoch = Math.ceil(examples.length / batchSize);
  const totalSteps = Math.min(epochs * batchesPerEpoch, options.maxSteps === undefined ? Infinity : positiveInteger("maxSteps", options.maxSteps));
  const warmupSteps = Math.ceil(totalSteps * warmupRatio);

  // Independent streams for shuffling, dropout and the collator, all from the one seed.
  const master = new Rng(options.seed ?? 0);
  const shuffleRandom = new Rng(master.nextUint32());
  const dropoutRandom = new Rng(master.nextUint32());
  const collateRandom = new Rng(master.nextUint32());
  const nextDropout = (): number => dropoutRandom.nextFloat();

  const named = model.namedParameters();
  const kernels = optimizerKernelsOf(model.backend);
  const optimizer = new AdamW(
    [
      { params: named.filter(([name]) => decaysWeight(name)).map(([, p]) => p), weightDecay: options.weightDecay ?? 0.01 },
      { params: named.filter(([name]) => !decaysWeight(name)).map(([, p]) => p), weightDecay: 0 },
    ],
    { lr: options.learningRate, betas: options.betas ?? [0.9, 0.999], eps: options.eps ?? 1e-8, weightDecay: 0 },
    kernels,
  );
  const parameters = named.map(([, p]) => p);

  const history: TrainingHistory = { steps: [], epochs: [] };
  let step = 0;
  for (let epoch = 1; epoch <= epochs && step < totalSteps; epoch++) {
    const started = performance.now();
    const order = shuffled(examples.length, shuffleRandom);
    let lossSum = 0;
    let batches = 0;
    for (let first = 0; first < order.length && step < totalSteps; first += batchSize) {
      const batch = collate(order.slice(first, first + batchSize).map((i) => examples[i]!), collateRandom);
      const learningRate = linearWarmupDecay(step, options.learningRate, warmupSteps, totalSteps);
      optimizer.setLearningRate(learningRate);
      optimizer.zeroGrad();
      const loss = await model.loss(batch, dropout > 0 ? { dropout, random: nextDropout } : {});
      if (!Number.isFinite(loss.value)) throw new OptionError("learningRate", `the loss became ${loss.value} at step ${step + 1}; try a smaller learning rate`);
      await loss.backward();
      const gradNorm = maxGradNorm > 0 ? clipGradNorm(parameters, maxGradNorm, kernels) : Number.NaN;
      optimizer.step();
      step++;
      lossSum += loss.value;
      batches++;
      const record = { step, epoch, loss: loss.value, learningRate, gradNorm };
      history.steps.push(record);
      hooks.onStep?.(record);
    }
    const evaluation = hooks.evaluate === undefined ? undefined : await hooks.evaluate(epoch);
    const record: EpochRecord = {
      epoch,
      step,
      trainLoss: lossSum / batches,
      seconds: (performance.now() - started) / 1000,
      ...(evaluation === undefined ? {} : { eval: evaluation }),
    };
    history.epochs.push(record);
    hooks.onEpoch?.(record);
  }
  return history;
}

/** A seeded Fisher–Yates permutation of 0 … n−1. */
function shuffled(n: number, random: Rng): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random.nextFloat() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}
