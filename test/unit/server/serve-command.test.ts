// `lmscope serve` as a command: its usage, flags refused by name, a model that fails
// to load (exit 1 after listening), a model without a chat template (completions
// work, chat completions say what is missing) and --chat-template.
import assert from "node:assert/strict";
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { main } from "../../../src/cli/main.js";
import { captureIo } from "../../helpers/capture.js";
import { CHATML } from "../../helpers/chat-model.js";
import { raw, startServe } from "../../helpers/serve-process.js";
import { writeModelFolders, type ModelFolders } from "./model-folders.js";

let folders: ModelFolders;
let plain: string;
before(async () => {
  folders = await writeModelFolders();
  plain = join(folders.chat, "no-template");
  await mkdir(plain);
  for (const file of ["config.json", "model.safetensors", "tokenizer.json"]) await copyFile(join(folders.chat, file), join(plain, file));
  await writeFile(join(folders.chat, "chatml.jinja"), CHATML);
});
after(async () => folders.cleanup());

test("--help lists the routes and flags; bad flags are errors that name them", async () => {
  const help = captureIo();
  assert.equal(await main(["serve", "--help"], help), 0);
  for (const flag of ["--host", "--port", "--api-key", "--parallel", "--ctx", "--cors", "--queue", "--max-body", "/v1/chat/completions"]) assert.ok(help.stdout.text.includes(flag), flag);
  const cases: [string[], RegExp][] = [
    [["--port", "70000"], /--port.*integer from 0 to 65535/],
    [["--parallel", "0"], /--parallel.*integer from 1 to 64/],
    [["--queue", "-1"], /--queue/],
    [["--ctx", "1.5"], /--ctx/],
    [["--max-body", "10"], /--max-body/],
    [["--api-key", " "], /--api-key.*empty/],
    [["--frobnicate"], /frobnicate/],
    [[], /--model.*required/],
  ];
  for (const [args, message] of cases) {
    const io = captureIo();
    const model = args.length === 0 ? [] : ["--model", folders.chat];
    assert.equal(await main(["serve", ...model, ...args], io), 1, args.join(" "));
    assert.match(io.stderr.text, message);
  }
});

test("a model that cannot be loaded, or a --ctx beyond its context: the server listened, reports the error and exits 1", async () => {
  const server = await startServe(["--model", join(folders.chat, "missing")], { waitReady: false });
  assert.equal(await server.exited, 1);
  assert.match(server.stderr(), /lmscope serve: .*missing/);
  const tooLong = await startServe(["--model", folders.chat, "--ctx", "513"], { waitReady: false });
  assert.equal(await tooLong.exited, 1);
  assert.match(tooLong.stderr(), /--ctx.*513 positions exceed the model's context of 512/);
});

test("without a chat template, completions work and chat completions say how to give one; --chat-template gives one", async () => {
  const server = await startServe(["--model", plain, "--alias", "m"]);
  try {
    assert.match(await server.stderrMatching(/chat\/completions is off: .*/), /no chat template/);
    const completion = await raw(server.url, "POST", "/v1/completions", { body: JSON.stringify({ model: "m", prompt: "hi", max_tokens: 2 }) });
    assert.equal(completion.status, 200);
    const chat = await raw(server.url, "POST", "/v1/chat/completions", { body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] }) });
    assert.equal(chat.status, 400);
    const error = JSON.parse(chat.text).error;
    assert.equal(error.code, "no_chat_template");
    assert.match(error.message, /--chat-template FILE/);
  } finally {
    assert.equal(await server.stop(), 0);
  }
  const templated = await startServe(["--model", plain, "--alias", "m", "--chat-template", join(folders.chat, "chatml.jinja")]);
  try {
    const chat = await raw(templated.url, "POST", "/v1/chat/completions", { body: JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }], max_tokens: 2 }) });
    assert.equal(chat.status, 200, chat.text);
  } finally {
    assert.equal(await templated.stop(), 0);
  }
});
