// `lmscope finetune-encoder` (and `lmscope finetune --task seqcls|tokencls`):
// fine-tunes a BERT for sequence classification (CSV / JSONL: text[, text_pair],
// label) or token classification (CoNLL / JSONL: tokens, tags), from a
// pretrained folder or from scratch, evaluates it on a held-out file after each
// epoch and saves it with its labels so `lmscope classify` / `lmscope ner` load it.

import { join } from "node:path";
import type { CliIo, Command } from "../command.js";
import type { EncoderBatch, EncoderModel } from "../../encoder-model.js";
import { OptionError } from "../../errors.js";
import { readJsonObject } from "../../io/json-file.js";
import { readTextClassificationFile } from "../../training/data/text-classification.js";
import { readTokenClassificationFile } from "../../training/data/token-classification.js";
import { saveEncoder } from "../../training/encoder-setup.js";
import {
  collateSequences,
  collateTokens,
  encodeTaggedSentences,
  encodeTextExamples,
  evaluateSequenceClassification,
  evaluateTokenClassification,
  padIdFor,
  sortLabels,
  TASK_ARCHITECTURES,
  type EncoderTask,
  type SequenceExample,
  type TokenExample,
} from "../../training/encoder-tasks.js";
import { trainEncoder, type EncoderTrainingHooks, type TrainingHistory } from "../../training/encoder-trainer.js";
import { parseCommandLine, requiredString, stringOption, type Parsed } from "../options.js";
import { ENCODER_TRAINING_OPTIONS, ENCODER_TRAINING_USAGE, encoderFromOptions, formatEpoch, maxLengthOption, trainingOptions } from "./encoder-training-cli.js";
import { resolveModelOption } from "../model-argument.js";

const usage = `usage: lmscope finetune-encoder --task seqcls|tokencls --data <file> --out <dir> (--model <dir> | --config <file.json>) [options]
       lmscope finetune --task seqcls|tokencls …   (the same)

Fine-tunes a BERT encoder and saves it with its labels (config.json id2label),
ready for \`lmscope classify\` (seqcls) or \`lmscope ner\` (tokencls).

data:
  --task <task>             seqcls: sequence classification; tokencls: token classification (NER)
  --data <file>             training data. seqcls: .csv with a header naming the columns text,
                            label[, text_pair], or JSONL {"text", "label"[, "text_pair"]}.
                            tokencls: CoNLL (token … tag per line, blank line between sentences)
                            or .jsonl {"tokens": [...], "tags": [...]}; tags B-X / I-X / O
  --eval <file>             held-out data in the same format, scored after every epoch:
                            accuracy (seqcls); accuracy and entity precision / recall / F1 over each
                            word's first sub-token (tokencls)
  --label-all-tokens        tokencls: train every sub-token of a word on its tag (B-X → I-X after the
                            first), so \`lmscope ner\` reads whole words with its default aggregation
${ENCODER_TRAINING_USAGE}
`;

const OPTIONS = { ...ENCODER_TRAINING_OPTIONS, task: { type: "string" as const }, "label-all-tokens": { type: "boolean" as const } };

function checkTask(value: string): EncoderTask {
  if (value !== "seqcls" && value !== "tokencls") throw new OptionError("--task", `expected "seqcls" or "tokencls", got ${JSON.stringify(value)}`);
  return value;
}

/** id2label of a model folder's config.json, for JSONL files with numeric tags. */
async function labelsOfFolder(dir: string | undefined): Promise<string[] | undefined> {
  if (dir === undefined) return undefined;
  const id2label = (await readJsonObject(join(dir, "config.json")).catch(() => ({}) as Record<string, unknown>))["id2label"];
  if (typeof id2label !== "object" || id2label === null || Array.isArray(id2label)) return undefined;
  const entries = Object.entries(id2label as Record<string, unknown>);
  const labels: string[] = [];
  for (const [id, label] of entries) if (typeof label === "string" && Number.isInteger(Number(id))) labels[Number(id)] = label;
  return labels.length === entries.length ? labels : undefined;
}

/**
 * Runs the fine-tuning the command line describes (the arguments of
 * `lmscope finetune-encoder`, or of `lmscope finetune` with --task); resolves
 * to the exit code. Prints one line per epoch.
 */
export async function runEncoderFinetune(argv: string[], io: CliIo): Promise<number> {
  await finetuneFromCommandLine(argv, io);
  return 0;
}

/** The same, handing back the training history (for tests and programs). */
export async function finetuneFromCommandLine(argv: string[], io: CliIo): Promise<TrainingHistory> {
  const { values } = parseCommandLine(argv, OPTIONS, false);
  await resolveModelOption(values, io);
  const task = checkTask(requiredString(values, "task"));
  const dataPath = requiredString(values, "data");
  const outDir = requiredString(values, "out");
  const evalPath = stringOption(values, "eval");

  if (task === "seqcls") {
    const train = await readTextClassificationFile(dataPath);
    const held = evalPath === undefined ? [] : await readTextClassificationFile(evalPath);
    const labels = sortLabels([...train, ...held].map((e) => e.label));
    const texts = () => train.flatMap((e) => [e.text, ...(e.textPair === undefined ? [] : [e.textPair])]);
    return finetune<SequenceExample>(values, io, { task, outDir, labels, trainCount: train.length, heldCount: held.length, texts }, (model, maxLength) => {
      const trainSet = encodeTextExamples(model.tokenizer, train, model.config.labels, { maxLength });
      const heldSet = encodeTextExamples(model.tokenizer, held, model.config.labels, { maxLength });
      const padId = padIdFor(model);
      return {
        examples: trainSet,
        collate: (batch) => collateSequences(batch, padId),
        evaluate: heldSet.length === 0 ? undefined : async () => {
          const m = await evaluateSequenceClassification(model, heldSet);
          return { loss: m.loss, accuracy: m.accuracy };
        },
        evalKeys: ["loss", "accuracy"],
      };
    });
  }
  const known = await labelsOfFolder(stringOption(values, "model"));
  const train = await readTokenClassificationFile(dataPath, known);
  const held = evalPath === undefined ? [] : await readTokenClassificationFile(evalPath, known);
  const labels = sortLabels([...train, ...held].flatMap((s) => s.tags));
  const texts = () => train.map((s) => s.tokens.join(" "));
  return finetune<TokenExample>(values, io, { task, outDir, labels, trainCount: train.length, heldCount: held.length, texts }, (model, maxLength) => {
    const labelAllTokens = values["label-all-tokens"] === true;
    const trainSet = encodeTaggedSentences(model.tokenizer, train, model.config.labels, { maxLength, labelAllTokens });
    const heldSet = encodeTaggedSentences(model.tokenizer, held, model.config.labels, { maxLength });
    const padId = padIdFor(model);
    return {
      examples: trainSet,
      collate: (batch) => collateTokens(batch, padId),
      evaluate: heldSet.length === 0 ? undefined : async () => {
        const m = await evaluateTokenClassification(model, heldSet);
        return { loss: m.loss, accuracy: m.accuracy, precision: m.precision, recall: m.recall, f1: m.f1 };
      },
      evalKeys: ["loss", "accuracy", "precision", "recall", "f1"],
    };
  });
}

interface TaskData {
  task: EncoderTask;
  outDir: string;
  /** Every label of the training and held-out data, sorted. */
  labels: readonly string[];
  trainCount: number;
  heldCount: number;
  /** The training texts, to build a vocabulary from. */
  texts: () => string[];
}

/** The training examples of a task, encoded for the model, with its evaluation. */
interface PreparedTask<E> {
  examples: E[];
  collate: (batch: E[]) => EncoderBatch;
  evaluate: (() => Promise<Record<string, number>>) | undefined;
  evalKeys: readonly string[];
}

async function finetune<E>(
  values: Parsed["values"],
  io: CliIo,
  data: TaskData,
  prepare: (model: EncoderModel, maxLength: number) => PreparedTask<E>,
): Promise<TrainingHistory> {
  if (data.trainCount === 0) throw new OptionError("--data", "holds no examples");
  const head = { architecture: TASK_ARCHITECTURES[data.task], labels: data.labels };
  const { model, fromPretrained } = await encoderFromOptions(values, head, data.outDir, data.texts, io, false);
  const options = trainingOptions(values, model, fromPretrained, 3);
  const prepared = prepare(model, maxLengthOption(values, model));
  io.stdout.write(`task ${data.task}: ${data.trainCount} training examples, ${data.heldCount} held-out; labels ${model.config.labels.join(" ")}\n`);
  const batchesPerEpoch = Math.ceil(prepared.examples.length / options.batchSize);
  const epochs = Math.min(options.epochs, Math.ceil((options.maxSteps ?? Infinity) / batchesPerEpoch));
  const hooks: EncoderTrainingHooks = { onEpoch: (record) => io.stdout.write(formatEpoch(record, epochs, prepared.evalKeys)) };
  if (prepared.evaluate !== undefined) hooks.evaluate = prepared.evaluate;
  const history = await trainEncoder(model, prepared.examples, (batch) => prepared.collate(batch), options, hooks);
  await saveEncoder(model, data.outDir);
  io.stdout.write(`saved to ${data.outDir}\n`);
  return history;
}

export const finetuneEncoderCommand: Command = {
  name: "finetune-encoder",
  summary: "fine-tune a BERT for sequence or token classification",
  usage,
  run: runEncoderFinetune,
};
