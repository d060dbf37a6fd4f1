// Recurrent models through the same training loop and commands as the decoders:
// `lmscope train` with an RNN config writes a checkpoint that `eval` (default
// window: the training block), `generate` and `info` read; the shakespeare-char-rnn
// preset; and a run resumed from a checkpoint repeats the uninterrupted one.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { evalCommand } from "../../../src/cli/commands/eval.js";
import { finetuneCommand } from "../../../src/cli/commands/finetune.js";
import { generateCommand } from "../../../src/cli/commands/generate.js";
import { infoCommand } from "../../../src/cli/commands/info.js";
import { readRunConfig, trainCommand } from "../../../src/cli/commands/train.js";
import { OptionError } from "../../../src/errors.js";
import { createModel, loadModel } from "../../../src/language-model.js";
import type { RnnLanguageModel } from "../../../src/recurrent-model.js";
import { readCheckpoint, saveCheckpoint } from "../../../src/training/checkpoint.js";
import { characterDataset } from "../../../src/training/datasets/index.js";
import { DEFAULT_TRAIN_CONFIG, type TrainConfig } from "../../../src/training/train-config.js";
import { Trainer, type TrainingProgress } from "../../../src/training/trainer.js";
import { captureIo } from "../../helpers/capture.js";

let root: string;
let dataPath: string;
let configPath: string;
const TEXT = Array.from({ length: 60 }, (_, i) => `KING ${i % 5}: my lord, the ${["sun", "moon", "sea"][i % 3]} is up.\n`).join("");

before(async () => {
  root = await mkdtemp(join(tmpdir(), "lmscope-rnn-train-"));
  dataPath = join(root, "text.txt");
  configPath = join(root, "config.json");
  await writeFile(dataPath, TEXT);
  await writeFile(
    configPath,
    JSON.stringify({
      model: { model_type: "rnn", cell: "gru", num_layers: 2, embedding_dim: 12, hidden_size: 16 },
      max_iters: 30,
      batch_size: 4,
      block_size: 16,
      learning_rate: 1e-2,
      min_lr: 1e-3,
      warmup_iters: 3,
      lr_decay_iters: 30,
      eval_interval: 10,
      eval_iters: 2,
      checkpoint_interval: 0,
    }),
  );
});
after(async () => rm(root, { recursive: true, force: true }));

test("train an RNN from a config file; eval on the validation split prints the logged loss; generate and info read the checkpoint", async () => {
  const out = join(root, "gru");
  const io = captureIo();
  assert.equal(await trainCommand.run(["--data", dataPath, "--config", configPath, "--out", out, "--backend", "js"], io), 0, io.stderr.text);
  assert.match(io.stderr.text, /^training rnn \([\d,]+ parameters\)/);
  assert.match(io.stderr.text, /step 20: train loss \d\.\d{4}, val loss \d\.\d{4}/);
  const losses = [...io.stderr.text.matchAll(/step \d+: train loss (\d\.\d{4})/g)].map((m) => Number(m[1]));
  assert.ok(losses[losses.length - 1]! < losses[0]! - 0.5, `the training loss falls: ${losses.join(" → ")}`);
  const logged = /validation loss (\d\.\d{4}) \(perplexity ([\d.]+)\) over the whole validation split: (\d+) tokens, windows of 16, stride 8/.exec(io.stdout.text);
  assert.ok(logged !== null, io.stdout.text);

  const evaluation = captureIo();
  assert.equal(await evalCommand.run(["--model", out, "--data", dataPath, "--split", "validation", "--backend", "js"], evaluation), 0);
  assert.match(evaluation.stdout.text, new RegExp(`^loss ${logged[1]}  perplexity ${logged[2]}  \\(${logged[3]} tokens of .* \\[validation split\\], \\d+ windows of 16, stride 8`));

  const generation = captureIo();
  assert.equal(await generateCommand.run(["--model", out, "--prompt", "KING", "--max-tokens", "300", "--seed", "4", "--backend", "js"], generation), 0);
  assert.ok(generation.stdout.text.startsWith("KING"));
  assert.equal([...generation.stdout.text].length, 4 + 300, "300 characters: a recurrent model has no context limit");
  for (const ch of generation.stdout.text) assert.ok(TEXT.includes(ch), `generated ${JSON.stringify(ch)}, not in the training text`);

  const info = captureIo();
  assert.equal(await infoCommand.run([out], info), 0);
  assert.match(info.stdout.text, /architecture\s+rnn \(GRU cell\)/);
  assert.match(info.stdout.text, /context length\s+none \(recurrent\); trained on windows of 16/);

  const model = await loadModel<RnnLanguageModel>(out);
  assert.equal(model.kind, "recurrent");
  await assert.rejects(
    finetuneCommand.run(["--model", out, "--data", dataPath, "--lora", "r=2,targets=lm_head", "--out", join(root, "lora"), "--backend", "js"], captureIo()),
    /is a recurrent model: LoRA fine-tuning is for transformer decoders/,
  );
  assert.equal(model.config.trainedContext, 16);
  // resuming a finished run does nothing more and succeeds
  const resumed = captureIo();
  assert.equal(await trainCommand.run(["--resume", "--out", out, "--backend", "js"], resumed), 0);
  assert.match(resumed.stdout.text, /^step 30: train loss/);
});

test("eval of a recurrent model that records no training window asks for --context", async () => {
  const dir = join(root, "no-window");
  const model = await createModel<RnnLanguageModel>({ model_type: "rnn", cell: "rnn", vocab_size: 40, hidden_size: 8, num_layers: 1 }, { backend: "js" });
  await model.save(dir);
  await writeFile(join(dir, "vocab.json"), JSON.stringify({ itos: [...new Set(TEXT)].sort() }));
  await assert.rejects(evalCommand.run(["--model", dir, "--data", dataPath, "--backend", "js"], captureIo()), (e: unknown) => e instanceof OptionError && /give --context/.test(e.message));
  const io = captureIo();
  assert.equal(await evalCommand.run(["--model", dir, "--data", dataPath, "--context", "32", "--backend", "js"], io), 0);
  assert.match(io.stdout.text, /windows of 32, stride 16/);
});

test("the shakespeare-char-rnn preset is the textbook's Elman RNN: 2 layers of width 128; the cell can be swapped", async () => {
  const config = await readRunConfig("shakespeare-char-rnn", [], undefined);
  assert.deepEqual(config.model, { model_type: "rnn", cell: "rnn", num_layers: 2, embedding_dim: 128, hidden_size: 128, max_position_embeddings: 64 });
  const lstm = await readRunConfig("shakespeare-char-rnn", ["model.cell=lstm"], undefined);
  assert.equal(lstm.model["cell"], "lstm");
  const model = await createModel<RnnLanguageModel>({ ...config.model, vocab_size: 65 }, { backend: "js" });
  assert.equal(model.info().parameters, 65 * 128 + 2 * (128 * 128 * 2 + 2 * 128) + 128 * 65 + 65);
});

test("a recurrent run resumed from a checkpoint repeats the uninterrupted run bit for bit", async () => {
  const dataset = characterDataset(TEXT);
  const modelConfig = { model_type: "rnn", cell: "lstm", num_layers: 2, embedding_dim: 8, hidden_size: 10, dropout: 0.2, vocab_size: dataset.vocabSize };
  const config: TrainConfig = {
    ...DEFAULT_TRAIN_CONFIG,
    maxIters: 16,
    batchSize: 3,
    blockSize: 12,
    warmupIters: 2,
    lrDecayIters: 16,
    evalInterval: 8,
    evalIters: 2,
    dropout: 0.1,
    checkpointInterval: 8,
    finalEvalStride: 12,
  };
  const make = (seed: number) => createModel<RnnLanguageModel>(modelConfig, { backend: "js", seed });
  const uninterrupted = await make(1);
  const full = await new Trainer(uninterrupted, dataset, config).train();

  const dir = join(root, "resume");
  const first = await make(1);
  await new Trainer(first, dataset, config)
    .train({
      checkpoint: async (t) => {
        await saveCheckpoint(dir, { writeModel: (d) => first.save(d), optimizer: t.optimizer.exportState(), trainerState: { progress: JSON.parse(JSON.stringify(t.progress)) } });
        throw new Error("stop");
      },
    })
    .catch((error: Error) => assert.equal(error.message, "stop"));
  const saved = await readCheckpoint(dir);
  const resumedModel = await loadModel<RnnLanguageModel>(dir, { backend: "js" });
  const progress = saved.trainerState["progress"] as unknown as TrainingProgress;
  assert.equal(progress.iteration, 8);
  const resumed = await new Trainer(resumedModel, dataset, config, { progress, optimizer: saved.optimizer }).train();
  assert.deepEqual(resumed.trainLosses, full.trainLosses);
  assert.deepEqual(resumed.finalValidation, full.finalValidation);
  const weights = new Map(uninterrupted.namedParameters());
  for (const [name, p] of resumedModel.namedParameters()) assert.deepEqual(p.data, weights.get(name)!.data, name);
});
