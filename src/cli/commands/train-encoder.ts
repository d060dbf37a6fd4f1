// `lmscope train-encoder`: BERT pretraining with masked-LM + next-sentence
// prediction (Devlin et al. 2019 §3.1) from a text file with one sentence per
// line and blank lines between documents, from scratch or from a folder.

import type { CliIo, Command } from "../command.js";
import { OptionError } from "../../errors.js";
import { parseDocuments, readSentencePairs } from "../../training/data/sentence-pairs.js";
import { saveEncoder } from "../../training/encoder-setup.js";
import { collatePretraining, encodeSentencePairs, evaluatePretraining, maskingFor, padIdFor, TASK_ARCHITECTURES } from "../../training/encoder-tasks.js";
import { trainEncoder, type EncoderTrainingHooks, type TrainingHistory } from "../../training/encoder-trainer.js";
import { readFile } from "node:fs/promises";
import { numberOption, parseCommandLine, requiredString, stringOption } from "../options.js";
import { ENCODER_TRAINING_OPTIONS, ENCODER_TRAINING_USAGE, encoderFromOptions, formatEpoch, maxLengthOption, trainingOptions } from "./encoder-training-cli.js";
import { resolveModelOption } from "../model-argument.js";

const usage = `usage: lmscope train-encoder --data <corpus.txt> --out <dir> [options]

Pretrains a BERT with masked-LM and next-sentence prediction, as BertForPreTraining.
The corpus holds one sentence per line, documents separated by blank lines. Each
sentence is paired with the next one half of the time and with a random sentence
(from another document) otherwise; 15% of the tokens are selected for prediction
(80% replaced by [MASK], 10% by a random token, 10% kept), drawn afresh each batch.
Without --model or --config a small BERT is built; without --tokenizer / --vocab a
WordPiece vocabulary is learned from the corpus.

  --data <file>             the corpus
  --eval <file>             a held-out corpus, scored after every epoch (MLM and NSP loss and accuracy)
  --mlm-probability <p>     share of tokens selected for the MLM loss (default 0.15)
  --log-every <n>           print the loss every n steps (default 10; 0 = only per epoch)
${ENCODER_TRAINING_USAGE.replace("(default 3)", "(default 1)")}
`;

const OPTIONS = { ...ENCODER_TRAINING_OPTIONS, "mlm-probability": { type: "string" as const }, "log-every": { type: "string" as const } };

/** Runs the pretraining the command line describes; resolves to the training history. */
export async function pretrainFromCommandLine(argv: string[], io: CliIo): Promise<TrainingHistory> {
  const { values } = parseCommandLine(argv, OPTIONS, false);
  await resolveModelOption(values, io);
  const dataPath = requiredString(values, "data");
  const outDir = requiredString(values, "out");
  const evalPath = stringOption(values, "eval");
  const seed = numberOption(values, "seed") ?? 0;
  const mlmProbability = numberOption(values, "mlm-probability") ?? 0.15;
  const logEvery = numberOption(values, "log-every") ?? 10;
  if (!Number.isInteger(logEvery) || logEvery < 0) throw new OptionError("--log-every", `expected a non-negative integer, got ${logEvery}`);

  const corpusText = await readFile(dataPath, "utf8").catch(() => {
    throw new OptionError("--data", `cannot read ${dataPath}`);
  });
  const trainPairs = await readSentencePairs(dataPath, { seed });
  const heldPairs = evalPath === undefined ? [] : await readSentencePairs(evalPath, { seed: seed + 1 });
  const { model, fromPretrained } = await encoderFromOptions(
    values,
    { architecture: TASK_ARCHITECTURES.pretraining },
    outDir,
    () => parseDocuments(corpusText).flat(),
    io,
    true,
  );
  const options = trainingOptions(values, model, fromPretrained, 1);
  const maxLength = maxLengthOption(values, model);
  const tokenizer = model.tokenizer;
  const masking = maskingFor(tokenizer, model.config.vocabSize, mlmProbability);
  const padId = padIdFor(model);
  const examples = encodeSentencePairs(tokenizer, trainPairs, { maxLength });
  const held = encodeSentencePairs(tokenizer, heldPairs, { maxLength });
  io.stdout.write(`data: ${examples.length} sentence pairs (${examples.filter((e) => e.nextSentenceLabel === 1).length} with a random second sentence), ${held.length} held-out\n`);

  const batchesPerEpoch = Math.ceil(examples.length / options.batchSize);
  const epochs = Math.min(options.epochs, Math.ceil((options.maxSteps ?? Infinity) / batchesPerEpoch));
  const totalSteps = Math.min(epochs * batchesPerEpoch, options.maxSteps ?? Infinity);
  const hooks: EncoderTrainingHooks = {
    onStep: (r) => {
      if (logEvery > 0 && (r.step % logEvery === 0 || r.step === 1)) {
        io.stdout.write(`step ${r.step}/${totalSteps}  loss ${r.loss.toFixed(4)}  lr ${r.learningRate.toExponential(2)}\n`);
      }
    },
    onEpoch: (r) => io.stdout.write(formatEpoch(r, epochs, ["loss", "mlmLoss", "nspLoss", "mlmAccuracy", "nspAccuracy"])),
  };
  if (held.length > 0) hooks.evaluate = async () => ({ ...(await evaluatePretraining(model, held, masking, { seed })) });
  const history = await trainEncoder(model, examples, (batch, random) => collatePretraining(batch, padId, random, masking), options, hooks);
  await saveEncoder(model, outDir);
  io.stdout.write(`saved to ${outDir}\n`);
  return history;
}

export const trainEncoderCommand: Command = {
  name: "train-encoder",
  summary: "pretrain a BERT with masked-LM + next-sentence prediction",
  usage,
  async run(argv, io) {
    await pretrainFromCommandLine(argv, io);
    return 0;
  },
};
