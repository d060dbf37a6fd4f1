// Resuming: a run continued from a checkpoint repeats the uninterrupted run bit
// for bit — in-process (tiny model) and across processes, where a `lmscope train`
// is killed with SIGKILL after its first checkpoint and resumed with --resume.
// The killed run's checkpoint folder must hold only complete files.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { access, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { main } from "../../../src/cli/main.js";
import { parseSafetensors } from "../../../src/io/safetensors.js";
import { checkpointSideFolders, readCheckpoint, saveCheckpoint } from "../../../src/training/checkpoint.js";
import { Trainer, type TrainingProgress } from "../../../src/training/trainer.js";
import { captureIo } from "../../helpers/capture.js";
import { REPO_ROOT } from "../../helpers/paths.js";
import { patternData, TinyModel, tinyConfig } from "./helpers/tiny-model.js";

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), "lmscope-resume-"));
});
after(async () => rm(root, { recursive: true, force: true }));

test("in-process: resuming from a checkpoint gives the losses and weights of the uninterrupted run", async () => {
  const data = { train: patternData(300, 6), validation: patternData(80, 6, 9) };
  const config = tinyConfig({ maxIters: 24, checkpointInterval: 10, dropout: 0.1, gradientAccumulationSteps: 2 });
  const uninterrupted = new TinyModel(6, 8, 8);
  const full = await new Trainer(uninterrupted, data, config).train();

  const dir = join(root, "in-process");
  const first = new TinyModel(6, 8, 8);
  const stopAt10 = new Trainer(first, data, { ...config, maxIters: 24 });
  await stopAt10.train({
    checkpoint: async (t) => {
      if (t.progress.iteration !== 10) return;
      await saveCheckpoint(dir, { writeModel: (d) => first.save(d), optimizer: t.optimizer.exportState(), trainerState: { progress: JSON.parse(JSON.stringify(t.progress)) } });
      throw new Error("stop");
    },
  }).catch((error: Error) => assert.equal(error.message, "stop"));

  const saved = await readCheckpoint(dir);
  const resumedModel = new TinyModel(6, 8, 8, 999); // different initial weights: all must come from the checkpoint
  await resumedModel.restore(dir);
  const resumed = await new Trainer(resumedModel, data, config, { progress: saved.trainerState["progress"] as unknown as TrainingProgress, optimizer: saved.optimizer }).train();
  assert.deepEqual(resumed.trainLosses, full.trainLosses);
  assert.deepEqual(resumed.evals, full.evals);
  assert.deepEqual(resumed.finalValidation, full.finalValidation);
  uninterrupted.params.forEach((p, k) => assert.deepEqual(resumedModel.params[k]!.data, p.data, p.name));
});

/** The argv that runs `lmscope train …` in a child process: bin.js once `train` is registered there, else the command module. */
async function trainArgv(args: string[]): Promise<string[]> {
  const io = captureIo();
  await main(["--help"], io);
  if (/^\s+train\s/m.test(io.stdout.text)) return [join(REPO_ROOT, "dist/src/cli/bin.js"), "train", ...args];
  const module = join(REPO_ROOT, "dist/src/cli/commands/train.js");
  const script = `const { trainCommand } = await import(${JSON.stringify(module)}); process.exitCode = await trainCommand.run(process.argv.slice(1), { stdout: process.stdout, stderr: process.stderr });`;
  return ["--input-type=module", "-e", script, "--", ...args];
}

interface Child {
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  kill(): void;
}

function run(argv: string[]): Child {
  const child = spawn(process.execPath, argv, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return {
    done: new Promise((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stderr }))),
    kill: () => child.kill("SIGKILL"),
  };
}

const exists = (path: string) => access(path).then(() => true, () => false);

const CONFIG = {
  model: { model_type: "gpt2", n_layer: 1, n_head: 2, n_embd: 16 },
  max_iters: 300,
  batch_size: 4,
  block_size: 16,
  learning_rate: 3e-3,
  min_lr: 3e-4,
  warmup_iters: 10,
  lr_decay_iters: 300,
  eval_interval: 50,
  eval_iters: 2,
  checkpoint_interval: 10,
  dropout: 0.1,
  seed: 42,
};

test("SIGKILL mid-run, then --resume: identical losses and weights to an uninterrupted run; no partial checkpoint files", async () => {
  const text = Array.from({ length: 120 }, (_, i) => `Line ${i}: to be, or not to be, that is the question ${i % 7}.\n`).join("");
  const dataPath = join(root, "text.txt");
  const configPath = join(root, "config.json");
  await writeFile(dataPath, text);
  await writeFile(configPath, JSON.stringify(CONFIG));
  const common = ["--data", dataPath, "--config", configPath, "--backend", "js"];
  const killedOut = join(root, "killed");
  const fullOut = join(root, "full");

  // the uninterrupted run, concurrently with the one to be killed
  const full = run(await trainArgv([...common, "--out", fullOut]));
  const victim = run(await trainArgv([...common, "--out", killedOut]));
  const deadline = Date.now() + 20_000;
  while (!(await exists(join(killedOut, "trainer_state.json")))) {
    if (Date.now() > deadline) assert.fail("no checkpoint appeared within 20 s");
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, 30 + Math.random() * 40)); // land somewhere in the next steps or checkpoint writes
  victim.kill();
  const killed = await victim.done;
  assert.equal(killed.signal, "SIGKILL", `the run ended before the kill: ${killed.stderr}`);

  // what the kill left: the checkpoint folder holds complete files only (were the kill to land in the
  // instant between the swap's two renames, the complete new checkpoint waits in the staging folder)
  const visible = (await exists(killedOut)) ? killedOut : checkpointSideFolders(killedOut).staging;
  const leftFiles = (await readdir(visible)).sort();
  assert.deepEqual(leftFiles, ["config.json", "loss.svg", "model.safetensors", "optimizer.safetensors", "tokenizer.json", "tokenizer_config.json", "trainer_state.json"]);
  for (const name of ["model.safetensors", "optimizer.safetensors"]) parseSafetensors(new Uint8Array(await readFile(join(visible, name))), name);
  for (const name of ["config.json", "tokenizer.json", "tokenizer_config.json", "trainer_state.json"]) JSON.parse(await readFile(join(visible, name), "utf8"));
  const checkpointed = JSON.parse(await readFile(join(visible, "trainer_state.json"), "utf8")).progress.iteration as number;
  assert.ok(checkpointed > 0 && checkpointed < CONFIG.max_iters && checkpointed % CONFIG.checkpoint_interval === 0, `checkpoint at ${checkpointed}`);

  const resumed = await run(await trainArgv(["--resume", "--out", killedOut, "--backend", "js"])).done;
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stderr, new RegExp(`resuming at step ${checkpointed} of ${CONFIG.max_iters}`));
  const uninterrupted = await full.done;
  assert.equal(uninterrupted.code, 0, uninterrupted.stderr);

  const stateOf = async (dir: string) => JSON.parse(await readFile(join(dir, "trainer_state.json"), "utf8")).progress;
  const a = await stateOf(fullOut);
  const b = await stateOf(killedOut);
  assert.equal(b.trainLosses.length, CONFIG.max_iters);
  assert.deepEqual(b.trainLosses, a.trainLosses);
  assert.deepEqual(b.learningRates, a.learningRates);
  assert.deepEqual(b.evals, a.evals);
  assert.deepEqual(b.finalValidation, a.finalValidation);
  assert.deepEqual(await readFile(join(killedOut, "model.safetensors")), await readFile(join(fullOut, "model.safetensors")));
  assert.deepEqual(await readFile(join(killedOut, "optimizer.safetensors")), await readFile(join(fullOut, "optimizer.safetensors")));
  // no staging or previous-checkpoint folders remain beside it
  assert.deepEqual((await readdir(root)).filter((f) => f.startsWith(".")), []);
});
