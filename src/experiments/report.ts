// An experiment's report: what was run (setup), the numbers (tables), the plots,
// the sentences the numbers support (findings, computed from them), and every
// number again as JSON for machines. Written to a folder as report.md (Markdown),
// one SVG per plot and results.json; results.json separates what the seed
// determines (losses, perplexities, parameter counts, state sizes) from what the
// machine determines (times, rates), so two runs with one seed can be compared.

import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { lineChartSvg, type Chart } from "./charts.js";

export type Cell = string | number;

export interface ReportTable {
  readonly title: string;
  readonly columns: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
}

export interface ReportPlot {
  /** File name in the report folder, e.g. "loss.svg". */
  readonly file: string;
  readonly caption: string;
  readonly chart: Chart;
}

/** JSON values of a report's results. */
export type ResultValue = number | string | boolean | null | readonly ResultValue[] | { readonly [key: string]: ResultValue };

export interface ExperimentResults {
  /** Numbers the seed determines: the same seed gives the same values. */
  readonly deterministic: { readonly [key: string]: ResultValue };
  /** Numbers the machine determines (wall times, token rates). */
  readonly measured: { readonly [key: string]: ResultValue };
}

export interface ExperimentReport {
  readonly name: string;
  readonly title: string;
  /** What question the experiment asks, in a sentence or two. */
  readonly question: string;
  readonly setup: readonly (readonly [string, string])[];
  readonly tables: readonly ReportTable[];
  readonly plots: readonly ReportPlot[];
  /** Statements computed from the numbers. */
  readonly findings: readonly string[];
  readonly results: ExperimentResults;
}

export interface RunInfo {
  /** ISO date of the run (the report is dated). */
  readonly date: string;
  readonly seed: number;
  readonly quick: boolean;
  /** Wall time of the whole run. */
  readonly seconds: number;
  /** The command that reproduces the run. */
  readonly command: string;
}

function cell(value: Cell): string {
  return String(value).replace(/\|/g, "\\|");
}

export function markdownTable(table: ReportTable): string {
  const lines = [`| ${table.columns.map(cell).join(" | ")} |`, `| ${table.columns.map(() => "---").join(" | ")} |`];
  for (const row of table.rows) lines.push(`| ${row.map(cell).join(" | ")} |`);
  return lines.join("\n");
}

export function reportMarkdown(report: ExperimentReport, run: RunInfo): string {
  const out: string[] = [];
  out.push(`# ${report.title}`, "");
  out.push(`Run on ${run.date}${run.quick ? " (--quick: a smoke-test budget; the numbers say little)" : ""}, seed ${run.seed}, ${formatSeconds(run.seconds)} wall time.`, "");
  out.push(`Reproduce: \`${run.command}\``, "");
  out.push(report.question, "");
  out.push("## Setup", "");
  for (const [key, value] of report.setup) out.push(`- **${key}**: ${value}`);
  out.push("");
  for (const table of report.tables) out.push(`## ${table.title}`, "", markdownTable(table), "");
  if (report.plots.length > 0) {
    out.push("## Plots", "");
    for (const plot of report.plots) out.push(`![${plot.caption}](${plot.file})`, "", `*${plot.caption}*`, "");
  }
  if (report.findings.length > 0) {
    out.push("## What the numbers say", "");
    for (const finding of report.findings) out.push(`- ${finding}`);
    out.push("");
  }
  return out.join("\n");
}

/** Writes report.md, the plots and results.json into `dir`. */
export async function writeReport(dir: string, report: ExperimentReport, run: RunInfo): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "report.md"), reportMarkdown(report, run));
  for (const plot of report.plots) await writeFile(join(dir, plot.file), lineChartSvg(plot.chart));
  const json = { experiment: report.name, title: report.title, run, setup: Object.fromEntries(report.setup), tables: report.tables, results: report.results };
  await writeFile(join(dir, "results.json"), `${JSON.stringify(json, null, 2)}\n`);
}

export function formatSeconds(seconds: number): string {
  if (seconds < 90) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 90) return `${minutes} min ${Math.round(seconds - 60 * minutes)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
