// The lmscope command's surface: help, unknown commands and options, `info`.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { main } from "../../../src/cli/main.js";
import { writeSafetensors } from "../../../src/io/safetensors.js";
import { captureIo } from "../../helpers/capture.js";
import { GPT2_CONFIG, randomGpt2 } from "../../helpers/random-models.js";

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "lmscope-cli-"));
  await writeFile(join(dir, "config.json"), JSON.stringify(GPT2_CONFIG));
  await writeSafetensors(join(dir, "model.safetensors"), [...randomGpt2()].map(([name, t]) => ({ name, shape: t.shape, data: t.data })));
});
after(async () => rm(dir, { recursive: true, force: true }));

test("--help lists the commands; a command's --help prints its usage", async () => {
  const io = captureIo();
  assert.equal(await main(["--help"], io), 0);
  assert.match(io.stdout.text, /generate\s+stream/);
  assert.match(io.stdout.text, /info\s+describe/);
  const sub = captureIo();
  assert.equal(await main(["generate", "--help"], sub), 0);
  assert.match(sub.stdout.text, /--top-p <p>/);
});

test("unknown commands and options exit non-zero with a message naming them", async () => {
  const io = captureIo();
  assert.equal(await main(["frobnicate"], io), 2);
  assert.match(io.stderr.text, /unknown command "frobnicate"/);
  const bad = captureIo();
  assert.equal(await main(["generate", "--model", dir, "--temprature", "0"], bad), 1);
  assert.match(bad.stderr.text, /option "--temprature": Unknown option/);
  const nan = captureIo();
  assert.equal(await main(["generate", "--model", dir, "--top-k", "many"], nan), 1);
  assert.match(nan.stderr.text, /"--top-k": expected a number, got "many"/);
});

test("generate without a tokenizer says how to give one", async () => {
  const io = captureIo();
  assert.equal(await main(["generate", "--model", dir], io), 1);
  assert.match(io.stderr.text, /has no tokenizer; load it with \{ tokenizer/);
});

test("info prints the exact parameter count beside the 12·L·d² estimate", async () => {
  const io = captureIo();
  assert.equal(await main(["info", dir], io), 0);
  // wte 97·24 + wpe 40·24 + 2 layers × (2·LN 4·24 + attn 24·72+72 + 24·24+24 + mlp 24·96+96 + 96·24+24) + ln_f 2·24
  const perLayer = 4 * 24 + (24 * 72 + 72) + (24 * 24 + 24) + (24 * 96 + 96) + (96 * 24 + 24);
  const exact = 97 * 24 + 40 * 24 + 2 * perLayer + 2 * 24;
  assert.match(io.stdout.text, new RegExp(`parameters\\s+${exact.toLocaleString("en-US")}\\n`));
  assert.match(io.stdout.text, new RegExp(`12·L·d² estimate\\s+${(12 * 2 * 24 * 24).toLocaleString("en-US")} `));
  assert.match(io.stdout.text, /context length\s+40\n/);
  assert.match(io.stdout.text, /vocabulary size\s+97\n/);
  assert.match(io.stdout.text, /weight dtype\s+F32\n/);
  const json = captureIo();
  assert.equal(await main(["info", dir, "--json"], json), 0);
  assert.equal(JSON.parse(json.stdout.text).parameters, exact);
});
