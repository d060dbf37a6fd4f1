// `lmscope eval`: mean loss and perplexity of a model on a text file, by sliding
// windows over the text (training/perplexity.ts).

import { resolve } from "node:path";
import type { Command } from "../command.js";
import { createBackend } from "../../backend/select.js";
import { backendFlags } from "../generation-flags.js";
import { InputError, OptionError } from "../../errors.js";
import { loadModel, type LanguageModel } from "../../language-model.js";
import type { RnnLanguageModel } from "../../recurrent-model.js";
import { DEFAULT_TRAIN_FRACTION, readTextFile, splitText } from "../../training/datasets/index.js";
import { defaultStride, slidingWindowLoss } from "../../training/perplexity.js";
import { numberOption, parseCommandLine, requiredString, stringOption } from "../options.js";
import { resolveModelOption } from "../model-argument.js";

const usage = `usage: lmscope eval --model <dir> --data <file> [options]

Prints the model's mean loss (nats per token) and perplexity on the text. The
text is scored with sliding windows of the model's context: a window starts
every --stride tokens and scores only the tokens no earlier window scored, so
each token after the first is predicted once, with at least context − stride
tokens before it (all of them within the first window). Smaller strides give
more context and a lower, truer loss, for context/stride times the work
(Hugging Face, "Perplexity of fixed-length models").

  --model <path>            model folder (e.g. a \`lmscope train\` checkpoint) or hub id (org/name)
  --data <file>             UTF-8 text file
  --split <all|train|validation>
                            score the whole text (default), or the part \`lmscope train\`
                            trained on / held out: the first --train-fraction of the
                            characters, or the rest
  --train-fraction <f>      (default ${DEFAULT_TRAIN_FRACTION})
  --context <n>             window length (default: the model's context length; for a
                            recurrent model, the window it was trained on)
  --stride <n>              tokens between windows, 1 … context (default context/2, rounded up)
  --batch-size <n>          windows per forward pass (default 8)
  --tokenizer <path>        tokenizer file or folder (default: the model's)
  --backend <js|wasm|auto>  compute backend (default auto: wasm where WebAssembly SIMD runs)
  --threads <n>             threads for the wasm backend
  --json                    print the result as JSON
`;

export const evalCommand: Command = {
  name: "eval",
  summary: "loss and perplexity of a model on a text file (sliding windows)",
  usage,
  async run(argv, io) {
    const { values } = parseCommandLine(
      argv,
      {
        model: { type: "string" },
        data: { type: "string" },
        split: { type: "string" },
        "train-fraction": { type: "string" },
        context: { type: "string" },
        stride: { type: "string" },
        "batch-size": { type: "string" },
        tokenizer: { type: "string" },
        backend: { type: "string" },
        threads: { type: "string" },
        json: { type: "boolean" },
      },
      false,
    );
    const split = stringOption(values, "split") ?? "all";
    if (split !== "all" && split !== "train" && split !== "validation" && split !== "val") {
      throw new OptionError("--split", `expected all, train or validation, got ${JSON.stringify(split)}`);
    }
    const trainFraction = numberOption(values, "train-fraction") ?? DEFAULT_TRAIN_FRACTION;
    if (!(trainFraction > 0 && trainFraction < 1)) throw new OptionError("--train-fraction", `expected a number in (0, 1), got ${trainFraction}`);
    const positiveInteger = (name: string): number | undefined => {
      const v = numberOption(values, name);
      if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw new OptionError(`--${name}`, `expected a positive integer, got ${v}`);
      return v;
    };
    const contextOption = positiveInteger("context");
    const strideOption = positiveInteger("stride");
    const batchSize = positiveInteger("batch-size") ?? 8;
    const dataPath = resolve(requiredString(values, "data"));
    const backend = await createBackend(backendFlags(values));
    const tokenizer = stringOption(values, "tokenizer");
    await resolveModelOption(values, io);
    const model = await loadModel<LanguageModel | RnnLanguageModel>(requiredString(values, "model"), tokenizer === undefined ? { backend } : { backend, tokenizer });

    const context = contextOption ?? (model.kind === "recurrent" ? trainedWindow(model) : model.config.contextLength);
    if (context > model.config.contextLength) throw new OptionError("--context", `${context} exceeds the model's context length ${model.config.contextLength}`);
    const stride = strideOption ?? defaultStride(context);
    if (stride > context) throw new OptionError("--stride", `${stride} exceeds the window of ${context}`);

    let text = await readTextFile(dataPath);
    if (split !== "all") {
      const parts = splitText(text, trainFraction);
      text = split === "train" ? parts.train : parts.validation;
    }
    const ids = model.tokenizer.encode(text, { addSpecialTokens: false });
    if (ids.length < 2) throw new InputError(`${dataPath} (${split}) encodes to ${ids.length} token${ids.length === 1 ? "" : "s"}; scoring needs at least 2`);

    const started = performance.now();
    const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
    const result = await slidingWindowLoss(model, ids, {
      context,
      stride,
      batchSize,
      onProgress: tty ? (scored, total) => io.stderr.write(`\r\x1b[Kscored ${scored}/${total} tokens`) : undefined,
    });
    if (tty) io.stderr.write("\r\x1b[K");
    const seconds = (performance.now() - started) / 1000;
    if (values["json"] === true) {
      io.stdout.write(`${JSON.stringify({ model: model.source.path, data: dataPath, split, ...result, seconds })}\n`);
    } else {
      io.stdout.write(
        `loss ${result.loss.toFixed(4)}  perplexity ${result.perplexity.toFixed(3)}  ` +
          `(${result.tokens} tokens of ${dataPath}${split === "all" ? "" : ` [${split === "val" ? "validation" : split} split]`}, ` +
          `${result.windows} windows of ${context}, stride ${stride}, ${seconds.toFixed(1)} s)\n`,
      );
    }
    return 0;
  },
};

/** A recurrent model reads any length; its default window is the one it was trained on. */
function trainedWindow(model: RnnLanguageModel): number {
  const window = model.config.trainedContext;
  if (window === null) {
    throw new OptionError("--context", `${model.source.path} is a recurrent model whose config.json records no training window (max_position_embeddings): give --context`);
  }
  return window;
}
