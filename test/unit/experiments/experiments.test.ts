// Every experiment with --quick on the generated corpus (the tests read no data
// file): once through the CLI, once through the library with the same seed. The
// report has its structure — report.md with a dated title, setup, tables and the
// plots it links, the SVGs, results.json — and the numbers the seed determines
// are the same both times; another seed changes them.
import assert from "node:assert/strict";
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createBackend } from "../../../src/backend/select.js";
import { main } from "../../../src/cli/main.js";
import { EXPERIMENTS, experimentNamed, runExperiment } from "../../../src/experiments/index.js";
import { silentProgress } from "../../../src/experiments/progress.js";
import { captureIo } from "../../helpers/capture.js";

interface ResultsJson {
  experiment: string;
  run: { date: string; seed: number; quick: boolean; seconds: number };
  tables: { title: string; columns: string[]; rows: unknown[][] }[];
  results: { deterministic: Record<string, unknown>; measured: Record<string, unknown> };
}

async function readResults(dir: string): Promise<ResultsJson> {
  return JSON.parse(await readFile(join(dir, "results.json"), "utf8")) as ResultsJson;
}

async function checkReport(dir: string, name: string): Promise<ResultsJson> {
  const files = await readdir(dir);
  const markdown = await readFile(join(dir, "report.md"), "utf8");
  assert.match(markdown, /^# .+\n\nRun on \d{4}-\d{2}-\d{2} \(--quick/);
  assert.match(markdown, /\n## Setup\n/);
  assert.match(markdown, /\n\| [^\n]+ \|\n\| --- \|/);
  const linked = [...markdown.matchAll(/!\[[^\]]*\]\(([^)]+\.svg)\)/g)].map((m) => m[1]!);
  assert.ok(linked.length > 0, "no plot linked");
  for (const svg of linked) {
    assert.ok(files.includes(svg), `${svg} linked but not written`);
    const text = await readFile(join(dir, svg), "utf8");
    assert.match(text, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>/);
    assert.match(text, /<polyline /);
  }
  const results = await readResults(dir);
  assert.equal(results.experiment, name);
  assert.equal(results.run.quick, true);
  assert.ok(results.run.seconds < 120, `--quick took ${results.run.seconds} s`);
  assert.ok(results.tables.length > 0 && results.tables.every((t) => t.rows.length > 0 && t.rows.every((r) => r.length === t.columns.length)));
  assert.ok(Object.keys(results.results.deterministic).length > 0);
  return results;
}

for (const experiment of EXPERIMENTS) {
  test(`experiment ${experiment.name} --quick: a complete report, and the same numbers for the same seed`, async () => {
    const root = await mkdtemp(join(tmpdir(), `experiment-${experiment.name}-`));
    try {
      const io = captureIo();
      const code = await main(["experiment", experiment.name, "--quick", "--seed", "3", "--out", join(root, "cli"), "--backend", "wasm"], io);
      assert.equal(code, 0, io.stderr.text);
      assert.match(io.stdout.text, /report in /);
      const first = await checkReport(join(root, "cli"), experiment.name);
      await runExperiment(experimentNamed(experiment.name), {
        quick: true,
        seed: 3,
        backend: await createBackend({ backend: "wasm", threads: 1 }),
        progress: silentProgress,
        out: join(root, "library"),
        command: "test",
      });
      const second = await checkReport(join(root, "library"), experiment.name);
      assert.deepEqual(second.results.deterministic, first.results.deterministic);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
}

test("experiment scaling --quick: another seed gives other numbers", async () => {
  const root = await mkdtemp(join(tmpdir(), "experiment-seed-"));
  try {
    const backend = await createBackend({ backend: "wasm", threads: 1 });
    const run = async (seed: number) => {
      const out = join(root, String(seed));
      await runExperiment(experimentNamed("scaling"), { quick: true, seed, backend, progress: silentProgress, out, command: "test" });
      return (await readResults(out)).results.deterministic;
    };
    assert.notDeepEqual(await run(3), await run(4));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test("experiment: an unknown name or a bad seed is an error that names it", async () => {
  const io = captureIo();
  assert.equal(await main(["experiment", "attention-is-all"], io), 1);
  assert.match(io.stderr.text, /unknown experiment "attention-is-all" \(known: transformer-vs-rnn, positions, attention, scaling\)/);
  const io2 = captureIo();
  assert.equal(await main(["experiment", "positions", "--seed", "-2"], io2), 1);
  assert.match(io2.stderr.text, /--seed/);
  const io3 = captureIo();
  assert.equal(await main(["experiment", "positions", "--data", "/nonexistent/corpus.txt", "--quick"], io3), 1);
  assert.match(io3.stderr.text, /cannot read data file \/nonexistent\/corpus\.txt/);
});
