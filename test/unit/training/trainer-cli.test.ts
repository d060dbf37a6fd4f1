// `lmscope train`, `eval` and `finetune` on a tiny model and text: the checkpoint
// loads for generation, eval on the validation split prints the training log's
// final validation loss, loss.svg is written, and option mistakes are refused.
import assert from "node:assert/strict";
import { access, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { evalCommand } from "../../../src/cli/commands/eval.js";
import { finetuneCommand, parseLoraSpec } from "../../../src/cli/commands/finetune.js";
import { trainCommand } from "../../../src/cli/commands/train.js";
import { loadModel } from "../../../src/language-model.js";
import { characterVocabulary } from "../../../src/training/datasets/index.js";
import { captureIo } from "../../helpers/capture.js";

let root: string;
let dataPath: string;
let configPath: string;
let out: string;
const TEXT = Array.from({ length: 60 }, (_, i) => `KING ${i % 5}: my lord, the ${["sun", "moon", "sea"][i % 3]} is up.\n`).join("");

before(async () => {
  root = await mkdtemp(join(tmpdir(), "lmscope-train-cli-"));
  dataPath = join(root, "text.txt");
  configPath = join(root, "config.json");
  out = join(root, "model");
  await writeFile(dataPath, TEXT);
  await writeFile(
    configPath,
    JSON.stringify({
      model: { model_type: "gpt2", n_layer: 1, n_head: 2, n_embd: 16 },
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

test("train writes a checkpoint that generate loads; eval on the validation split prints the logged validation loss", async () => {
  const io = captureIo();
  assert.equal(await trainCommand.run(["--data", dataPath, "--config", configPath, "--out", out, "--backend", "js"], io), 0, io.stderr.text);
  assert.match(io.stderr.text, /step 10\/30 \| loss \d\.\d{4} \| lr [\d.]+e-\d \| [\d.k]+ tok\/s \| [\d.]+ ms\/step \| ETA \d+s/);
  assert.match(io.stderr.text, /step 20: train loss \d\.\d{4}, val loss \d\.\d{4}/);
  const logged = /validation loss (\d\.\d{4}) \(perplexity ([\d.]+)\) over the whole validation split: (\d+) tokens, windows of 16, stride 8/.exec(io.stdout.text);
  assert.ok(logged !== null, io.stdout.text);
  const svg = await readFile(join(out, "loss.svg"), "utf8");
  assert.equal((svg.match(/<polyline/g) ?? []).length, 3);

  const evaluation = captureIo();
  assert.equal(await evalCommand.run(["--model", out, "--data", dataPath, "--split", "validation", "--backend", "js"], evaluation), 0);
  assert.match(evaluation.stdout.text, new RegExp(`^loss ${logged[1]}  perplexity ${logged[2]}  \\(${logged[3]} tokens of .* \\[validation split\\], \\d+ windows of 16, stride 8`));

  const model = await loadModel(out);
  assert.equal(model.config.vocabSize, characterVocabulary(TEXT).length);
  let text = "";
  for await (const piece of model.generate("KING", { maxTokens: 10, seed: 1 })) text += piece.text;
  assert.equal(text.length, 10);
  for (const ch of text) assert.ok(TEXT.includes(ch), `generated ${JSON.stringify(ch)}, not in the training text`);
});

test("train refuses to overwrite a checkpoint without --resume, and --resume with a new config", async () => {
  const io = captureIo();
  await assert.rejects(trainCommand.run(["--data", dataPath, "--out", out, "--config", configPath], io), /already holds a training checkpoint: pass --resume/);
  await assert.rejects(trainCommand.run(["--resume", "--out", out, "--config", configPath], io), /leave out --config, --set and --tokenizer/);
  await assert.rejects(trainCommand.run(["--resume", "--out", join(root, "nothing")], io), /holds no training checkpoint/);
  // resuming a finished run does nothing more and succeeds
  const resumed = captureIo();
  assert.equal(await trainCommand.run(["--resume", "--out", out, "--backend", "js"], resumed), 0);
  assert.match(resumed.stdout.text, /^step 30: train loss/);
});

test("configuration mistakes name the field", async () => {
  const io = captureIo();
  const fresh = join(root, "never");
  await assert.rejects(trainCommand.run(["--data", dataPath, "--out", fresh, "--set", "max_itres=5"], io), /max_itres: unknown field/);
  await assert.rejects(trainCommand.run(["--data", dataPath, "--out", fresh, "--set", "batch_size=0"], io), /batch_size: expected a positive integer, got 0/);
  await assert.rejects(trainCommand.run(["--data", dataPath, "--out", fresh, "--config", "no-such-preset"], io), /neither a preset \(shakespeare-char, [^)]*\) nor a readable file/);
  await assert.rejects(trainCommand.run(["--data", dataPath, "--out", fresh, "--set", "model.vocab_size=9"], io), /vocab_size: comes from the data/);
  await assert.rejects(access(fresh));
  const occupied = join(root, "occupied");
  await mkdir(occupied);
  await writeFile(join(occupied, "notes.txt"), "mine");
  await assert.rejects(trainCommand.run(["--data", dataPath, "--out", occupied, "--config", configPath], io), /is not a training checkpoint; refusing to replace it/);
});

test("train with a tokenizer copies it into the checkpoint", async () => {
  const io = captureIo();
  const tokOut = join(root, "with-tokenizer");
  const args = ["--data", dataPath, "--config", configPath, "--tokenizer", out, "--out", tokOut, "--set", "max_iters=3", "--set", "eval_interval=0", "--set", "final_eval=false", "--backend", "js"];
  assert.equal(await trainCommand.run(args, io), 0, io.stderr.text);
  const model = await loadModel(tokOut);
  assert.deepEqual(model.tokenizer.encode("KING"), (await loadModel(out)).tokenizer.encode("KING"));
});

test("--lora specs parse, with a list of targets", () => {
  assert.deepEqual(parseLoraSpec("r=8,alpha=16,targets=c_attn,c_proj"), { r: 8, alpha: 16, dropout: 0, targetModules: ["c_attn", "c_proj"] });
  assert.deepEqual(parseLoraSpec("targets=q_proj,v_proj,r=4,dropout=0.05"), { r: 4, alpha: 4, dropout: 0.05, targetModules: ["q_proj", "v_proj"] });
  assert.throws(() => parseLoraSpec("alpha=16,targets=c_attn"), /r=<rank> is required/);
  assert.throws(() => parseLoraSpec("r=8"), /targets=/);
  assert.throws(() => parseLoraSpec("r=2.5,targets=x"), /r: expected an integer/);
  assert.throws(() => parseLoraSpec("r=8,rank=3,targets=x"), /unknown key "rank"/);
});

test("finetune trains LoRA adapters and saves them in the PEFT layout", async () => {
  const io = captureIo();
  const adapterOut = join(root, "adapter");
  const args = ["--model", out, "--lora", "r=2,alpha=4,targets=c_attn", "--data", dataPath, "--out", adapterOut, "--backend", "js"];
  const settings = ["--set", "max_iters=4", "--set", "block_size=16", "--set", "warmup_iters=1", "--set", "lr_decay_iters=4", "--set", "eval_interval=2", "--set", "eval_iters=1"];
  assert.equal(await finetuneCommand.run([...args, ...settings], io), 0, io.stderr.text);
  assert.match(io.stderr.text, /fine-tuning 128 LoRA parameters \(r 2, alpha 4, c_attn\)/); // one layer: A [2, 16] + B [48, 2]
  const config = JSON.parse(await readFile(join(adapterOut, "adapter_config.json"), "utf8"));
  assert.equal(config.r, 2);
  const tuned = await loadModel(out, { adapter: adapterOut });
  assert.equal(tuned.namedParameters().length, 2);
});
