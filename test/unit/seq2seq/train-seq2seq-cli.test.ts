// `lmscope train-seq2seq` on a few pairs with a tiny model: the checkpoint holds the
// model, tokenizer, optimizer state, trainer state and loss.svg and `lmscope generate`
// loads it (streamed and with beam search); a run stopped at a checkpoint and
// resumed repeats the uninterrupted run's losses and weights exactly; mistakes in
// the data and options are refused by name.
import assert from "node:assert/strict";
import { access, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { trainSeq2SeqCommand } from "../../../src/cli/commands/train-seq2seq.js";
import { main } from "../../../src/cli/main.js";
import { captureIo } from "../../helpers/capture.js";

let root: string;
let dataPath: string;
const WORDS = ["sun", "moon", "sea", "star", "rain", "wind"];
const PAIRS = Array.from({ length: 40 }, (_, i) => {
  const words = [WORDS[i % 6]!, WORDS[(i * 5 + 1) % 6]!, WORDS[(i * 7 + 2) % 6]!];
  return `${words.join(" ")}\t${words.reverse().map((w) => w.toUpperCase()).join(" ")}`;
}).join("\n");
const TINY = [
  "--set", "model.d_model=16", "--set", "model.encoder_layers=1", "--set", "model.decoder_layers=1",
  "--set", "model.encoder_attention_heads=2", "--set", "model.decoder_attention_heads=2",
  "--set", "model.encoder_ffn_dim=24", "--set", "model.decoder_ffn_dim=24",
  "--set", "batch_size=4", "--set", "block_size=24", "--set", "eval_iters=1", "--set", "eval_interval=4",
  "--set", "warmup_iters=2", "--set", "lr_decay_iters=8", "--set", "dropout=0.1", "--backend", "js", "--log-interval", "100",
];

before(async () => {
  root = await mkdtemp(join(tmpdir(), "lmscope-train-seq2seq-"));
  dataPath = join(root, "pairs.tsv");
  await writeFile(dataPath, `${PAIRS}\n`);
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

test("train-seq2seq writes a checkpoint that generate loads, streamed and with beam search", async () => {
  const out = join(root, "model");
  const io = captureIo();
  assert.equal(await trainSeq2SeqCommand.run(["--data", dataPath, "--out", out, ...TINY, "--set", "max_iters=8", "--set", "checkpoint_interval=4"], io), 0);
  assert.match(io.stdout.text, /validation loss [\d.]+ \(perplexity [\d.]+\) over 4 validation pairs/);
  assert.match(io.stdout.text, /exact match \d+\/4/);
  for (const file of ["config.json", "model.safetensors", "tokenizer.json", "optimizer.safetensors", "trainer_state.json", "loss.svg"]) await access(join(out, file));
  const state = JSON.parse(await readFile(join(out, "trainer_state.json"), "utf8"));
  assert.equal(state.kind, "train-seq2seq");
  assert.equal(state.run.label_smoothing, 0.1);
  const streamed = captureIo();
  assert.equal(await main(["generate", "--model", out, "--prompt", "sun moon sea", "--max-tokens", "6", "--backend", "js"], streamed), 0);
  assert.match(streamed.stdout.text, /^[A-Za-z ]*\n$/);
  const beams = captureIo();
  assert.equal(await main(["generate", "--model", out, "--prompt", "sun moon sea", "--max-tokens", "6", "--num-beams", "3", "--num-return-sequences", "2", "--backend", "js"], beams), 0);
  assert.equal(beams.stdout.text.split("\n").length, 3, "two lines, best first");
  const info = captureIo();
  assert.equal(await main(["info", out], info), 0);
  assert.match(info.stdout.text, /architecture +transformer \(encoder–decoder\)\nformat +huggingface\nparameters +[\d,]+\nlayers +1 encoder \+ 1 decoder/);
});

test("a run stopped at a checkpoint and resumed repeats the uninterrupted run exactly", async () => {
  const whole = join(root, "whole");
  const parts = join(root, "parts");
  assert.equal(await trainSeq2SeqCommand.run(["--data", dataPath, "--out", whole, ...TINY, "--set", "max_iters=8"], captureIo()), 0);
  assert.equal(await trainSeq2SeqCommand.run(["--data", dataPath, "--out", parts, ...TINY, "--set", "max_iters=4"], captureIo()), 0);
  // the same run asked to go on to 8 steps (its learning-rate schedule already spans 8)
  const statePath = join(parts, "trainer_state.json");
  const state = JSON.parse(await readFile(statePath, "utf8"));
  state.run.max_iters = 8;
  await writeFile(statePath, JSON.stringify(state));
  const resumed = captureIo();
  assert.equal(await trainSeq2SeqCommand.run(["--resume", "--out", parts, "--backend", "js", "--log-interval", "100"], resumed), 0);
  assert.match(resumed.stderr.text, /resuming at step 4 of 8/);
  const a = JSON.parse(await readFile(join(whole, "trainer_state.json"), "utf8")).progress.trainLosses;
  const b = JSON.parse(await readFile(statePath, "utf8")).progress.trainLosses;
  assert.deepEqual(b, a);
  assert.deepEqual(await readFile(join(parts, "model.safetensors")), await readFile(join(whole, "model.safetensors")));
});

test("train-seq2seq refuses bad data and options by name", async () => {
  const io = captureIo();
  const bad = join(root, "bad.tsv");
  await writeFile(bad, "one\ttwo\nno tab here\n");
  await assert.rejects(trainSeq2SeqCommand.run(["--data", bad, "--out", join(root, "x")], io), /bad\.tsv line 2: expected "source<TAB>target"/);
  await writeFile(bad, "one\t\n");
  await assert.rejects(trainSeq2SeqCommand.run(["--data", bad, "--out", join(root, "x")], io), /line 1: the source or the target is empty/);
  await assert.rejects(trainSeq2SeqCommand.run(["--data", dataPath, "--out", join(root, "y"), "--set", "block_size=4"], io), /more than block_size 4/);
  await assert.rejects(trainSeq2SeqCommand.run(["--data", dataPath, "--out", join(root, "z"), "--set", "label_smoothing=2"], io), /label_smoothing/);
  await assert.rejects(trainSeq2SeqCommand.run(["--data", dataPath, "--out", join(root, "w"), "--set", "model.model_type=gpt2"], io), /not an encoder–decoder/);
  await assert.rejects(trainSeq2SeqCommand.run(["--resume", "--out", join(root, "nothing")], io), /holds no training checkpoint/);
});
