// Training checkpoints: one folder in the layout `loadModel` reads —
// config.json, model.safetensors, tokenizer.json (or a PEFT adapter for a LoRA
// fine-tune) — plus what resuming needs:
//
//   optimizer.safetensors   AdamW state, torch's names: <param>.exp_avg, <param>.exp_avg_sq,
//                           <param>.step; metadata {"step": optimizer steps}
//   trainer_state.json      iteration (= the data position: batches are drawn from
//                           streams seeded by the run's seed and the iteration), the
//                           run's configuration, the loss history
//   loss.svg                training and validation curves
//
// Writes are atomic for the folder as a whole. Everything is written into a
// staging folder `.<name>.next` beside it, trainer_state.json last (its presence
// marks the staging folder complete); then the old checkpoint is renamed to
// `.<name>.prev`, the staging folder to `<name>`, and the old one removed. A
// process killed at any point leaves `<name>` holding either the previous
// complete checkpoint or the new complete one — never a mixture or a
// half-written file — except in the instant between the two renames, when
// `<name>` is absent and both complete folders exist under their staging names;
// recoverCheckpoint (run before every read and write) puts the newer one back.
import { mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { ModelFormatError } from "../errors.js";
import { writeFileAtomic } from "../io/file-bytes.js";
import { readJsonObject } from "../io/json-file.js";
import { readSafetensors, writeSafetensors } from "../io/safetensors.js";
import type { JsonObject } from "../models/config-reader.js";
import type { AdamWState } from "./adamw.js";

export const TRAINER_STATE_FILE = "trainer_state.json";
export const OPTIMIZER_FILE = "optimizer.safetensors";
export const LOSS_PLOT_FILE = "loss.svg";

export interface CheckpointContents {
  /** Writes the model (or adapter) files into the given folder. */
  writeModel(dir: string): Promise<void>;
  optimizer: AdamWState;
  /** Written last, as trainer_state.json. */
  trainerState: JsonObject;
  /** Other text files of the checkpoint (e.g. loss.svg). */
  textFiles?: Readonly<Record<string, string>>;
}

export interface SavedTrainingState {
  trainerState: JsonObject;
  optimizer: AdamWState;
}

/** The staging and previous-checkpoint folders of a checkpoint folder. */
export function checkpointSideFolders(dir: string): { staging: string; previous: string } {
  const full = resolve(dir);
  const name = basename(full);
  return { staging: join(dirname(full), `.${name}.next`), previous: join(dirname(full), `.${name}.prev`) };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** fsync a folder so the renames in it survive a power cut (best effort: not every platform allows it). */
async function syncFolder(dir: string): Promise<void> {
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Windows cannot open folders; durability across power loss is then the OS's.
  }
}

/**
 * Completes or undoes a checkpoint write that a killed process left half-way.
 * Returns what it found: "none" (no checkpoint), "intact", or which complete
 * checkpoint it put back ("restored-new", "restored-previous").
 */
export async function recoverCheckpoint(dir: string): Promise<"none" | "intact" | "restored-new" | "restored-previous"> {
  const full = resolve(dir);
  const { staging, previous } = checkpointSideFolders(full);
  let outcome: "none" | "intact" | "restored-new" | "restored-previous" = "none";
  if (await exists(full)) {
    outcome = "intact";
  } else if (await exists(join(staging, TRAINER_STATE_FILE))) {
    await rename(staging, full); // the new checkpoint was complete: it was staged before the old one moved
    outcome = "restored-new";
  } else if (await exists(previous)) {
    await rename(previous, full);
    outcome = "restored-previous";
  }
  await rm(staging, { recursive: true, force: true });
  await rm(previous, { recursive: true, force: true });
  if (outcome !== "intact" && outcome !== "none") await syncFolder(dirname(full));
  return outcome;
}

/** True when dir holds a training checkpoint (after recovering an interrupted write). */
export async function isCheckpoint(dir: string): Promise<boolean> {
  await recoverCheckpoint(dir);
  return exists(join(dir, TRAINER_STATE_FILE));
}

/**
 * Fails unless dir can receive checkpoints: absent, empty, or a checkpoint
 * already (run it before training, so that a mistake costs nothing).
 */
export async function checkCheckpointTarget(dir: string): Promise<void> {
  const full = resolve(dir);
  await recoverCheckpoint(full);
  if (!(await exists(full))) return;
  const info = await stat(full);
  if (!info.isDirectory()) throw new ModelFormatError(full, "exists and is not a folder; choose another --out");
  const entries = await readdir(full);
  if (entries.length > 0 && !entries.includes(TRAINER_STATE_FILE)) {
    throw new ModelFormatError(full, "exists and is not a training checkpoint; refusing to replace it (choose another --out)");
  }
}

/**
 * Writes a checkpoint folder atomically (see the header). An existing folder
 * that is not a checkpoint and not empty is refused rather than replaced.
 */
export async function saveCheckpoint(dir: string, contents: CheckpointContents): Promise<void> {
  const full = resolve(dir);
  await checkCheckpointTarget(full);
  const { staging, previous } = checkpointSideFolders(full);
  await mkdir(dirname(full), { recursive: true });
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging);

  await contents.writeModel(staging);
  await writeSafetensors(
    join(staging, OPTIMIZER_FILE),
    [...contents.optimizer.tensors].map(([name, data]) => ({ name, shape: [data.length], data })),
    { format: "lmscope-adamw", step: String(contents.optimizer.step) },
  );
  for (const [name, text] of Object.entries(contents.textFiles ?? {})) {
    await writeFileAtomic(join(staging, name), [new TextEncoder().encode(text)]);
  }
  await writeFileAtomic(join(staging, TRAINER_STATE_FILE), [new TextEncoder().encode(`${JSON.stringify(contents.trainerState)}\n`)]);
  await syncFolder(staging);

  const hadPrevious = await exists(full);
  if (hadPrevious) await rename(full, previous);
  await rename(staging, full);
  await syncFolder(dirname(full));
  if (hadPrevious) await rm(previous, { recursive: true, force: true });
}

/** The optimizer state and trainer state of a checkpoint. */
export async function readCheckpoint(dir: string): Promise<SavedTrainingState> {
  const full = resolve(dir);
  await recoverCheckpoint(full);
  const statePath = join(full, TRAINER_STATE_FILE);
  if (!(await exists(statePath))) throw new ModelFormatError(full, `is not a training checkpoint (no ${TRAINER_STATE_FILE})`);
  const trainerState = await readJsonObject(statePath);
  const optimizerPath = join(full, OPTIMIZER_FILE);
  const file = await readSafetensors(optimizerPath);
  const step = Number(file.metadata["step"]);
  if (!Number.isSafeInteger(step) || step < 0) throw new ModelFormatError(optimizerPath, `metadata "step" ${JSON.stringify(file.metadata["step"])} is not a step count`);
  const tensors = new Map<string, Float32Array>();
  for (const [name, record] of file.tensors) tensors.set(name, record.data);
  return { trainerState, optimizer: { step, tensors } };
}
