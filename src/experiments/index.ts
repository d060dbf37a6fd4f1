// The named experiments and how one is run: the corpus chosen, the context built,
// the report written, dated and timed.

import type { Backend } from "../backend/backend.js";
import { OptionError } from "../errors.js";
import { attentionExperiment } from "./attention.js";
import { readCorpus, syntheticCorpus, type Corpus } from "./corpus.js";
import type { Experiment } from "./experiment.js";
import { positionsExperiment } from "./positions.js";
import type { ProgressReporter } from "./progress.js";
import { writeReport, type ExperimentReport, type RunInfo } from "./report.js";
import { scalingExperiment } from "./scaling.js";
import { transformerVsRnnExperiment } from "./transformer-vs-rnn.js";

export const EXPERIMENTS: readonly Experiment[] = [transformerVsRnnExperiment, positionsExperiment, attentionExperiment, scalingExperiment];

export function experimentNamed(name: string): Experiment {
  const experiment = EXPERIMENTS.find((e) => e.name === name);
  if (experiment === undefined) throw new OptionError("experiment", `unknown experiment ${JSON.stringify(name)} (known: ${EXPERIMENTS.map((e) => e.name).join(", ")})`);
  return experiment;
}

/** Characters of the generated corpus used when no data file is given. */
export const SYNTHETIC_CHARACTERS = { quick: 60_000, full: 1_000_000 };

export interface RunOptions {
  readonly quick: boolean;
  readonly seed: number;
  /** A text file to train on; absent: a corpus generated from the seed. */
  readonly data?: string;
  readonly backend: Backend;
  readonly progress: ProgressReporter;
  /** The folder the report goes to. */
  readonly out: string;
  /** The command line that reproduces the run (for the report). */
  readonly command: string;
  /** The date stamped on the report (default today). */
  readonly date?: Date;
}

export async function runExperiment(experiment: Experiment, options: RunOptions): Promise<{ report: ExperimentReport; run: RunInfo }> {
  const corpus: Corpus = options.data === undefined ? syntheticCorpus(options.seed, options.quick ? SYNTHETIC_CHARACTERS.quick : SYNTHETIC_CHARACTERS.full) : await readCorpus(options.data);
  const started = performance.now();
  const report = await experiment.run({ quick: options.quick, seed: options.seed, corpus, backend: options.backend, progress: options.progress });
  const run: RunInfo = {
    date: (options.date ?? new Date()).toISOString().slice(0, 10),
    seed: options.seed,
    quick: options.quick,
    seconds: (performance.now() - started) / 1000,
    command: options.command,
  };
  await writeReport(options.out, report, run);
  return { report, run };
}
