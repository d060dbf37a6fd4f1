// `lmscope finetune`: LoRA fine-tuning of a model on a text file (Hu et al.
// 2021): the base weights stay frozen, low-rank adapters on the target
// projections are trained with the same loop, checkpoints and resumption as
// `lmscope train`, and saved in the PEFT layout (adapter_config.json +
// adapter_model.safetensors) that `loadModel(dir, { adapter })` reads.

import { join, resolve } from "node:path";
import type { Command } from "../command.js";
import { createBackend } from "../../backend/select.js";
import { backendFlags } from "../generation-flags.js";
import { InputError, OptionError } from "../../errors.js";
import { loadModel, type LanguageModel } from "../../language-model.js";
import type { RnnLanguageModel } from "../../recurrent-model.js";
import type { JsonObject } from "../../models/config-reader.js";
import { checkCheckpointTarget, isCheckpoint, readCheckpoint, TRAINER_STATE_FILE } from "../../training/checkpoint.js";
import { readTextFile, textFingerprint, tokenizedDataset } from "../../training/datasets/index.js";
import { runConfigFromJson, runConfigToJson, type RunConfig } from "../../training/train-config.js";
import type { TrainableModel } from "../../training/trainable.js";
import { Trainer } from "../../training/trainer.js";
import { numberOption, parseCommandLine, requiredString, stringOption } from "../options.js";
import { runEncoderFinetune } from "./finetune-encoder.js";
import { applySettings, readConfigJson } from "./train.js";
import { finalLine, formatDuration, progressFromJson, runWithCheckpoints } from "./training-run.js";
import { resolveModelOption } from "../model-argument.js";

export interface LoraSpec {
  r: number;
  alpha: number;
  dropout: number;
  targetModules: string[];
}

/** Parses `r=8,alpha=16,targets=c_attn,c_proj,dropout=0.05` (a bare word after targets= is one more target). */
export function parseLoraSpec(text: string): LoraSpec {
  const spec: Partial<LoraSpec> = { dropout: 0 };
  let lastKey: string | undefined;
  for (const item of text.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    const eq = item.indexOf("=");
    if (eq < 0) {
      if (lastKey !== "targets") throw new OptionError("--lora", `expected key=value, got ${JSON.stringify(item)}`);
      spec.targetModules!.push(item);
      continue;
    }
    const key = item.slice(0, eq);
    const value = item.slice(eq + 1);
    lastKey = key;
    const number = (min: number, integer: boolean): number => {
      const v = Number(value);
      if (value === "" || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) {
        throw new OptionError("--lora", `${key}: expected ${integer ? "an integer" : "a number"} ≥ ${min}, got ${JSON.stringify(value)}`);
      }
      return v;
    };
    if (key === "r") spec.r = number(1, true);
    else if (key === "alpha") spec.alpha = number(0, false);
    else if (key === "dropout") {
      spec.dropout = number(0, false);
      if (spec.dropout >= 1) throw new OptionError("--lora", `dropout: expected a probability below 1, got ${value}`);
    } else if (key === "targets" || key === "target_modules") {
      lastKey = "targets";
      spec.targetModules = value === "" ? [] : [value];
    } else throw new OptionError("--lora", `unknown key ${JSON.stringify(key)} (expected r, alpha, dropout, targets)`);
  }
  if (spec.r === undefined) throw new OptionError("--lora", "r=<rank> is required");
  if (spec.targetModules === undefined || spec.targetModules.length === 0) throw new OptionError("--lora", "targets=<module>[,<module>…] is required (e.g. c_attn,c_proj)");
  return { r: spec.r, alpha: spec.alpha ?? spec.r, dropout: spec.dropout ?? 0, targetModules: spec.targetModules };
}

/** Fine-tuning defaults: a short run at a LoRA-sized learning rate, no weight decay on the adapters. */
export const FINETUNE_DEFAULTS: JsonObject = {
  max_iters: 200,
  batch_size: 8,
  block_size: 128,
  learning_rate: 3e-4,
  min_lr: 3e-5,
  warmup_iters: 20,
  lr_decay_iters: 200,
  weight_decay: 0,
  beta1: 0.9,
  beta2: 0.999,
  grad_clip: 1,
  eval_interval: 50,
  eval_iters: 10,
  checkpoint_interval: 50,
  seed: 1337,
};

const usage = `usage: lmscope finetune --model <dir> --lora r=8,alpha=16,targets=c_attn,c_proj --data <file> --out <dir> [options]
       lmscope finetune --task seqcls|tokencls … (fine-tunes a BERT encoder: see lmscope finetune-encoder --help)
       lmscope finetune --resume --model <dir> --out <dir>

Fine-tunes low-rank adapters (LoRA) on the target projections of a model on a
text file (tokenized with the model's tokenizer; first 90% for training, the
rest for validation), with the progress line, validation, atomic checkpoints
and exact resumption of \`lmscope train\`. --out receives the adapter in the
PEFT layout (adapter_config.json, adapter_model.safetensors), which
loadModel(<model>, { adapter: <out> }) applies, plus optimizer.safetensors,
trainer_state.json and loss.svg.

  --model <path>            the base model folder, or a hub id (org/name)
  --lora <spec>             r=<rank>,alpha=<scale numerator>,targets=<module>[,<module>…][,dropout=<p>]
                            (the update is (alpha / r) · B·A)
  --data <file>             UTF-8 text file
  --out <dir>               adapter checkpoint folder
  --config <json>           training settings with nanoGPT's field names (as \`lmscope train\`);
                            defaults: ${Object.entries(FINETUNE_DEFAULTS).map(([k, v]) => `${k} ${String(v)}`).join(", ")};
                            block_size is capped at the model's context
  --set <key>=<value>       override one setting (repeatable)
  --resume                  continue the fine-tune checkpointed in --out
  --backend <js|wasm|auto>  compute backend (default auto: wasm where WebAssembly SIMD runs)
  --threads <n>             threads for the wasm backend
  --log-interval <n>        steps between progress lines when stderr is not a terminal (default 10)
`;

export const finetuneCommand: Command = {
  name: "finetune",
  summary: "fine-tune LoRA adapters of a model on a text file",
  usage,
  async run(argv, io) {
    // `--task seqcls|tokencls` fine-tunes an encoder (BERT) instead of adding LoRA to a decoder.
    if (argv.includes("--task") || argv.some((a) => a.startsWith("--task="))) return runEncoderFinetune(argv, io);
    const { values } = parseCommandLine(
      argv,
      {
        model: { type: "string" },
        lora: { type: "string" },
        data: { type: "string" },
        out: { type: "string" },
        config: { type: "string" },
        set: { type: "string", multiple: true },
        resume: { type: "boolean" },
        backend: { type: "string" },
        threads: { type: "string" },
        "log-interval": { type: "string" },
      },
      false,
    );
    const out = resolve(requiredString(values, "out"));
    await resolveModelOption(values, io);
    const basePath = resolve(requiredString(values, "model"));
    const resume = values["resume"] === true;
    const logInterval = numberOption(values, "log-interval") ?? 10;
    if (!(Number.isInteger(logInterval) && logInterval >= 1)) throw new OptionError("--log-interval", `expected a positive integer, got ${logInterval}`);
    const backend = await createBackend(backendFlags(values));

    let config: RunConfig;
    let lora: LoraSpec;
    let dataPath: string;
    let saved: Awaited<ReturnType<typeof readCheckpoint>> | undefined;
    let model: LanguageModel;
    if (resume) {
      if (!(await isCheckpoint(out))) throw new InputError(`--resume: ${out} holds no fine-tuning checkpoint (no ${TRAINER_STATE_FILE})`);
      if (values["config"] !== undefined || values["set"] !== undefined || values["lora"] !== undefined) {
        throw new OptionError("--resume", "continues the checkpoint's own settings; leave out --config, --set and --lora");
      }
      saved = await readCheckpoint(out);
      const statePath = join(out, TRAINER_STATE_FILE);
      if (saved.trainerState["kind"] !== "finetune") throw new InputError(`${statePath} is not from \`lmscope finetune\``);
      config = runConfigFromJson(saved.trainerState["run"] as JsonObject, statePath);
      lora = saved.trainerState["lora"] as unknown as LoraSpec;
      dataPath = resolve(stringOption(values, "data") ?? String((saved.trainerState["data"] as JsonObject)["file"]));
      model = await loadModel(basePath, { backend, adapter: out });
    } else {
      dataPath = resolve(requiredString(values, "data"));
      lora = parseLoraSpec(requiredString(values, "lora"));
      if (await isCheckpoint(out)) throw new InputError(`${out} already holds a checkpoint: pass --resume to continue it, or choose another --out`);
      await checkCheckpointTarget(out);
      const base = await loadModel<LanguageModel | RnnLanguageModel>(basePath, { backend });
      if (base.kind === "recurrent") throw new InputError(`${basePath} is a recurrent model: LoRA fine-tuning is for transformer decoders (train it with \`lmscope train\`)`);
      model = base;
      const configArg = stringOption(values, "config");
      const json: Record<string, unknown> = {
        ...FINETUNE_DEFAULTS,
        block_size: Math.min(Number(FINETUNE_DEFAULTS["block_size"]), model.config.contextLength),
        ...(configArg === undefined ? {} : await readConfigJson(configArg)),
      };
      if (json["model"] !== undefined) throw new OptionError("--config", "a fine-tune keeps the base model's architecture; leave out the \"model\" section");
      applySettings(json, (values["set"] as string[] | undefined) ?? []);
      config = runConfigFromJson(json as JsonObject, configArg ?? "finetune settings");
      if (config.training.blockSize > model.config.contextLength) {
        throw new OptionError("--config", `block_size ${config.training.blockSize} exceeds the model's context length ${model.config.contextLength}`);
      }
      model.addLora({ r: lora.r, alpha: lora.alpha, dropout: lora.dropout, targetModules: lora.targetModules, seed: config.training.seed });
    }

    const text = await readTextFile(dataPath);
    const fingerprint = textFingerprint(text);
    if (saved !== undefined) {
      const expected = (saved.trainerState["data"] as JsonObject)["fingerprint"];
      if (expected !== fingerprint) throw new InputError(`${dataPath} is not the text this fine-tune used (fingerprint ${fingerprint}, checkpoint has ${String(expected)})`);
    }
    const dataset = tokenizedDataset(text, model.tokenizer, { trainFraction: config.data.trainFraction });
    for (const [split, ids] of [["training", dataset.train], ["validation", dataset.validation]] as const) {
      if (ids.length <= config.training.blockSize) {
        throw new InputError(`the ${split} split of ${dataPath} has ${ids.length} tokens; block_size ${config.training.blockSize} needs more than that`);
      }
    }

    const adapters = model.namedParameters().filter(([name]) => /lora_[AB]/.test(name));
    if (adapters.length === 0) throw new InputError(`no LoRA parameters: none of ${lora.targetModules.join(", ")} matched a module of ${basePath}`);
    const trainable: TrainableModel = {
      loss: (batch, options) => model.loss(batch, options),
      evaluate: (batch) => model.evaluate(batch),
      namedParameters: () => adapters,
      save: (dir) => model.saveAdapter(dir),
      backend: model.backend,
    };
    const trainer = new Trainer(
      trainable,
      dataset,
      config.training,
      saved === undefined ? undefined : { progress: progressFromJson(saved.trainerState, join(out, TRAINER_STATE_FILE)), optimizer: saved.optimizer },
    );
    if (saved === undefined) {
      const count = adapters.reduce((n, [, p]) => n + p.size, 0);
      io.stderr.write(
        `fine-tuning ${count.toLocaleString("en-US")} LoRA parameters (r ${lora.r}, alpha ${lora.alpha}, ${lora.targetModules.join(", ")}) of ${basePath} on ${dataPath}: ` +
          `${dataset.train.length.toLocaleString("en-US")} training and ${dataset.validation.length.toLocaleString("en-US")} validation tokens\n`,
      );
    }
    const progress = await runWithCheckpoints({
      trainer,
      out,
      io,
      title: `lmscope finetune (LoRA r=${lora.r}) on ${dataPath.split(/[\\/]/).pop()}`,
      logInterval,
      stateFields: {
        kind: "finetune",
        base_model: basePath,
        lora: { ...lora },
        run: runConfigToJson(config),
        data: { file: dataPath, fingerprint, train_tokens: dataset.train.length, validation_tokens: dataset.validation.length },
      },
      writeModel: (dir) => model.saveAdapter(dir),
    });
    if (progress.finalValidation !== null) io.stdout.write(`${finalLine(progress.finalValidation)}\n`);
    io.stdout.write(`${progress.iteration} steps in ${formatDuration(progress.elapsedMs)}; adapter in ${out}\n`);
    return 0;
  },
};
