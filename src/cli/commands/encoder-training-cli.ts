// What `lmscope train-encoder` and `lmscope finetune --task …` share: the
// model/tokenizer options (a pretrained folder, or config.json fields for a new
// model with a given or freshly built vocabulary), the training options, and
// the formatting of progress lines.

import { mkdir } from "node:fs/promises";
import type { EncoderModel } from "../../encoder-model.js";
import { OptionError } from "../../errors.js";
import { readJsonObject } from "../../io/json-file.js";
import type { JsonObject } from "../../models/config-reader.js";
import { trainWordPieceVocab, writeVocabTxt } from "../../tokenizers/wordpiece-trainer.js";
import type { TextTokenizer } from "../../tokenizers/tokenizer.js";
import { createEncoderForTask, loadEncoderForTask, loadEncoderTokenizer, type TaskHead } from "../../training/encoder-setup.js";
import type { EncoderTrainingOptions, EpochRecord } from "../../training/encoder-trainer.js";
import { numberOption, stringOption, type OptionSpec, type Parsed } from "../options.js";

export const ENCODER_TRAINING_OPTIONS: OptionSpec = {
  model: { type: "string" },
  config: { type: "string" },
  tokenizer: { type: "string" },
  vocab: { type: "string" },
  "vocab-size": { type: "string" },
  data: { type: "string" },
  eval: { type: "string" },
  out: { type: "string" },
  epochs: { type: "string" },
  "max-steps": { type: "string" },
  lr: { type: "string" },
  "batch-size": { type: "string" },
  "max-length": { type: "string" },
  seed: { type: "string" },
  "warmup-ratio": { type: "string" },
  "weight-decay": { type: "string" },
  "max-grad-norm": { type: "string" },
  dropout: { type: "string" },
};

export const ENCODER_TRAINING_USAGE = `model (one of):
  --model <dir>             a Hugging Face BERT folder or hub id to start from (its tokenizer is used)
  --config <file.json>      config.json fields of a new, randomly initialised BERT
                            (defaults: hidden 64, 2 layers, 4 heads, 128 positions)
tokenizer of a new model (one of; default: build a WordPiece vocab.txt from --data):
  --tokenizer <path>        tokenizer.json, vocab.txt or a folder holding one
  --vocab <vocab.txt>       a BERT WordPiece vocabulary
  --vocab-size <n>          size of the vocabulary built from --data (default 1000)
training:
  --out <dir>               where the trained model is saved (Hugging Face layout)
  --epochs <n>              passes over the data (default 3)
  --max-steps <n>           stop after this many optimizer steps
  --lr <x>                  peak learning rate (default 5e-5 from --model, 1e-3 for a new model)
  --batch-size <n>          examples per step (default 16)
  --max-length <n>          tokens per example, longer ones truncated (default 128, at most
                            the model's max_position_embeddings)
  --warmup-ratio <x>        share of the steps with a linear warmup (default 0.1); then linear decay to 0
  --weight-decay <x>        AdamW weight decay, not on biases and LayerNorm (default 0.01)
  --max-grad-norm <x>       clip the gradient norm (default 1; 0 = off)
  --dropout <p>             dropout (default the config's hidden_dropout_prob, else 0.1)
  --seed <n>                seed of initialisation, shuffling, dropout and masking (default 0)`;

function positiveInteger(values: Parsed["values"], name: string): number | undefined {
  const value = numberOption(values, name);
  if (value !== undefined && (!Number.isInteger(value) || value < 1)) throw new OptionError(`--${name}`, `expected a positive integer, got ${value}`);
  return value;
}

/** The training options from the command line; `fromPretrained` picks the default learning rate. */
export function trainingOptions(values: Parsed["values"], model: EncoderModel, fromPretrained: boolean, defaultEpochs: number): EncoderTrainingOptions {
  const seed = numberOption(values, "seed") ?? 0;
  if (!Number.isSafeInteger(seed)) throw new OptionError("--seed", `expected an integer, got ${seed}`);
  const configDropout = model.hfConfig["hidden_dropout_prob"];
  const maxSteps = positiveInteger(values, "max-steps");
  return {
    epochs: positiveInteger(values, "epochs") ?? (maxSteps === undefined ? defaultEpochs : Number.MAX_SAFE_INTEGER),
    batchSize: positiveInteger(values, "batch-size") ?? 16,
    learningRate: numberOption(values, "lr") ?? (fromPretrained ? 5e-5 : 1e-3),
    weightDecay: numberOption(values, "weight-decay") ?? 0.01,
    warmupRatio: numberOption(values, "warmup-ratio") ?? 0.1,
    maxGradNorm: numberOption(values, "max-grad-norm") ?? 1,
    dropout: numberOption(values, "dropout") ?? (typeof configDropout === "number" ? configDropout : 0.1),
    seed,
    ...(maxSteps === undefined ? {} : { maxSteps }),
  };
}

/** --max-length, capped by the model's positions. */
export function maxLengthOption(values: Parsed["values"], model: EncoderModel): number {
  return Math.min(positiveInteger(values, "max-length") ?? 128, model.network.maxLength);
}

/**
 * The model to train: `--model` with the task's head, or a new one from `--config`
 * (or the defaults) with `--tokenizer` / `--vocab`, or a vocabulary built from
 * `corpus()` and written to the output folder.
 */
export async function encoderFromOptions(
  values: Parsed["values"],
  head: TaskHead,
  outDir: string,
  corpus: () => Iterable<string>,
  io: { stdout: NodeJS.WritableStream },
  allowDefaultConfig: boolean,
): Promise<{ model: EncoderModel; fromPretrained: boolean }> {
  const seed = numberOption(values, "seed") ?? 0;
  const modelDir = stringOption(values, "model");
  const configPath = stringOption(values, "config");
  const tokenizerPath = stringOption(values, "tokenizer") ?? stringOption(values, "vocab");
  if (stringOption(values, "tokenizer") !== undefined && stringOption(values, "vocab") !== undefined) {
    throw new OptionError("--vocab", "give either --tokenizer or --vocab, not both");
  }
  if (modelDir !== undefined) {
    if (configPath !== undefined) throw new OptionError("--config", "give either --model (start from a trained model) or --config (a new model), not both");
    const model = await loadEncoderForTask(modelDir, head, { ...(tokenizerPath === undefined ? {} : { tokenizer: tokenizerPath }), seed });
    io.stdout.write(`model: ${head.architecture} from ${modelDir} (${model.info().parameters.toLocaleString("en-US")} parameters)\n`);
    return { model, fromPretrained: true };
  }
  if (configPath === undefined && !allowDefaultConfig) throw new OptionError("--model", "give --model <dir> (a pretrained encoder) or --config <file.json> (a new one)");
  const config: JsonObject = configPath === undefined ? {} : await readJsonObject(configPath);
  let tokenizer: TextTokenizer;
  if (tokenizerPath !== undefined) tokenizer = await loadEncoderTokenizer(tokenizerPath);
  else {
    const vocabSize = positiveInteger(values, "vocab-size") ?? 1000;
    await mkdir(outDir, { recursive: true });
    const vocab = trainWordPieceVocab(corpus(), { vocabSize });
    tokenizer = await loadEncoderTokenizer(await writeVocabTxt(outDir, vocab));
    io.stdout.write(`tokenizer: built a WordPiece vocabulary of ${vocab.length} tokens from the training data\n`);
  }
  const model = await createEncoderForTask(config, head, tokenizer, seed);
  const c = model.config;
  io.stdout.write(
    `model: new ${head.architecture}, hidden ${c.hiddenSize}, ${c.numLayers} layers, ${c.numHeads} heads, vocabulary ${c.vocabSize} ` +
      `(${model.info().parameters.toLocaleString("en-US")} parameters)\n`,
  );
  return { model, fromPretrained: false };
}

const fixed = (x: number): string => x.toFixed(4);

/** "epoch 2/5  step 50  train loss 0.4321  eval loss 0.3000  accuracy 0.9500  (1.2 s)" */
export function formatEpoch(record: EpochRecord, epochs: number, evalKeys: readonly string[]): string {
  const parts = [`epoch ${record.epoch}/${epochs}`, `step ${record.step}`, `train loss ${fixed(record.trainLoss)}`];
  for (const key of evalKeys) {
    const value = record.eval?.[key];
    if (value !== undefined) parts.push(`${key === "loss" ? "eval loss" : key} ${fixed(value)}`);
  }
  return `${parts.join("  ")}  (${record.seconds.toFixed(1)} s)\n`;
}
