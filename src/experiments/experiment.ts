// What a named experiment is: a seeded, reproducible comparison that trains and
// measures models and returns a report (report.ts). Its context fixes the budget
// (--quick: a smoke test of minutes at most, else the full run), the seed every
// random draw derives from, the corpus, the backend models train on, and the
// progress reporter.

import type { Backend } from "../backend/backend.js";
import type { Corpus } from "./corpus.js";
import type { ProgressReporter } from "./progress.js";
import type { ExperimentReport } from "./report.js";

export interface ExperimentContext {
  readonly quick: boolean;
  readonly seed: number;
  readonly corpus: Corpus;
  /** Where models train (timings of generation use the js reference backend, the same loops for every variant). */
  readonly backend: Backend;
  readonly progress: ProgressReporter;
}

export interface Experiment {
  readonly name: string;
  /** One line for `lmscope experiment --help`. */
  readonly summary: string;
  run(context: ExperimentContext): Promise<ExperimentReport>;
}

/** Formats a number with `digits` significant digits, thousands separated (tables). */
export function fmt(value: number, digits = 4): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 10 ** digits) return Math.round(value).toLocaleString("en-US");
  return Number(value.toPrecision(digits)).toLocaleString("en-US", { maximumSignificantDigits: digits });
}

/** An integer with thousands separators. */
export function count(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

/** Total elements of a model's trainable parameters (each tensor once). */
export function parameterCount(model: { namedParameters(): [string, { size: number }][] }): number {
  const seen = new Set<object>();
  let total = 0;
  for (const [, p] of model.namedParameters()) {
    if (seen.has(p)) continue;
    seen.add(p);
    total += p.size;
  }
  return total;
}
