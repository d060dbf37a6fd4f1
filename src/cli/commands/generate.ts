// `lmscope generate`: stream a model's continuation of a prompt to stdout.

import type { Command } from "../command.js";
import { createBackend } from "../../backend/select.js";
import { loadModel, type LanguageModel } from "../../language-model.js";
import type { RnnLanguageModel } from "../../recurrent-model.js";
import { BACKEND_USAGE, backendFlags, GENERATION_FLAGS, generationOptions, SAMPLING_USAGE } from "../generation-flags.js";
import { parseCommandLine, requiredString, stringOption } from "../options.js";
import { resolveModelOption } from "../model-argument.js";

const usage = `usage: lmscope generate --model <dir|file> [options]

Streams the model's continuation of the prompt to stdout (the prompt is printed first).

  --model <path>            Hugging Face folder, GGUF file, llama2.c .bin file / folder,
                            or a hub id (org/name, hf:org/name@rev:Q4_K_M; see lmscope download)
  --tokenizer <path>        tokenizer file or folder (default: found beside the model)
  --prompt <text>           text to continue (default: empty, i.e. start from BOS)
  --max-tokens <n>          new tokens at most (default 256, or what the context allows;
                            a recurrent model has no context limit)
${SAMPLING_USAGE}
  --ignore-eos              keep generating after an end-of-sequence token
  --stats                   print token counts and speed to stderr
${BACKEND_USAGE}
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
        stats: { type: "boolean" },
        ...GENERATION_FLAGS,
      },
      false,
    );
    const options = generationOptions(values);
    const tokenizer = stringOption(values, "tokenizer");
    await resolveModelOption(values, io);
    const model = await loadModel<LanguageModel | RnnLanguageModel>(requiredString(values, "model"), {
      backend: await createBackend(backendFlags(values)),
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
