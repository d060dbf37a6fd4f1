// Training and scoring one model of an experiment: the training loop of
// training/trainer.ts (seeded random windows, AdamW, warmup then cosine decay,
// gradient clipping) for a fixed number of steps, reporting to a progress bar;
// then the held-out loss over non-overlapping windows (training/perplexity.ts),
// so every scored token has 0 … context − 1 tokens before it, as in training.

import { slidingWindowLoss, type PerplexityResult } from "../training/perplexity.js";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "../training/train-config.js";
import type { TrainableModel } from "../training/trainable.js";
import { Trainer, type TrainingData } from "../training/trainer.js";
import type { ProgressReporter } from "./progress.js";

export interface TrainSettings {
  readonly steps: number;
  readonly batchSize: number;
  /** Tokens per training window (the context length of training). */
  readonly blockSize: number;
  readonly learningRate: number;
  readonly seed: number;
}

export interface TrainOutcome {
  /** Mean loss of each step's batch. */
  readonly losses: number[];
  readonly seconds: number;
  readonly tokensPerSecond: number;
}

/** The run configuration of TrainSettings: AdamW (0.9, 0.99), weight decay 0.1, 10% warmup, cosine to lr/10, clip 1. */
export function trainConfigOf(settings: TrainSettings): TrainConfig {
  const warmup = Math.max(1, Math.floor(settings.steps / 10));
  return {
    ...DEFAULT_TRAIN_CONFIG,
    maxIters: settings.steps,
    batchSize: settings.batchSize,
    blockSize: settings.blockSize,
    learningRate: settings.learningRate,
    minLearningRate: settings.learningRate / 10,
    warmupIters: warmup,
    lrDecayIters: Math.max(settings.steps, warmup + 1),
    evalInterval: 0,
    checkpointInterval: 0,
    finalEval: false,
    seed: settings.seed,
  };
}

export async function trainModel(model: TrainableModel, data: TrainingData, settings: TrainSettings, progress: ProgressReporter, label: string): Promise<TrainOutcome> {
  const trainer = new Trainer(model, data, trainConfigOf(settings));
  const started = performance.now();
  progress.begin(label, settings.steps);
  const result = await trainer.train({ onStep: (report) => progress.update(report.iteration + 1, `loss ${report.loss.toFixed(3)}`) });
  progress.end();
  const seconds = (performance.now() - started) / 1000;
  return { losses: [...result.trainLosses], seconds, tokensPerSecond: (settings.steps * settings.batchSize * settings.blockSize) / seconds };
}

/** Mean held-out loss and perplexity over the first `tokens` ids, in windows of `context`. */
export async function heldOutLoss(model: TrainableModel, ids: Int32Array, context: number, tokens: number): Promise<PerplexityResult> {
  const slice = ids.subarray(0, Math.min(ids.length, tokens));
  return slidingWindowLoss(model, slice, { context, stride: context, batchSize: 8 });
}
