// How an experiment tells its runner how far it has got: a named phase with a
// number of steps, advanced step by step with a short status. The command line
// draws it as a progress bar (cli/commands/experiment.ts, with cli-progress);
// tests pass the silent reporter.

export interface ProgressReporter {
  /** A new phase of `total` steps, e.g. "train linear" or "generate 4,096 tokens". */
  begin(label: string, total: number): void;
  /** `done` of the phase's steps are finished; `status` is a short note (a loss, a rate). */
  update(done: number, status?: string): void;
  /** The phase is over. */
  end(): void;
  /** A line of text between phases (what was measured). */
  note(line: string): void;
}

export const silentProgress: ProgressReporter = {
  begin: () => undefined,
  update: () => undefined,
  end: () => undefined,
  note: () => undefined,
};
