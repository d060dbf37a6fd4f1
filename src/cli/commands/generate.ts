// `lmscope generate`: stream a model's continuation of a prompt to stdout.

import type { Command } from "../command.js";
import { createBackend, type BackendName } from "../../backend/select.js";
import { loadModel, type LanguageModel } from "../../language-model.js";
import type { RnnLanguageModel } from "../../recurrent-model.js";
import type { GenerateOptions } from "../../generation/generate.js";
import { numberOption, parseCommandLine, requiredString, stringOption } from "../options.js";
import { resolveModelOption } from "../model-argument.js";

const usage = `usage: lmscope generate --model <dir|file> [options]

Streams the model's continuation of the prompt to stdout (the prompt is printed first).

  --model <path>            Hugging Face folder, GGUF file, llama2.c .bin file / folder,
                            or a hub id (org/name, hf:org/name@rev:Q4_K_M; see lmscope download)
  --tokenizer <path>        tokenizer file or folder (default: found beside the model)
  --prompt <text>           text to continue (default: empty, i.e. start from BOS)
  --max-tokens <n>          new tokens at most (default 256, or what the context allows;
                            a recurrent model has no context limit)
  --temperature <t>         0 = greedy (default 1)
  --top-k <k>               sample from the k most likely tokens (default 0 = off)
  --top-p <p>               nucleus sampling, in (0, 1] (default 1 = off)
  --min-p <p>               drop tokens below p × the top probability (default 0 = off)
  --repetition-penalty <r>  CTRL penalty for seen tokens (default 1 = off)
  --seed <n>                random seed (default 0)
  --stop <text>             stop before this text (repeatable)
  --ignore-eos              keep generating after an end-of-sequence token
  --stats                   print token counts and speed to stderr
  --backend <js|wasm|auto>  compute backend (default auto: wasm where WebAssembly SIMD runs)
  --threads <n>             threads of the wasm backend (default: the available cores)
`;

const DEFAULT_MAX_TOKENS = 256;

export const generateCommand: Command = {
  name: "generate",
  summary: "stream a model's continuation of a prompt",
  usage,
  async run(argv, io) {
    const { values } = parseCommandLine(
      argv,
      {
        model: { type: "string" },
        tokenizer: { type: "string" },
        prompt: { type: "string" },
        "max-tokens": { type: "string" },
        temperature: { type: "string" },
        "top-k": { type: "string" },
        "top-p": { type: "string" },
        "min-p": { type: "string" },
        "repetition-penalty": { type: "string" },
        seed: { type: "string" },
        stop: { type: "string", multiple: true },
        "ignore-eos": { type: "boolean" },
        stats: { type: "boolean" },
        backend: { type: "string" },
        threads: { type: "string" },
      },
      false,
    );
    const options: GenerateOptions = {
      maxTokens: numberOption(values, "max-tokens"),
      temperature: numberOption(values, "temperature"),
      topK: numberOption(values, "top-k"),
      topP: numberOption(values, "top-p"),
      minP: numberOption(values, "min-p"),
      repetitionPenalty: numberOption(values, "repetition-penalty"),
      seed: numberOption(values, "seed"),
      stop: (values["stop"] as string[] | undefined) ?? [],
      stopOnEos: values["ignore-eos"] !== true,
    };
    for (const key of Object.keys(options) as (keyof GenerateOptions)[]) if (options[key] === undefined) delete options[key];
    const tokenizer = stringOption(values, "tokenizer");
    const backend = (stringOption(values, "backend") ?? "auto") as BackendName;
    const threads = numberOption(values, "threads");
    await resolveModelOption(values, io);
    const model = await loadModel<LanguageModel | RnnLanguageModel>(requiredString(values, "model"), {
      backend: await createBackend(threads === undefined ? { backend } : { backend, threads }),
      ...(tokenizer === undefined ? {} : { tokenizer }),
    });
    const prompt = stringOption(values, "prompt") ?? "";
    const promptLength = model.tokenizer.encode(prompt).length;
    options.maxTokens ??= Math.min(DEFAULT_MAX_TOKENS, model.config.contextLength - Math.max(promptLength, 1));

    const started = performance.now();
    let firstTokenAt = 0;
    let generated = 0;
    io.stdout.write(prompt);
    const run = model.generate(prompt, options);
    let next = await run.next();
    while (next.done !== true) {
      if (next.value.tokenId !== null && generated++ === 0) firstTokenAt = performance.now();
      io.stdout.write(next.value.text);
      next = await run.next();
    }
    if ((io.stdout as { isTTY?: boolean }).isTTY === true) io.stdout.write("\n");
    if (values["stats"] === true) {
      const ended = performance.now();
      const decodeRate = generated > 1 ? ((generated - 1) * 1000) / (ended - firstTokenAt) : 0;
      io.stderr.write(
        `\n${promptLength} prompt tokens, ${generated} generated (${next.value.finishReason}); ` +
          `first token after ${(firstTokenAt - started).toFixed(0)} ms, then ${decodeRate.toFixed(1)} tokens/s\n`,
      );
    }
    return 0;
  },
};
