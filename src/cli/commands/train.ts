// `lmscope train`: train a language model from scratch on a text file, with a
// live progress line, periodic validation, atomic checkpoints that `lmscope
// generate` and `lmscope eval` load, loss.svg, and exact resumption.

import { copyFile, readFile, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import type { Command } from "../command.js";
import { ConfigError, InputError, OptionError } from "../../errors.js";
import { createModel, loadModel, type LanguageModel } from "../../language-model.js";
import type { RnnLanguageModel } from "../../recurrent-model.js";
import type { JsonObject } from "../../models/config-reader.js";
import { loadTokenizer } from "../../tokenizers/load.js";
import { TRAINER_STATE_FILE } from "../../training/checkpoint.js";
import { characterDataset, tokenizedDataset, type TextDataset } from "../../training/datasets/index.js";
import { PRESETS, runConfigFromJson, runConfigToJson, type RunConfig } from "../../training/train-config.js";
import { Trainer } from "../../training/trainer.js";
import { finalLine, formatDuration, progressFromJson, runWithCheckpoints } from "./training-run.js";
import { startTraining } from "./training-start.js";


const usage = `usage: lmscope train --data <file> --out <dir> [options]
       lmscope train --resume --out <dir>

Trains a model on a text file: the first 90% of its characters for training,
the rest for validation. Prints a progress line (step, loss, learning rate,
tokens/s, ETA) and the validation loss every eval_interval steps; checkpoints
every checkpoint_interval steps and at the end into --out, in the layout
\`lmscope generate\` and \`lmscope eval\` load (config.json, model.safetensors,
tokenizer.json) plus optimizer.safetensors, trainer_state.json and loss.svg.
Ends with the loss over the whole validation split (sliding windows of
block_size, stride block_size/2).

  --data <file>             UTF-8 text file
  --out <dir>               checkpoint folder (written atomically: a killed run leaves
                            the previous or the new checkpoint, never a partial one)
  --config <json|preset>    run configuration: a JSON file with nanoGPT's field names
                            (max_iters, batch_size, block_size, learning_rate, min_lr,
                            warmup_iters, lr_decay_iters, weight_decay, beta1, beta2,
                            grad_clip, dropout, gradient_accumulation_steps,
                            eval_interval, eval_iters, checkpoint_interval, seed, …)
                            and a "model" object of config.json fields, or a preset:
                            ${Object.keys(PRESETS).join(", ")} (default shakespeare-char)
  --set <key>=<value>       override one configuration field (repeatable), e.g. --set max_iters=500
  --tokenizer <path>        encode with this tokenizer instead of characters
  --resume                  continue the run checkpointed in --out exactly where it stopped
                            (its configuration is reused; --data defaults to the same file)
  --backend <js|wasm|auto>  compute backend (default auto: wasm where WebAssembly SIMD runs)
  --threads <n>             threads for the wasm backend (default: all cores)
  --log-interval <n>        steps between progress lines when stderr is not a terminal (default 10)
`;

export const trainCommand: Command = {
  name: "train",
  summary: "train a model on a text file (checkpoints, resume, loss.svg)",
  usage,
  async run(argv, io) {
    const { out, logInterval, backend, config, dataPath, text, fingerprint, saved } = await startTraining(argv, {
      kind: "train",
      otherKindHint: "resume a fine-tune with `lmscope finetune --resume`",
      defaultConfig: "shakespeare-char",
      fromJson: runConfigFromJson,
      read: readRunConfig,
    });
    const dataset = await buildDataset(text, config);
    const { blockSize } = config.training;
    for (const [split, ids] of [["training", dataset.train], ["validation", dataset.validation]] as const) {
      if (ids.length <= blockSize) throw new InputError(`the ${split} split of ${dataPath} has ${ids.length} tokens; block_size ${blockSize} needs more than that`);
    }

    const model =
      saved === undefined
        ? await createModel<LanguageModel | RnnLanguageModel>({ ...config.model, vocab_size: dataset.vocabSize }, { seed: config.training.seed, tokenizer: dataset.tokenizer, backend })
        : await loadModel<LanguageModel | RnnLanguageModel>(out, { backend });
    const trainer = new Trainer(
      model,
      dataset,
      config.training,
      saved === undefined ? undefined : { progress: progressFromJson(saved.trainerState, join(out, TRAINER_STATE_FILE)), optimizer: saved.optimizer },
    );
    if (saved === undefined) {
      io.stderr.write(
        `training ${String(config.model["model_type"])} (${model.info().parameters.toLocaleString("en-US")} parameters) on ${dataPath}: ` +
          `${dataset.train.length.toLocaleString("en-US")} training and ${dataset.validation.length.toLocaleString("en-US")} validation tokens, vocabulary ${dataset.vocabSize}\n`,
      );
    }
    const progress = await runWithCheckpoints({
      trainer,
      out,
      io,
      title: `lmscope train: ${String(config.model["model_type"])} on ${dataPath.split(/[\\/]/).pop()}`,
      logInterval,
      stateFields: {
        kind: "train",
        run: runConfigToJson(config),
        data: { file: dataPath, fingerprint, train_tokens: dataset.train.length, validation_tokens: dataset.validation.length, vocab_size: dataset.vocabSize },
      },
      writeModel: async (dir) => {
        await model.save(dir);
        if (dataset.tokenizerJson !== undefined) {
          await writeFile(join(dir, "tokenizer.json"), `${JSON.stringify(dataset.tokenizerJson)}\n`);
          await writeFile(join(dir, "tokenizer_config.json"), `${JSON.stringify(dataset.tokenizerConfigJson, null, 2)}\n`);
        }
        else if (saved === undefined) await copyTokenizerFiles(config.data.tokenizer, dir);
      },
    });
    const last = progress.evals[progress.evals.length - 1];
    if (last !== undefined) io.stdout.write(`step ${last.iteration}: train loss ${last.train.toFixed(4)}, val loss ${last.validation.toFixed(4)} (estimates)\n`);
    if (progress.finalValidation !== null) io.stdout.write(`${finalLine(progress.finalValidation)}\n`);
    io.stdout.write(`${progress.iteration} steps in ${formatDuration(progress.elapsedMs)}; checkpoint in ${out}\n`);
    return 0;
  },
};

/** A preset or JSON file, with --set overrides and --tokenizer applied. */
export async function readRunConfig(configArg: string, sets: readonly string[], tokenizer: string | undefined): Promise<RunConfig> {
  const json = await readConfigJson(configArg);
  applySettings(json, sets);
  if (tokenizer !== undefined) json["data"] = { ...(json["data"] as object | undefined), tokenizer: resolve(tokenizer) };
  return runConfigFromJson(json as JsonObject, Object.hasOwn(PRESETS, configArg) ? `preset ${configArg}` : configArg);
}

/** The JSON object of a preset (a copy) or of a JSON file. */
export async function readConfigJson(configArg: string): Promise<Record<string, unknown>> {
  if (Object.hasOwn(PRESETS, configArg)) return structuredClone(PRESETS[configArg]!) as Record<string, unknown>;
  let text: string;
  try {
    text = await readFile(configArg, "utf8");
  } catch (error) {
    throw new OptionError("--config", `${JSON.stringify(configArg)} is neither a preset (${Object.keys(PRESETS).join(", ")}) nor a readable file: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(configArg, `not valid JSON (${(error as Error).message})`);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new ConfigError(configArg, "expected a JSON object");
  return json as Record<string, unknown>;
}

/** Applies --set key=value assignments (value parsed as JSON when it is JSON, else a string; dotted keys reach into objects). */
export function applySettings(json: Record<string, unknown>, sets: readonly string[]): void {
  for (const assignment of sets) {
    const eq = assignment.indexOf("=");
    if (eq <= 0) throw new OptionError("--set", `expected key=value, got ${JSON.stringify(assignment)}`);
    const key = assignment.slice(0, eq);
    const raw = assignment.slice(eq + 1);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw;
    }
    const path = key.split(".");
    let target = json;
    for (const part of path.slice(0, -1)) {
      const next = target[part];
      if (next === undefined) target[part] = {};
      else if (typeof next !== "object" || next === null || Array.isArray(next)) throw new OptionError("--set", `${key}: ${part} is not an object`);
      target = target[part] as Record<string, unknown>;
    }
    target[path[path.length - 1]!] = value;
  }
}

/** Tokenizer files a model folder may hold (what loadTokenizer looks for). */
const TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt", "vocab.txt", "tokenizer.bin"];

/**
 * Copies the tokenizer a run was encoded with into a checkpoint folder, so that
 * the folder loads with its tokenizer: the tokenizer files of a folder, or the
 * named file (with merges.txt beside a vocab.json, and tokenizer_config.json
 * beside a tokenizer.json). A resumed run's model already carries them.
 */
export async function copyTokenizerFiles(source: string, dir: string): Promise<void> {
  const info = await stat(source);
  const candidates = info.isDirectory()
    ? TOKENIZER_FILES.map((f) => [join(source, f), f] as const)
    : [
        [source, basename(source).endsWith(".json") && basename(source) !== "vocab.json" ? "tokenizer.json" : basename(source)] as const,
        ...(basename(source) === "vocab.json" ? [[join(dirname(source), "merges.txt"), "merges.txt"] as const] : []),
        [join(dirname(source), "tokenizer_config.json"), "tokenizer_config.json"] as const,
      ];
  for (const [from, name] of candidates) {
    if (await stat(from).then((s) => s.isFile(), () => false)) await copyFile(from, join(dir, name));
  }
}

/** Character-level or tokenizer data, as the run configuration says. */
export async function buildDataset(text: string, config: RunConfig): Promise<TextDataset> {
  const { tokenizer, trainFraction } = config.data;
  if (tokenizer === "char") return characterDataset(text, { trainFraction });
  return tokenizedDataset(text, await loadTokenizer(tokenizer), { trainFraction });
}
