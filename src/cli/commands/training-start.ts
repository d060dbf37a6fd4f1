// How `lmscope train` and `lmscope train-seq2seq` start a run: their shared flags,
// the backend, and either a new run (a fresh --out, the named configuration with its
// --set overrides) or a resumed one (--resume: the checkpoint's own configuration and
// data file, whose text must be the one it was trained on).
import { join, resolve } from "node:path";
import { createBackend } from "../../backend/select.js";
import { backendFlags } from "../generation-flags.js";
import type { Backend } from "../../backend/backend.js";
import { InputError, OptionError } from "../../errors.js";
import type { JsonObject } from "../../models/config-reader.js";
import { checkCheckpointTarget, isCheckpoint, readCheckpoint, TRAINER_STATE_FILE } from "../../training/checkpoint.js";
import { readTextFile, textFingerprint } from "../../training/datasets/index.js";
import { numberOption, parseCommandLine, requiredString, stringOption, type OptionSpec, type Parsed } from "../options.js";

/** The command-line flags every from-scratch training command takes. */
export const TRAINING_FLAGS = {
  data: { type: "string" },
  out: { type: "string" },
  config: { type: "string" },
  set: { type: "string", multiple: true },
  tokenizer: { type: "string" },
  resume: { type: "boolean" },
  backend: { type: "string" },
  threads: { type: "string" },
  "log-interval": { type: "string" },
} satisfies OptionSpec;

export interface TrainingCommand<C> {
  /** trainer_state.json's "kind", e.g. "train". */
  readonly kind: string;
  /** Added to the error for a checkpoint of another kind. */
  readonly otherKindHint?: string;
  /** The configuration (preset or file) when --config is not given. */
  readonly defaultConfig: string;
  /** The run configuration saved in a checkpoint. */
  fromJson(json: JsonObject, file: string): C;
  /** The named preset or JSON file with --set overrides and an optional tokenizer. */
  read(config: string, sets: readonly string[], tokenizer: string | undefined): Promise<C>;
}

export interface TrainingStart<C> {
  readonly values: Parsed["values"];
  readonly out: string;
  readonly logInterval: number;
  readonly backend: Backend;
  readonly config: C;
  readonly dataPath: string;
  readonly text: string;
  readonly fingerprint: string;
  /** The checkpoint being resumed, or undefined for a new run. */
  readonly saved: Awaited<ReturnType<typeof readCheckpoint>> | undefined;
}

export async function startTraining<C>(argv: string[], command: TrainingCommand<C>): Promise<TrainingStart<C>> {
  const { values } = parseCommandLine(argv, TRAINING_FLAGS, false);
  const out = resolve(requiredString(values, "out"));
  const logInterval = numberOption(values, "log-interval") ?? 10;
  if (!(Number.isInteger(logInterval) && logInterval >= 1)) throw new OptionError("--log-interval", `expected a positive integer, got ${logInterval}`);
  const backend = await createBackend(backendFlags(values));

  let config: C;
  let dataPath: string;
  let saved: TrainingStart<C>["saved"];
  if (values["resume"] === true) {
    if (!(await isCheckpoint(out))) throw new InputError(`--resume: ${out} holds no training checkpoint (no ${TRAINER_STATE_FILE})`);
    if (values["config"] !== undefined || values["set"] !== undefined || values["tokenizer"] !== undefined) {
      throw new OptionError("--resume", "continues the checkpoint's own configuration; leave out --config, --set and --tokenizer");
    }
    saved = await readCheckpoint(out);
    const statePath = join(out, TRAINER_STATE_FILE);
    if (saved.trainerState["kind"] !== command.kind) {
      throw new InputError(`${statePath} is not from \`lmscope ${command.kind}\`${command.otherKindHint === undefined ? "" : ` (${command.otherKindHint})`}`);
    }
    config = command.fromJson({ ...(saved.trainerState["run"] as JsonObject) }, statePath);
    dataPath = resolve(stringOption(values, "data") ?? String((saved.trainerState["data"] as JsonObject)["file"]));
  } else {
    dataPath = resolve(requiredString(values, "data"));
    if (await isCheckpoint(out)) throw new InputError(`${out} already holds a training checkpoint: pass --resume to continue it, or choose another --out`);
    await checkCheckpointTarget(out);
    config = await command.read(stringOption(values, "config") ?? command.defaultConfig, (values["set"] as string[] | undefined) ?? [], stringOption(values, "tokenizer"));
  }

  const text = await readTextFile(dataPath);
  const fingerprint = textFingerprint(text);
  if (saved !== undefined) {
    const expected = (saved.trainerState["data"] as JsonObject)["fingerprint"];
    if (expected !== fingerprint) throw new InputError(`${dataPath} is not the text this run was trained on (fingerprint ${fingerprint}, checkpoint has ${String(expected)})`);
  }
  return { values, out, logInterval, backend, config, dataPath, text, fingerprint, saved };
}
