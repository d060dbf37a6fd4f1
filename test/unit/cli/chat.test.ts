// `lmscope chat` end to end on a tiny random model folder (config, safetensors, tokenizer.json,
// tokenizer_config.json with a ChatML template): piped input with the REPL's commands, the
// errors a user can make, and a real pseudo-terminal (test/helpers/pty-session.py) in which
// Ctrl-C stops a reply without ending the program and Ctrl-D exits.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import { main } from "../../../src/cli/main.js";
import { writeSafetensors } from "../../../src/io/safetensors.js";
import { captureIo } from "../../helpers/capture.js";
import { CHAT_TOKENIZER_CONFIG, CHATML, chatTokenizer, chatTokenizerJson } from "../../helpers/chat-model.js";
import { REPO_ROOT } from "../../helpers/paths.js";
import { LLAMA_CONFIG, randomLlama } from "../../helpers/random-models.js";

const run = promisify(execFile);
let dir: string;
let plain: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "lmscope-chat-cli-"));
  const config = { ...LLAMA_CONFIG, vocab_size: chatTokenizer().vocabSize, max_position_embeddings: 16384, bos_token_id: 0, eos_token_id: 2 };
  await writeFile(join(dir, "config.json"), JSON.stringify(config));
  await writeSafetensors(join(dir, "model.safetensors"), [...randomLlama(config)].map(([name, t]) => ({ name, shape: t.shape, data: t.data })));
  await writeFile(join(dir, "tokenizer.json"), JSON.stringify(chatTokenizerJson()));
  await writeFile(join(dir, "tokenizer_config.json"), JSON.stringify({ ...CHAT_TOKENIZER_CONFIG, chat_template: CHATML }));
  plain = join(dir, "no-template");
  await run("mkdir", [plain]);
  for (const f of ["config.json", "model.safetensors", "tokenizer.json"]) await run("cp", [join(dir, f), plain]);
});
after(async () => rm(dir, { recursive: true, force: true }));

function piped(lines: string[]) {
  return { ...captureIo(), stdin: Readable.from(lines.map((l) => `${l}\n`)) };
}

test("piped input: one reply line per message, and /save, /reset, /load, /help work", async () => {
  const saved = join(dir, "conversation.json");
  const io = piped(["hello", `/save ${saved}`, "/reset", "again", `/load ${saved}`, "/help", "/nonsense", "", "third"]);
  const args = ["chat", "--model", dir, "--system", "Be brief.", "--temperature", "0", "--max-tokens", "4", "--ignore-eos", "--backend", "js"];
  assert.equal(await main(args, io), 0, io.stderr.text);
  assert.equal(io.stdout.text.split("\n").length, 4, JSON.stringify(io.stdout.text)); // three replies, each ending in "\n"
  const conversation = JSON.parse(await readFile(saved, "utf8"));
  assert.equal(conversation.format, "lmscope-chat");
  assert.deepEqual(conversation.messages.map((m: { role: string }) => m.role), ["system", "user", "assistant"]);
  assert.equal(conversation.messages[1].content, "hello");
  assert.match(io.stderr.text, /saved 3 messages/);
  assert.match(io.stderr.text, /conversation reset/);
  assert.match(io.stderr.text, /loaded 3 messages/);
  assert.match(io.stderr.text, /\/save <file>/);
  assert.match(io.stderr.text, /unknown command \/nonsense/);
  assert.match(io.stderr.text, /reply cut/);
  // Greedy replies to the same conversation are the same: "again" after /reset answers like "hello" did not need to.
  const replies = io.stdout.text.split("\n");
  const again = piped(["hello"]);
  assert.equal(await main(args, again), 0);
  assert.equal(again.stdout.text.split("\n")[0], replies[0]);
});

test("a bad /load is reported and the conversation goes on; user errors of the command exit 1 with a message", async () => {
  const broken = join(dir, "broken.json");
  await writeFile(broken, '{"format": "lmscope-chat", "version": 1, "messages": [{"content": 1}]}');
  const io = piped([`/load ${broken}`, `/load ${join(dir, "missing.json")}`, "hi"]);
  assert.equal(await main(["chat", "--model", dir, "--max-tokens", "2", "--backend", "js"], io), 0);
  assert.match(io.stderr.text, /messages\[0\]\.role: expected a non-empty string/);
  assert.match(io.stderr.text, /missing\.json: cannot be read \(ENOENT\)/);
  assert.equal(io.stdout.text.split("\n").length, 2);

  const none = piped([]);
  assert.equal(await main(["chat", "--model", plain, "--backend", "js"], none), 1);
  assert.match(none.stderr.text, /has no chat template; give one with --chat-template FILE/);
  const missing = piped([]);
  assert.equal(await main(["chat", "--model", plain, "--chat-template", join(dir, "nope.jinja"), "--backend", "js"], missing), 1);
  assert.match(missing.stderr.text, /--chat-template .*nope\.jinja: cannot be read \(ENOENT\)/);
  const given = piped(["hi"]);
  await writeFile(join(dir, "t.jinja"), CHATML);
  assert.equal(await main(["chat", "--model", plain, "--chat-template", join(dir, "t.jinja"), "--max-tokens", "2", "--backend", "js"], given), 0);
});

test("piped input and SIGINT: a signal stops the reply being written; between replies it ends the command with 130", async () => {
  const child = spawn(process.execPath, [join(REPO_ROOT, "dist/src/cli/bin.js"), "chat", "--model", dir, "--ignore-eos", "--max-tokens", "2000", "--backend", "js"]);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const until = async (check: () => boolean, what: string): Promise<void> => {
    for (let waited = 0; !check(); waited += 20) {
      if (waited > 60_000) throw new Error(`timed out waiting for ${what}; stdout ${JSON.stringify(stdout.slice(-200))}, stderr ${JSON.stringify(stderr)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  child.stdin.write("tell me everything\n"); // stdin stays open: the command waits for more
  await until(() => stdout.length > 0, "the reply");
  child.kill("SIGINT");
  await until(() => stderr.includes("(stopped)"), "the reply to stop");
  assert.equal(child.exitCode, null, "the command goes on after stopping a reply");
  child.kill("SIGINT");
  assert.equal(await exited, 130);
});

async function hasPython(): Promise<boolean> {
  return run("python3", ["-c", "import pty"]).then(
    () => true,
    () => false,
  );
}

test("in a terminal: Ctrl-C stops the reply being written, not the program; the next message works; Ctrl-D exits 0", async (t) => {
  if (!(await hasPython())) {
    t.skip("python3 with the pty module is not installed");
    return;
  }
  const steps = [
    ["expect", "Ctrl-D exits"],
    ["expect", "> "],
    ["send", "tell me everything\r"],
    ["expect", "tell me everything"],
    ["expect", "\n"],
    ["send", "\u0003"],
    ["expect", "(stopped)"],
    ["expect", "> "],
    ["send", "/reset\r"],
    ["expect", "(conversation reset)"],
    ["send", "\u0003"],
    ["expect", "^C"],
    ["send", "short one\r"],
    ["expect", "short one"],
    ["expect", "(reply cut"],
    ["expect", "> "],
    ["send", "\u0004"],
    ["wait_exit"],
  ];
  // Replies run to --max-tokens (--ignore-eos): the first one is interrupted long before, the second one is not.
  const bin = join(REPO_ROOT, "dist/src/cli/bin.js");
  const { stdout } = await run("python3", [
    join(REPO_ROOT, "test/helpers/pty-session.py"),
    JSON.stringify(steps),
    process.execPath,
    bin,
    "chat",
    "--model",
    dir,
    "--ignore-eos",
    "--max-tokens",
    "2000",
    "--backend",
    "js",
  ]).catch((error: { stdout: string }) => ({ stdout: error.stdout }));
  const result = JSON.parse(stdout) as { ok: boolean; exit_code: number | null; output: string; failed_step: number | null };
  assert.ok(result.ok, `step ${result.failed_step} ${JSON.stringify(steps[result.failed_step ?? 0])} not reached; output:\n${result.output.slice(-2000)}`);
  assert.equal(result.exit_code, 0);
});
