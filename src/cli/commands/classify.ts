// `lmscope classify`: a sequence-classification model's label for each text.

import type { Command } from "../command.js";
import { OptionError } from "../../errors.js";
import type { ClassificationInput } from "../../pipelines/text-classification.js";
import { parseCommandLine, stringOption } from "../options.js";
import { formatScore, loadEncoderFromOptions, MODEL_OPTIONS, MODEL_USAGE, readLines } from "./encoder-cli.js";

const usage = `usage: lmscope classify --model <dir> [options] <text>…

Classifies each text argument (and each line of --file) with the model's
sequence-classification head; prints the best label, its probability and the text.

${MODEL_USAGE}
  --pair <text>             second sentence of a pair, for every text
  --file <path>             more texts, one per line
  --all                     print every label's probability
  --json                    print the results as JSON
`;

export const classifyCommand: Command = {
  name: "classify",
  summary: "label texts with a sequence classifier (BERT)",
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandLine(
      argv,
      { ...MODEL_OPTIONS, pair: { type: "string" }, file: { type: "string" }, all: { type: "boolean" }, json: { type: "boolean" } },
      true,
    );
    const file = stringOption(values, "file");
    const texts = [...positionals, ...(file === undefined ? [] : await readLines(file))];
    if (texts.length === 0) throw new OptionError("<text>", "give at least one text (or --file)");
    const pair = stringOption(values, "pair");
    const model = await loadEncoderFromOptions(values, io);
    const inputs: ClassificationInput[] = texts.map((t) => (pair === undefined ? t : [t, pair]));
    const results = await model.classify(inputs);
    if (values["json"] === true) {
      io.stdout.write(`${JSON.stringify(results.map((r, i) => ({ text: texts[i], ...r })))}\n`);
      return 0;
    }
    const width = Math.max(...model.config.labels.map((l) => l.length));
    results.forEach((r, i) => {
      io.stdout.write(`${r.label.padEnd(width)}  ${formatScore(r.score)}  ${texts[i]}\n`);
      if (values["all"] === true) for (const s of r.scores) io.stdout.write(`  ${s.label.padEnd(width)}  ${formatScore(s.score)}\n`);
    });
    return 0;
  },
};
