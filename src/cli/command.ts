// The shape of one `lmscope` subcommand. Each subcommand lives in its own file
// under src/cli/commands/ and is listed in src/cli/main.ts.

export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Standard input, for interactive commands (chat); default process.stdin. */
  stdin?: NodeJS.ReadableStream;
}

export interface Command {
  /** The subcommand, possibly two words ("tokenizer train"). */
  readonly name: string;
  /** One line for `lmscope --help`. */
  readonly summary: string;
  /** Full usage text printed by `lmscope <name> --help` and on bad arguments. */
  readonly usage: string;
  /** Runs the command; resolves to the process exit code. Throws LmscopeError on user errors. */
  run(argv: string[], io: CliIo): Promise<number>;
}
