// `lmscope chat`: a terminal conversation with an instruct model. Each line typed is a
// message; the reply streams back. Lines starting with "/" are commands (/help).
// Ctrl-C stops the reply being written (the partial reply stays in the conversation)
// and otherwise clears the line; Ctrl-D (end of input) exits. With piped input every
// line is a message, each reply is written followed by a newline, and the end of the
// input ends the command once the last reply is done; SIGINT stops a reply, or ends
// the command (exit code 130) between replies.

import { readFile, writeFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { createBackend } from "../../backend/select.js";
import type { ChatSession } from "../../chat/session.js";
import { InputError, LmscopeError } from "../../errors.js";
import type { GenerateOptions } from "../../generation/generate.js";
import { loadModel, type LanguageModel } from "../../language-model.js";
import type { EncoderModel } from "../../encoder-model.js";
import type { RnnLanguageModel } from "../../recurrent-model.js";
import type { CliIo, Command } from "../command.js";
import { BACKEND_USAGE, backendFlags, GENERATION_FLAGS, generationOptions, SAMPLING_USAGE } from "../generation-flags.js";
import { resolveModelOption } from "../model-argument.js";
import { parseCommandLine, requiredString, stringOption } from "../options.js";

/** How long a reply may keep the event loop busy before input is read again. */
const EVENT_LOOP_INTERVAL_MS = 20;

const usage = `usage: lmscope chat --model <dir|file> [options]

A conversation in the terminal, rendered with the model's chat template. Type a
message and press Enter; the reply streams back. Ctrl-C stops a reply, Ctrl-D exits.
Piped input works too: each line is a message, each reply is printed on its own line.

  --model <path>            Hugging Face folder, GGUF file, llama2.c .bin file / folder,
                            or a hub id (org/name, hf:org/name@rev:Q4_K_M; see lmscope download)
  --tokenizer <path>        tokenizer file or folder (default: found beside the model)
  --system <text>           system prompt
  --chat-template <file>    Jinja chat template to use instead of the model's
  --max-tokens <n>          new tokens per reply at most (default: until the end of the turn)
${SAMPLING_USAGE}
  --ignore-eos              do not stop at end-of-turn tokens
${BACKEND_USAGE}

commands:
${commandHelp()}`;

function commandHelp(): string {
  return `  /reset         start over (the system prompt stays)
  /save <file>   write the conversation as JSON
  /load <file>   read a conversation written by /save
  /help          this list
`;
}

async function readTemplate(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new InputError(`--chat-template ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/** Runs a "/command" line; a user error is printed and the conversation goes on. */
async function runCommand(line: string, session: ChatSession, io: CliIo): Promise<void> {
  const [name, ...rest] = line.trim().split(/\s+/);
  const file = rest.join(" ");
  try {
    switch (name) {
      case "/reset":
        session.reset();
        io.stderr.write("(conversation reset)\n");
        return;
      case "/save":
        if (file === "") throw new InputError("/save needs a file name");
        await writeFile(file, `${JSON.stringify(session.save(), null, 2)}\n`).catch((error: NodeJS.ErrnoException) => {
          throw new InputError(`${file}: cannot be written (${error.code ?? error.message})`);
        });
        io.stderr.write(`(saved ${session.history.length} messages to ${file})\n`);
        return;
      case "/load":
        if (file === "") throw new InputError("/load needs a file name");
        session.restore(await readFile(file, "utf8").catch((error: NodeJS.ErrnoException) => {
          throw new InputError(`${file}: cannot be read (${error.code ?? error.message})`);
        }));
        io.stderr.write(`(loaded ${session.history.length} messages from ${file})\n`);
        return;
      case "/help":
        io.stderr.write(commandHelp());
        return;
      default:
        io.stderr.write(`unknown command ${name}; /help lists them\n`);
    }
  } catch (error) {
    if (!(error instanceof LmscopeError)) throw error;
    io.stderr.write(`${error.message}\n`);
  }
}

export const chatCommand: Command = {
  name: "chat",
  summary: "talk with an instruct model in the terminal",
  usage,
  async run(argv, io) {
    const { values } = parseCommandLine(
      argv,
      {
        model: { type: "string" },
        tokenizer: { type: "string" },
        system: { type: "string" },
        "chat-template": { type: "string" },
        ...GENERATION_FLAGS,
      },
      false,
    );
    const options: GenerateOptions = generationOptions(values);
    const templatePath = stringOption(values, "chat-template");
    const system = stringOption(values, "system");
    const tokenizer = stringOption(values, "tokenizer");
    await resolveModelOption(values, io);
    const path = requiredString(values, "model");
    const model = await loadModel<LanguageModel | EncoderModel | RnnLanguageModel>(path, {
      backend: await createBackend(backendFlags(values)),
      ...(tokenizer === undefined ? {} : { tokenizer }),
    });
    if (model.kind !== "decoder") throw new InputError(`${path} is ${model.kind === "encoder" ? "an encoder" : "a recurrent"} model; chat needs a transformer decoder`);
    const session = model.chat({
      ...(system === undefined ? {} : { system }),
      ...(templatePath === undefined ? {} : { template: await readTemplate(templatePath) }),
    });
    const input = io.stdin ?? process.stdin;
    const interactive = (input as { isTTY?: boolean }).isTTY === true;
    const lines = createInterface({ input, output: io.stdout, terminal: interactive, prompt: "> " });
    let reply: AbortController | null = null;
    let interrupted = false;
    const interrupt = (): void => {
      if (reply !== null) reply.abort();
      else if (interactive) {
        io.stdout.write("^C\n");
        lines.write(null, { ctrl: true, name: "u" });
        lines.prompt();
      } else {
        interrupted = true; // piped input and nothing to stop: end the command
        lines.close();
      }
    };
    lines.on("SIGINT", interrupt);
    process.on("SIGINT", interrupt);
    if (interactive) {
      lines.on("close", () => reply?.abort()); // Ctrl-D during a reply stops it, then the command ends
      io.stdout.write(`lmscope chat with ${model.source.path}: /help lists the commands, Ctrl-C stops a reply, Ctrl-D exits\n`);
      lines.prompt();
    }
    try {
      for await (const line of lines) {
        if (line.trim().startsWith("/")) await runCommand(line, session, io);
        else if (line.trim() !== "") {
          reply = new AbortController();
          try {
            const run = session.send(line, { ...options, signal: reply.signal });
            let next = await run.next();
            let yielded = performance.now();
            for (; next.done !== true; next = await run.next()) {
              io.stdout.write(next.value.text);
              // Generation runs in microtasks; let key presses (Ctrl-C) and signals in now and then.
              if (performance.now() - yielded > EVENT_LOOP_INTERVAL_MS) {
                await new Promise((resolve) => setImmediate(resolve));
                yielded = performance.now();
              }
            }
            io.stdout.write("\n");
            const { finishReason, usage } = next.value;
            if (usage.droppedMessages > 0) io.stderr.write(`(the ${usage.droppedMessages} oldest messages were dropped to fit the context)\n`);
            if (finishReason === "abort") io.stderr.write("(stopped)\n");
            else if (finishReason === "length") io.stderr.write("(reply cut: token limit or context full)\n");
          } catch (error) {
            if (!(error instanceof LmscopeError)) throw error;
            io.stderr.write(`${error.message}\n`);
          } finally {
            reply = null;
          }
        }
        if (interactive) lines.prompt();
      }
    } finally {
      process.off("SIGINT", interrupt);
      lines.close();
      session.close();
    }
    if (interactive) io.stdout.write("\n");
    return interrupted ? 130 : 0;
  },
};
