// The training loop of nanoGPT train.py, step for step:
//
//   for iteration in [start, maxIters):
//     every evalInterval steps: estimate train and validation loss (evalIters random batches each)
//     lr ← warmup + cosine schedule (lr-schedule.ts)
//     gradientAccumulationSteps × { batch of random windows → loss → backward }   (gradients add up)
//     gradients ÷ gradientAccumulationSteps; clip to gradClip by global norm
//     AdamW step (weight decay only on tensors of ≥ 2 dimensions); zero the gradients
//     every checkpointInterval steps: checkpoint
//   at the end: estimate, whole-validation-split loss (sliding windows), checkpoint
//
// Every random draw comes from a stream seeded by (seed, purpose, iteration,
// micro-step) (random-streams.ts), so the run is a function of its seed and a
// resumed run — model, optimizer state and iteration restored — repeats the
// uninterrupted one bit for bit.
//
// Batches are random windows of a token stream (a language model's data), or come
// from another BatchSource (a seq2seq model's source–target pairs), drawn from the
// same seeded streams.
import type { Parameter } from "../autograd/variable.js";
import { AdamW, type AdamWParamGroupSpec, type AdamWState } from "./adamw.js";
import { randomWindows } from "./datasets/text-dataset.js";
import type { OptimizerKernels } from "../backend/optimizer.js";
import { optimizerKernelsOf } from "./backend-kernels.js";
import { clipGradNorm, gradNorm } from "./grad-clip.js";
import { cosineWithWarmup } from "./lr-schedule.js";
import { slidingWindowLoss, defaultStride, type PerplexityResult } from "./perplexity.js";
import { Stream, streamRng } from "./random-streams.js";
import type { TrainConfig } from "./train-config.js";
import type { Rng } from "../tensor/random.js";
import type { Batch, TrainableModel } from "./trainable.js";

export interface TrainingData {
  readonly train: Int32Array;
  readonly validation: Int32Array;
}

/** Where a run's batches come from, when they are not windows of a token stream. */
export interface BatchSource<B> {
  /** A batch of `batchSize` examples of a split, drawn with `rng`. */
  draw(split: "train" | "validation", batchSize: number, rng: Rng): B;
  /** Tokens a batch trains on (the progress line's tokens/s). */
  tokens(batch: B): number;
  /** The loss over the whole validation split (the run's final evaluation). */
  validationLoss(model: TrainableModel<B>, batchSize: number): Promise<PerplexityResult>;
}

/** Random windows of blockSize + 1 tokens of the token streams (nanoGPT get_batch). */
function windowBatches(data: TrainingData, config: TrainConfig): BatchSource<Batch> {
  return {
    draw: (split, batchSize, rng) => randomWindows(split === "train" ? data.train : data.validation, batchSize, config.blockSize, rng),
    tokens: (batch) => batch.inputIds.length * config.blockSize,
    validationLoss: (model, batchSize) =>
      slidingWindowLoss(model, data.validation, { context: config.blockSize, stride: config.finalEvalStride ?? defaultStride(config.blockSize), batchSize }),
  };
}

export interface EvalRecord {
  iteration: number;
  train: number;
  validation: number;
}

/** What a run has done so far; stored in trainer_state.json. */
export interface TrainingProgress {
  /** Optimizer steps done: the index of the next iteration, and the position in the data streams. */
  iteration: number;
  /** Mean loss of each step's micro-batches, by iteration. */
  trainLosses: number[];
  /** Learning rate of each step. */
  learningRates: number[];
  evals: EvalRecord[];
  /** The whole-validation-split loss at the end. */
  finalValidation: PerplexityResult | null;
  /** Wall time spent training, over all sessions of the run (not part of its determinism). */
  elapsedMs: number;
}

export interface StepReport {
  iteration: number;
  maxIters: number;
  loss: number;
  learningRate: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  stepMs: number;
  tokensPerSecond: number;
  /** Estimated time to the end: the steps and loss estimates left, at this session's mean times (the final whole-split evaluation not included). */
  etaMs: number;
}

export interface TrainerHooks<B = Batch> {
  onStep?(report: StepReport): void;
  onEval?(record: EvalRecord): void;
  onFinalEval?(result: PerplexityResult): void;
  /** Called with the trainer every checkpointInterval steps and at the end. */
  checkpoint?(trainer: Trainer<B>): Promise<void>;
}

export interface ResumeState {
  progress: TrainingProgress;
  optimizer: AdamWState;
}

const EMBEDDING_NAME = /(^|\.)(wte|wpe|embed_tokens|embed_positions|word_embeddings|position_embeddings|token_type_embeddings|embedding)(\.|$)/;

/**
 * AdamW parameter groups: tensors of ≥ 2 dimensions decay (nanoGPT
 * configure_optimizers), 1-D ones (biases, norm gains) do not; with
 * decayEmbeddings false, embedding tables join the group that does not decay.
 * A parameter listed under two names (tied weights) appears once.
 */
export function parameterGroups(named: readonly [string, Parameter][], weightDecay: number, decayEmbeddings: boolean): AdamWParamGroupSpec[] {
  const seen = new Set<Parameter>();
  const decay: Parameter[] = [];
  const noDecay: Parameter[] = [];
  for (const [name, p] of named) {
    if (seen.has(p)) continue;
    seen.add(p);
    const isEmbedding = EMBEDDING_NAME.test(name) || EMBEDDING_NAME.test(p.name);
    if (p.shape.length >= 2 && (decayEmbeddings || !isEmbedding)) decay.push(p);
    else noDecay.push(p);
  }
  return [
    { params: decay, weightDecay },
    { params: noDecay, weightDecay: 0 },
  ];
}

/** The learning rate of an iteration under the config's schedule. */
export function learningRateAt(iteration: number, config: TrainConfig): number {
  if (!config.decayLearningRate) return config.learningRate;
  return cosineWithWarmup(iteration, {
    learningRate: config.learningRate,
    minLearningRate: config.minLearningRate,
    warmupIters: config.warmupIters,
    lrDecayIters: config.lrDecayIters,
  });
}

export function freshProgress(): TrainingProgress {
  return { iteration: 0, trainLosses: [], learningRates: [], evals: [], finalValidation: null, elapsedMs: 0 };
}

export class Trainer<B = Batch> {
  readonly optimizer: AdamW;
  private readonly batches: BatchSource<B>;
  readonly progress: TrainingProgress;
  private readonly parameters: Parameter[];
  /** The optimizer's kernels: those of the backend the model computes on. */
  private readonly kernels: OptimizerKernels;
  /** Time spent in steps and in loss estimates this session, for the ETA. */
  private sessionStepMs = 0;
  private sessionSteps = 0;
  private sessionEvalMs = 0;
  private sessionEvals = 0;

  constructor(
    readonly model: TrainableModel<B>,
    /** Token streams (their random windows are the batches; B is then Batch), or a source of batches. */
    readonly data: TrainingData | BatchSource<B>,
    readonly config: TrainConfig,
    resume?: ResumeState,
  ) {
    this.batches = "draw" in data ? data : (windowBatches(data, config) as unknown as BatchSource<B>);
    const named = model.namedParameters();
    const groups = parameterGroups(named, config.weightDecay, config.decayEmbeddings);
    this.parameters = groups.flatMap((g) => [...g.params]);
    this.kernels = optimizerKernelsOf(model.backend);
    this.optimizer = new AdamW(
      groups,
      { lr: config.learningRate, betas: [...config.betas], eps: config.eps, weightDecay: config.weightDecay },
      this.kernels,
    );
    if (resume !== undefined) {
      this.optimizer.importState(resume.optimizer);
      this.progress = structuredClone(resume.progress);
    } else {
      this.progress = freshProgress();
    }
    if (this.progress.iteration > config.maxIters) {
      throw new RangeError(`the checkpoint is at iteration ${this.progress.iteration}, past max_iters ${config.maxIters}`);
    }
  }

  get done(): boolean {
    return this.progress.iteration >= this.config.maxIters && (this.progress.finalValidation !== null || !this.config.finalEval);
  }

  /** Runs (or continues) the loop to maxIters, then the final evaluations and checkpoint. */
  async train(hooks: TrainerHooks<B> = {}): Promise<TrainingProgress> {
    const { config, progress } = this;
    if (this.done) return progress; // a finished run, resumed: nothing left to do
    while (progress.iteration < config.maxIters) {
      if (config.evalInterval > 0 && progress.iteration % config.evalInterval === 0) await this.evaluateIfDue(hooks);
      const started = performance.now();
      const report = await this.step();
      const stepMs = performance.now() - started;
      progress.elapsedMs += stepMs;
      hooks.onStep?.(report);
      if (config.checkpointInterval > 0 && progress.iteration % config.checkpointInterval === 0 && progress.iteration < config.maxIters) {
        await hooks.checkpoint?.(this);
      }
    }
    if (config.evalInterval > 0) await this.evaluateIfDue(hooks);
    if (config.finalEval) {
      progress.finalValidation = await this.validationLoss();
      hooks.onFinalEval?.(progress.finalValidation);
    }
    await hooks.checkpoint?.(this);
    return progress;
  }

  /** One optimizer step: accumulated micro-batches, clipping, AdamW. */
  async step(): Promise<StepReport> {
    const { config, progress, optimizer } = this;
    const iteration = progress.iteration;
    const started = performance.now();
    const learningRate = learningRateAt(iteration, config);
    optimizer.setLearningRate(learningRate);
    optimizer.zeroGrad();
    const accumulation = config.gradientAccumulationSteps;
    let lossSum = 0;
    let tokens = 0;
    for (let micro = 0; micro < accumulation; micro++) {
      const batch = this.batches.draw("train", config.batchSize, streamRng(config.seed, Stream.trainBatch, iteration, micro));
      tokens += this.batches.tokens(batch);
      // a seeded source for every dropout mask of this micro-batch (the model's, and a LoRA adapter's own)
      const rng = streamRng(config.seed, Stream.dropout, iteration, micro);
      const loss = await this.model.loss(batch, { dropout: config.dropout, random: () => rng.nextFloat() });
      if (!Number.isFinite(loss.value)) throw new RangeError(`training loss is ${loss.value} at iteration ${iteration} (micro-batch ${micro}); lower the learning rate?`);
      lossSum += loss.value;
      await loss.backward();
    }
    if (accumulation > 1) {
      const scale = 1 / accumulation; // the mean of the micro-batch losses, as nanoGPT's loss / gradient_accumulation_steps
      for (const p of this.parameters) if (p.grad !== null) this.kernels.scale(p.grad, p.grad.length, scale);
    }
    const norm = config.gradClip > 0 ? clipGradNorm(this.parameters, config.gradClip, this.kernels) : gradNorm(this.parameters, this.kernels);
    optimizer.step();
    optimizer.zeroGrad();
    const loss = lossSum / accumulation;
    progress.trainLosses.push(loss);
    progress.learningRates.push(learningRate);
    progress.iteration = iteration + 1;
    const stepMs = performance.now() - started;
    this.sessionStepMs += stepMs;
    this.sessionSteps++;
    return {
      iteration,
      maxIters: config.maxIters,
      loss,
      learningRate,
      gradNorm: norm,
      stepMs,
      tokensPerSecond: (tokens * 1000) / stepMs,
      etaMs: this.estimateRemainingMs(),
    };
  }

  /** nanoGPT estimate_loss: mean loss of evalIters random batches of each split, at the current iteration. */
  async estimateLoss(): Promise<EvalRecord> {
    const { config } = this;
    const iteration = this.progress.iteration;
    const mean = async (split: "train" | "validation", index: number): Promise<number> => {
      let sum = 0;
      for (let k = 0; k < config.evalIters; k++) {
        const batch = this.batches.draw(split, config.batchSize, streamRng(config.seed, Stream.evalBatch, iteration, index, k));
        sum += await this.model.evaluate(batch);
      }
      return sum / config.evalIters;
    };
    return { iteration, train: await mean("train", 0), validation: await mean("validation", 1) };
  }

  /** Loss over the whole validation split (token streams: sliding windows of blockSize, perplexity.ts). */
  async validationLoss(): Promise<PerplexityResult> {
    return this.batches.validationLoss(this.model, this.config.batchSize);
  }

  private estimateRemainingMs(): number {
    const { maxIters, evalInterval } = this.config;
    const done = this.progress.iteration;
    const stepMs = this.sessionSteps > 0 ? this.sessionStepMs / this.sessionSteps : 0;
    const evalMs = this.sessionEvals > 0 ? this.sessionEvalMs / this.sessionEvals : 0;
    // estimates at the multiples of evalInterval after this step, and one at the end
    const evalsLeft = evalInterval > 0 ? Math.floor((maxIters - 1) / evalInterval) - Math.floor((done - 1) / evalInterval) + 1 : 0;
    return stepMs * (maxIters - done) + evalMs * evalsLeft;
  }

  private async evaluateIfDue(hooks: TrainerHooks<B>): Promise<void> {
    if (this.progress.evals.some((e) => e.iteration === this.progress.iteration)) return;
    const started = performance.now();
    const record = await this.estimateLoss();
    const ms = performance.now() - started;
    this.sessionEvalMs += ms;
    this.sessionEvals++;
    this.progress.elapsedMs += ms;
    this.progress.evals.push(record);
    hooks.onEval?.(record);
  }
}
