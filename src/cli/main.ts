// The `lmscope` command: dispatches to one subcommand per file in ./commands.
// bin.ts is the executable entry point; tests call main() directly.
import type { CliIo, Command } from "./command.js";
import { LmscopeError } from "../errors.js";
import { chatCommand } from "./commands/chat.js";
import { classifyCommand } from "./commands/classify.js";
import { downloadCommand } from "./commands/download.js";
import { embedCommand } from "./commands/embed.js";
import { evalCommand } from "./commands/eval.js";
import { experimentCommand } from "./commands/experiment.js";
import { fillMaskCommand } from "./commands/fill-mask.js";
import { finetuneCommand } from "./commands/finetune.js";
import { finetuneEncoderCommand } from "./commands/finetune-encoder.js";
import { generateCommand } from "./commands/generate.js";
import { infoCommand } from "./commands/info.js";
import { inspectCommand } from "./commands/inspect.js";
import { nerCommand } from "./commands/ner.js";
import { quantizeCommand } from "./commands/quantize.js";
import { serveCommand } from "./commands/serve.js";
import { similarityCommand } from "./commands/similarity.js";
import { tokenizeCommand } from "./commands/tokenize.js";
import { trainCommand } from "./commands/train.js";
import { trainEncoderCommand } from "./commands/train-encoder.js";
import { trainSeq2SeqCommand } from "./commands/train-seq2seq.js";
import { tokenizerTrainCommand } from "./commands/tokenizer-train.js";

const commands: Command[] = [
  generateCommand,
  chatCommand,
  serveCommand,
  infoCommand,
  inspectCommand,
  downloadCommand,
  fillMaskCommand,
  classifyCommand,
  nerCommand,
  embedCommand,
  similarityCommand,
  tokenizeCommand,
  tokenizerTrainCommand,
  quantizeCommand,
  trainCommand,
  evalCommand,
  experimentCommand,
  finetuneCommand,
  trainEncoderCommand,
  finetuneEncoderCommand,
  trainSeq2SeqCommand,
];

function printHelp(io: CliIo): void {
  io.stdout.write("usage: lmscope <command> [options]\n\ncommands:\n");
  for (const c of commands) io.stdout.write(`  ${c.name.padEnd(18)} ${c.summary}\n`);
  io.stdout.write("\n`lmscope <command> --help` shows a command's options.\n");
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h") {
    printHelp(io);
    return 0;
  }
  // Two-word commands ("tokenizer train") take precedence over one-word ones.
  const command =
    commands.find((c) => c.name === `${argv[0]} ${argv[1]}`) ?? commands.find((c) => c.name === argv[0]);
  if (command === undefined) {
    io.stderr.write(`lmscope: unknown command "${argv[0]}"\n`);
    printHelp(io);
    return 2;
  }
  const rest = argv.slice(command.name.split(" ").length);
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout.write(command.usage.endsWith("\n") ? command.usage : `${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof LmscopeError) {
      io.stderr.write(`lmscope ${command.name}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
