// `lmscope experiment <name>`: runs one of the named, seeded comparisons of
// src/experiments with a progress bar (cli-progress) and writes its report —
// report.md, SVG plots, results.json — into --out.

import { resolve } from "node:path";
import cliProgress from "cli-progress";
import type { CliIo, Command } from "../command.js";
import { createBackend } from "../../backend/select.js";
import { backendFlags } from "../generation-flags.js";
import { OptionError } from "../../errors.js";
import { EXPERIMENTS, experimentNamed, runExperiment } from "../../experiments/index.js";
import type { ProgressReporter } from "../../experiments/progress.js";
import { formatSeconds } from "../../experiments/report.js";
import { numberOption, parseCommandLine, stringOption } from "../options.js";

const DEFAULT_SEED = 1;

const usage = `usage: lmscope experiment <name> [--quick] [--out <dir>] [--seed <n>] [--data <file>]

Runs a named comparison — models trained and measured with one seed — and
writes its report (report.md with tables, SVG plots, results.json) into --out.

experiments:
${EXPERIMENTS.map((e) => `  ${e.name.padEnd(20)} ${e.summary}`).join("\n")}

  --quick                   a smoke-test budget (tiny models, a few steps: well under two minutes)
  --out <dir>               report folder (default ./experiment-<name>)
  --seed <n>                seed of every random draw (default ${DEFAULT_SEED}); the same seed gives the same numbers
  --data <file>             UTF-8 text to train on (e.g. tinyshakespeare.txt); default: text generated from the seed
  --backend <js|wasm|auto>  backend models train on (default auto); generation timings always use js
  --threads <n>             threads of the wasm backend (default 1)
`;

/**
 * A cli-progress bar per phase; on a non-terminal stream it prints the bar as a
 * line every 10 s instead. Training keeps the event loop busy, so the bar's own
 * timer never fires: each update draws it, at most every 200 ms (10 s off a terminal).
 */
function progressBar(io: CliIo): ProgressReporter {
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  const interval = tty ? 200 : 10_000;
  let bar: cliProgress.SingleBar | null = null;
  let drawn = 0;
  return {
    begin(label, total) {
      bar = new cliProgress.SingleBar(
        {
          format: "{label} [{bar}] {value}/{total} | {status} | {duration_formatted}, ETA {eta_formatted}",
          stream: io.stderr,
          hideCursor: tty,
          noTTYOutput: !tty,
          notTTYSchedule: 10_000,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0, { label: label.padEnd(28), status: "" });
    },
    update(done, status = "") {
      if (bar === null) return;
      bar.update(done, { status });
      const now = performance.now();
      if (now - drawn >= interval) {
        drawn = now;
        bar.render();
      }
    },
    end() {
      bar?.stop();
      bar = null;
    },
    note(line) {
      io.stderr.write(`${line}\n`);
    },
  };
}

export const experimentCommand: Command = {
  name: "experiment",
  summary: "run a named, seeded comparison and write its report (tables and plots)",
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandLine(
      argv,
      {
        quick: { type: "boolean" },
        out: { type: "string" },
        seed: { type: "string" },
        data: { type: "string" },
        backend: { type: "string" },
        threads: { type: "string" },
      },
      true,
    );
    if (positionals.length !== 1) throw new OptionError("experiment", `expected one experiment name (${EXPERIMENTS.map((e) => e.name).join(", ")}), got ${positionals.length}`);
    const experiment = experimentNamed(positionals[0]!);
    const seed = numberOption(values, "seed") ?? DEFAULT_SEED;
    if (!(Number.isSafeInteger(seed) && seed >= 0)) throw new OptionError("--seed", `expected a non-negative integer, got ${seed}`);
    const threads = numberOption(values, "threads") ?? 1;
    if (!(Number.isInteger(threads) && threads >= 1)) throw new OptionError("--threads", `expected a positive integer, got ${threads}`);
    const backend = await createBackend({ ...backendFlags(values), threads });
    const quick = values["quick"] === true;
    const out = resolve(stringOption(values, "out") ?? `experiment-${experiment.name}`);
    const data = stringOption(values, "data");
    const command = ["lmscope experiment", experiment.name, ...(quick ? ["--quick"] : []), `--seed ${seed}`, ...(data === undefined ? [] : [`--data ${data}`])].join(" ");
    const progress = progressBar(io);
    let outcome: Awaited<ReturnType<typeof runExperiment>>;
    try {
      outcome = await runExperiment(experiment, { quick, seed, ...(data === undefined ? {} : { data: resolve(data) }), backend, progress, out, command });
    } finally {
      progress.end(); // a failed run must not leave the bar's timer holding the process
    }
    const { report, run } = outcome;
    io.stdout.write(`${report.title}\n`);
    for (const finding of report.findings) io.stdout.write(`- ${finding}\n`);
    io.stdout.write(`report in ${out} (${formatSeconds(run.seconds)})\n`);
    return 0;
  },
};
