// What `lmscope train` and `lmscope finetune` share: running a Trainer with a
// live progress line, periodic checkpoints (model files + optimizer + trainer
// state + loss.svg, written atomically) and the trainer_state.json format.
import type { CliIo } from "../command.js";
import { ModelFormatError } from "../../errors.js";
import type { JsonObject } from "../../models/config-reader.js";
import { saveCheckpoint, LOSS_PLOT_FILE } from "../../training/checkpoint.js";
import { lossCurveSvg } from "../../training/loss-plot.js";
import type { PerplexityResult } from "../../training/perplexity.js";
import { Trainer, type EvalRecord, type StepReport, type TrainingProgress } from "../../training/trainer.js";

export const TRAINER_STATE_FORMAT = "lmscope-trainer-state";
export const TRAINER_STATE_VERSION = 1;

/** `1h02m`, `3m07s`, `12s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "?";
  const seconds = Math.round(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m${String(s).padStart(2, "0")}s`;
  return `${s}s`;
}

/** The progress line: step, loss, learning rate, tokens/s, ms per step, ETA. */
export function progressLine(report: StepReport): string {
  const width = String(report.maxIters).length;
  const rate = report.tokensPerSecond >= 1000 ? `${(report.tokensPerSecond / 1000).toFixed(1)}k` : report.tokensPerSecond.toFixed(0);
  return (
    `step ${String(report.iteration + 1).padStart(width)}/${report.maxIters} | loss ${report.loss.toFixed(4)} | ` +
    `lr ${report.learningRate.toExponential(2)} | ${rate} tok/s | ${report.stepMs.toFixed(1)} ms/step | ETA ${formatDuration(report.etaMs)}`
  );
}

export function evalLine(record: EvalRecord): string {
  return `step ${record.iteration}: train loss ${record.train.toFixed(4)}, val loss ${record.validation.toFixed(4)}`;
}

export function finalLine(result: PerplexityResult): string {
  return (
    `validation loss ${result.loss.toFixed(4)} (perplexity ${result.perplexity.toFixed(3)}) over the whole validation split: ` +
    `${result.tokens} tokens, windows of ${result.context}, stride ${result.stride}`
  );
}

/** Writes the progress line in place on a terminal; elsewhere a line every logInterval steps. */
class ProgressPrinter {
  private readonly tty: boolean;
  private pending = false;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly logInterval: number,
  ) {
    this.tty = (stream as { isTTY?: boolean }).isTTY === true;
  }

  step(report: StepReport): void {
    if (this.tty) {
      this.stream.write(`\r\x1b[K${progressLine(report)}`);
      this.pending = true;
    } else if ((report.iteration + 1) % this.logInterval === 0 || report.iteration + 1 === report.maxIters) {
      this.stream.write(`${progressLine(report)}\n`);
    }
  }

  line(text: string): void {
    if (this.pending) this.stream.write("\r\x1b[K");
    this.pending = false;
    this.stream.write(`${text}\n`);
  }

  end(): void {
    if (this.pending) this.stream.write("\n");
    this.pending = false;
  }
}

/** loss.svg of a run's progress. */
export function progressSvg(progress: TrainingProgress, title: string): string {
  return lossCurveSvg({
    title,
    trainSteps: progress.trainLosses.map((loss, step) => ({ step, loss })),
    trainEstimates: progress.evals.map((e) => ({ step: e.iteration, loss: e.train })),
    validation: progress.evals.map((e) => ({ step: e.iteration, loss: e.validation })),
    ...(progress.finalValidation === null ? {} : { finalValidation: { step: progress.iteration, loss: progress.finalValidation.loss } }),
  });
}

/** Reads the progress part of trainer_state.json, checking its shape. */
export function progressFromJson(state: JsonObject, file: string): TrainingProgress {
  if (state["format"] !== TRAINER_STATE_FORMAT || state["version"] !== TRAINER_STATE_VERSION) {
    throw new ModelFormatError(file, `expected format "${TRAINER_STATE_FORMAT}" version ${TRAINER_STATE_VERSION}`);
  }
  const p = state["progress"] as Partial<TrainingProgress> | undefined;
  const numbers = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => typeof x === "number");
  if (
    p === undefined ||
    typeof p !== "object" ||
    !Number.isSafeInteger(p.iteration) ||
    !numbers(p.trainLosses) ||
    !numbers(p.learningRates) ||
    p.trainLosses.length !== p.iteration ||
    !Array.isArray(p.evals) ||
    typeof p.elapsedMs !== "number"
  ) {
    throw new ModelFormatError(file, "progress: expected iteration, trainLosses (one per iteration), learningRates, evals, elapsedMs");
  }
  return {
    iteration: p.iteration!,
    trainLosses: p.trainLosses,
    learningRates: p.learningRates,
    evals: p.evals,
    finalValidation: p.finalValidation ?? null,
    elapsedMs: p.elapsedMs,
  };
}

export interface RunOptions<B> {
  trainer: Trainer<B>;
  out: string;
  io: CliIo;
  /** Writes the model (or adapter) files of a checkpoint into a folder. */
  writeModel(dir: string): Promise<void>;
  /** What trainer_state.json holds besides the progress (run config, data, …). */
  stateFields: JsonObject;
  title: string;
  logInterval: number;
  /** The line reporting the final whole-validation evaluation (default: finalLine, for token streams). */
  describeFinal?: (result: PerplexityResult) => string;
}

/** Runs the trainer to the end with progress output and checkpoints; returns the final progress. */
export async function runWithCheckpoints<B>(options: RunOptions<B>): Promise<TrainingProgress> {
  const { trainer, out, io } = options;
  const printer = new ProgressPrinter(io.stderr, options.logInterval);
  const checkpoint = async (t: Trainer<B>): Promise<void> => {
    const trainerState = { format: TRAINER_STATE_FORMAT, version: TRAINER_STATE_VERSION, ...options.stateFields, progress: t.progress };
    await saveCheckpoint(out, {
      writeModel: options.writeModel,
      optimizer: t.optimizer.exportState(),
      trainerState: trainerState as unknown as JsonObject,
      textFiles: { [LOSS_PLOT_FILE]: progressSvg(t.progress, options.title) },
    });
  };
  if (trainer.progress.iteration > 0) printer.line(`resuming at step ${trainer.progress.iteration} of ${trainer.config.maxIters} from ${out}`);
  const progress = await trainer.train({
    onStep: (r) => printer.step(r),
    onEval: (e) => printer.line(evalLine(e)),
    onFinalEval: (r) => printer.line((options.describeFinal ?? finalLine)(r)),
    checkpoint: async (t) => {
      await checkpoint(t);
      if (t.progress.iteration < t.config.maxIters) printer.line(`checkpoint at step ${t.progress.iteration}: ${out}`);
    },
  });
  printer.end();
  return progress;
}

