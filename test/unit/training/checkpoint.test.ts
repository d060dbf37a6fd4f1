// Checkpoint folders: everything written and read back; the swap leaves either
// the previous or the new complete checkpoint whatever moment a process dies;
// a folder that is not a checkpoint is never replaced.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  checkpointSideFolders,
  isCheckpoint,
  readCheckpoint,
  recoverCheckpoint,
  saveCheckpoint,
  type CheckpointContents,
} from "../../../src/training/checkpoint.js";

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), "lmscope-ckpt-"));
});
after(async () => rm(root, { recursive: true, force: true }));

function contents(step: number): CheckpointContents {
  return {
    writeModel: async (dir) => writeFile(join(dir, "model.txt"), `model at ${step}`),
    optimizer: { step, tensors: new Map([["w.exp_avg", Float32Array.of(step, 0.1)], ["w.exp_avg_sq", Float32Array.of(1e-8, 3)], ["w.step", Float32Array.of(step)]]) },
    trainerState: { iteration: step, losses: [1.25, 1 / 3] },
    textFiles: { "loss.svg": "<svg/>" },
  };
}

test("a saved checkpoint reads back exactly, with no staging folders left", async () => {
  const dir = join(root, "plain");
  await saveCheckpoint(dir, contents(3));
  assert.deepEqual((await readdir(dir)).sort(), ["loss.svg", "model.txt", "optimizer.safetensors", "trainer_state.json"]);
  const saved = await readCheckpoint(dir);
  assert.deepEqual(saved.trainerState, { iteration: 3, losses: [1.25, 1 / 3] });
  assert.equal(saved.optimizer.step, 3);
  assert.deepEqual([...saved.optimizer.tensors.keys()].sort(), ["w.exp_avg", "w.exp_avg_sq", "w.step"]);
  assert.deepEqual(Array.from(saved.optimizer.tensors.get("w.exp_avg")!), Array.from(Float32Array.of(3, 0.1)));
  await saveCheckpoint(dir, contents(4));
  assert.equal(await readFile(join(dir, "model.txt"), "utf8"), "model at 4");
  assert.deepEqual((await readdir(root)).sort(), ["plain"]);
});

test("recovery after a kill between the two renames restores the new checkpoint", async () => {
  const dir = join(root, "between");
  await saveCheckpoint(dir, contents(1));
  const { staging, previous } = checkpointSideFolders(dir);
  // the state a kill leaves after `rename(dir, previous)`, before `rename(staging, dir)`
  await mkdir(staging);
  for (const [name, text] of [["model.txt", "model at 2"], ["trainer_state.json", '{"iteration":2}']]) await writeFile(join(staging, name), text!);
  await rename(dir, previous);
  assert.equal(await recoverCheckpoint(dir), "restored-new");
  assert.equal(await readFile(join(dir, "model.txt"), "utf8"), "model at 2");
  assert.deepEqual((await readdir(root)).filter((f) => f.includes("between")), ["between"]);
});

test("recovery with an incomplete staging folder keeps the previous checkpoint", async () => {
  const dir = join(root, "partial");
  await saveCheckpoint(dir, contents(1));
  const { staging, previous } = checkpointSideFolders(dir);
  await mkdir(staging);
  await writeFile(join(staging, "model.txt"), "half"); // no trainer_state.json: the write was cut short
  assert.equal(await recoverCheckpoint(dir), "intact");
  assert.deepEqual((await readdir(root)).filter((f) => f.includes("partial")), ["partial"]);
  // …and when the old folder had already moved aside
  await mkdir(staging);
  await writeFile(join(staging, "model.txt"), "half");
  await rename(dir, previous);
  assert.equal(await recoverCheckpoint(dir), "restored-previous");
  assert.equal(await readFile(join(dir, "model.txt"), "utf8"), "model at 1");
  assert.equal(await isCheckpoint(dir), true);
});

test("a failure while writing leaves the previous checkpoint untouched", async () => {
  const dir = join(root, "failing");
  await saveCheckpoint(dir, contents(1));
  const failing = { ...contents(2), writeModel: async () => Promise.reject(new Error("disk full")) };
  await assert.rejects(saveCheckpoint(dir, failing), /disk full/);
  assert.equal(await readFile(join(dir, "model.txt"), "utf8"), "model at 1");
  assert.equal((await readCheckpoint(dir)).optimizer.step, 1);
});

test("a folder that is not a checkpoint is refused, not replaced", async () => {
  const dir = join(root, "user-folder");
  await mkdir(dir);
  await writeFile(join(dir, "notes.txt"), "mine");
  await assert.rejects(saveCheckpoint(dir, contents(1)), /is not a training checkpoint; refusing to replace it/);
  assert.equal(await readFile(join(dir, "notes.txt"), "utf8"), "mine");
  await assert.rejects(readCheckpoint(dir), /is not a training checkpoint/);
  assert.equal(await isCheckpoint(join(root, "absent")), false);
});
