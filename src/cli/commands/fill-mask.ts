// `lmscope fill-mask`: a masked-LM's best tokens for each [MASK] of a text.

import type { Command } from "../command.js";
import { OptionError } from "../../errors.js";
import { numberOption, parseCommandLine, stringOption } from "../options.js";
import { formatScore, loadEncoderFromOptions, MODEL_OPTIONS, MODEL_USAGE } from "./encoder-cli.js";

const usage = `usage: lmscope fill-mask --model <dir> [options] <text>…

Prints, for each [MASK] in the text (several arguments are joined with spaces),
the most likely tokens, their probabilities and the filled-in text.

${MODEL_USAGE}
  --top-k <k>               predictions per mask (default 5)
  --mask-token <text>       the mask token (default [MASK])
  --json                    print the predictions as JSON
`;

export const fillMaskCommand: Command = {
  name: "fill-mask",
  summary: "predict the tokens behind [MASK] (BERT)",
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandLine(
      argv,
      { ...MODEL_OPTIONS, "top-k": { type: "string" }, "mask-token": { type: "string" }, json: { type: "boolean" } },
      true,
    );
    if (positionals.length === 0) throw new OptionError("<text>", "give a text holding [MASK]");
    const topK = numberOption(values, "top-k") ?? 5;
    if (!Number.isInteger(topK) || topK < 1) throw new OptionError("--top-k", `expected a positive integer, got ${topK}`);
    const model = await loadEncoderFromOptions(values, io);
    const maskToken = stringOption(values, "mask-token");
    const masks = await model.fillMask(positionals.join(" "), { topK, ...(maskToken === undefined ? {} : { maskToken }) });
    if (values["json"] === true) {
      io.stdout.write(`${JSON.stringify(masks)}\n`);
      return 0;
    }
    masks.forEach((predictions, m) => {
      if (masks.length > 1) io.stdout.write(`mask ${m + 1} of ${masks.length}:\n`);
      const width = Math.max(...predictions.map((p) => JSON.stringify(p.token).length));
      for (const p of predictions) io.stdout.write(`${formatScore(p.score)}  ${JSON.stringify(p.token).padEnd(width)}  ${p.sequence}\n`);
    });
    return 0;
  },
};
