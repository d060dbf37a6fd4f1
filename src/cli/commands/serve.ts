// `lmscope serve`: the OpenAI-compatible HTTP server (src/server/) for one model.
// It listens first (printing the address on stdout, so a caller that asked for port
// 0 learns the port), answers /health with 503 while the model loads, then serves
// until SIGTERM or SIGINT, which shut it down gracefully (exit code 0).

import { readFile } from "node:fs/promises";
import { createBackend } from "../../backend/select.js";
import type { EncoderModel } from "../../encoder-model.js";
import { InputError, OptionError } from "../../errors.js";
import { loadModel, type LanguageModel } from "../../language-model.js";
import type { RnnLanguageModel } from "../../recurrent-model.js";
import type { Seq2SeqModel } from "../../seq2seq-model.js";
import { DEFAULT_MAX_BODY_BYTES } from "../../server/http-io.js";
import { ApiServer } from "../../server/server.js";
import { serveModel } from "../../server/served-model.js";
import type { Command } from "../command.js";
import { BACKEND_USAGE, backendFlags } from "../generation-flags.js";
import { resolveModelOption } from "../model-argument.js";
import { numberOption, parseCommandLine, requiredString, stringOption, type Parsed } from "../options.js";

const DEFAULT_PORT = 8080;
const DEFAULT_PARALLEL = 4;
const DEFAULT_QUEUE = 64;
const MAX_PARALLEL = 64; // one decodeBatch call (chunkRows rows) steps them all

const usage = `usage: lmscope serve --model <dir|file> [options]

An OpenAI-compatible HTTP server: GET /v1/models, POST /v1/chat/completions,
/v1/completions, /v1/embeddings (encoder models), /tokenize, /detokenize,
GET /health, /slots. Prints "listening on <url>" on stdout, then "ready" once the
model is loaded. SIGTERM or SIGINT (Ctrl-C) stops it.

  --model <path>            Hugging Face folder, GGUF file, llama2.c .bin file / folder,
                            or a hub id (org/name, hf:org/name@rev:Q4_K_M); a decoder,
                            or an encoder for /v1/embeddings
  --tokenizer <path>        tokenizer file or folder (default: found beside the model)
  --chat-template <file>    Jinja chat template to use instead of the model's
  --alias <name>            the model id clients send (default: the --model argument)
  --host <address>          interface to listen on (default 127.0.0.1: this machine only)
  --port <n>                port (default ${DEFAULT_PORT}; 0 picks a free one)
  --api-key <key>           require "Authorization: Bearer <key>" on every route but
                            /health (default: the LMSCOPE_API_KEY environment variable)
  --parallel <n>            sequences generated at once, each with its own KV cache
                            (default ${DEFAULT_PARALLEL}); their decode steps are batched
  --ctx <n>                 positions per sequence (default and maximum: the model's context)
  --queue <n>               requests that may wait for a free sequence (default ${DEFAULT_QUEUE});
                            more are refused with 429
  --cors <origin>           allow browser requests from this origin ("*": any); without it
                            requests carrying an Origin header are refused
  --max-body <bytes>        request body limit (default ${DEFAULT_MAX_BODY_BYTES})
${BACKEND_USAGE}
`;

function integerOption(values: Parsed["values"], name: string, min: number, max: number): number | undefined {
  const value = numberOption(values, name);
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= min && value <= max)) {
    throw new OptionError(`--${name}`, `expected an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

async function readTemplate(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new InputError(`--chat-template ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

const SIGNALS = ["SIGTERM", "SIGINT"] as const;

export const serveCommand: Command = {
  name: "serve",
  summary: "an OpenAI-compatible HTTP server (chat, completions, embeddings)",
  usage,
  async run(argv, io) {
    const { values } = parseCommandLine(
      argv,
      {
        model: { type: "string" },
        tokenizer: { type: "string" },
        "chat-template": { type: "string" },
        alias: { type: "string" },
        host: { type: "string" },
        port: { type: "string" },
        "api-key": { type: "string" },
        parallel: { type: "string" },
        ctx: { type: "string" },
        queue: { type: "string" },
        cors: { type: "string" },
        "max-body": { type: "string" },
        backend: { type: "string" },
        threads: { type: "string" },
      },
      false,
    );
    const modelArgument = requiredString(values, "model");
    const port = integerOption(values, "port", 0, 65535) ?? DEFAULT_PORT;
    const parallel = integerOption(values, "parallel", 1, MAX_PARALLEL) ?? DEFAULT_PARALLEL;
    const queueLimit = integerOption(values, "queue", 0, 1_000_000) ?? DEFAULT_QUEUE;
    const contextLength = integerOption(values, "ctx", 2, Number.MAX_SAFE_INTEGER);
    const maxBodyBytes = integerOption(values, "max-body", 1024, 1 << 30) ?? DEFAULT_MAX_BODY_BYTES;
    const apiKey = stringOption(values, "api-key") ?? (process.env["LMSCOPE_API_KEY"] || undefined);
    if (apiKey !== undefined && apiKey.trim() === "") throw new OptionError("--api-key", "is empty");
    const cors = stringOption(values, "cors");
    const host = stringOption(values, "host") ?? "127.0.0.1";
    const templatePath = stringOption(values, "chat-template");
    const chatTemplate = templatePath === undefined ? undefined : await readTemplate(templatePath);
    const tokenizer = stringOption(values, "tokenizer");
    const backend = await createBackend(backendFlags(values));

    const server = await ApiServer.listen({
      host,
      port,
      maxBodyBytes,
      ...(apiKey === undefined ? {} : { apiKey }),
      ...(cors === undefined ? {} : { cors }),
    });
    let stopped: (signal: string) => void = () => {};
    const stop = new Promise<string>((resolve) => (stopped = resolve));
    const onSignal = (signal: string): void => stopped(signal);
    for (const signal of SIGNALS) process.on(signal, onSignal);
    try {
      io.stdout.write(`lmscope serve: listening on ${server.url}\n`);
      if (apiKey === undefined && host !== "127.0.0.1" && host !== "localhost" && host !== "::1") {
        io.stderr.write(`lmscope serve: warning: listening on ${host} without --api-key: anyone who can reach this address can use the model\n`);
      }
      const loading = (async () => {
        await resolveModelOption(values, io);
        return loadModel<LanguageModel | EncoderModel | RnnLanguageModel | Seq2SeqModel>(requiredString(values, "model"), {
          backend,
          ...(tokenizer === undefined ? {} : { tokenizer }),
        });
      })();
      const first = await Promise.race([loading, stop]);
      if (typeof first === "string") {
        loading.catch(() => {}); // stopped while loading: the load's outcome no longer matters
        io.stdout.write(`lmscope serve: ${first} while loading: stopped\n`);
        return 0;
      }
      const model = first;
      if (model.kind !== "decoder" && model.kind !== "encoder") {
        throw new InputError(`${modelArgument} is ${model.kind === "seq2seq" ? "an encoder–decoder" : "a recurrent"} model; lmscope serve takes a transformer decoder, or an encoder for embeddings`);
      }
      const name = stringOption(values, "alias") ?? modelArgument;
      const served = serveModel(model, {
        name,
        parallel,
        queueLimit,
        ...(contextLength === undefined ? {} : { contextLength }),
        ...(chatTemplate === undefined ? {} : { chatTemplate }),
      });
      server.ready(served);
      const what = served.kind === "decoder" ? `${parallel} slots of ${served.contextLength} positions${served.chatFormat === null ? ", no chat template" : ""}` : "embeddings";
      io.stdout.write(`lmscope serve: ready: "${name}" (${model.config.modelType}, ${what})\n`);
      if (served.kind === "decoder" && served.chatFormatProblem !== null) io.stderr.write(`lmscope serve: /v1/chat/completions is off: ${served.chatFormatProblem}\n`);
      const signal = await stop;
      io.stdout.write(`lmscope serve: ${signal}: shutting down\n`);
      return 0;
    } finally {
      for (const signal of SIGNALS) process.off(signal, onSignal);
      await server.close();
    }
  },
};
