// `lmscope ner`: named entities of a text with their character spans.

import type { Command } from "../command.js";
import { OptionError } from "../../errors.js";
import { checkAggregation } from "../../pipelines/ner.js";
import { parseCommandLine, stringOption } from "../options.js";
import { formatScore, loadEncoderFromOptions, MODEL_OPTIONS, MODEL_USAGE } from "./encoder-cli.js";

const usage = `usage: lmscope ner --model <dir> [options] <text>…

Finds the named entities of the text (several arguments are joined with spaces)
with a token-classification model. Prints one line per entity: its type, score,
character span [start, end) in the text (UTF-16 units, as JavaScript's
String.slice) and the text it covers.

${MODEL_USAGE}
  --aggregation <how>       first (default): each word labelled by its first sub-token,
                            then B-/I- tags grouped into entities;
                            simple: tags of every sub-token grouped into entities;
                            none: every labelled token on its own
  --json                    print the entities as JSON
`;

export const nerCommand: Command = {
  name: "ner",
  summary: "find named entities with their character spans (BERT)",
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandLine(argv, { ...MODEL_OPTIONS, aggregation: { type: "string" }, json: { type: "boolean" } }, true);
    if (positionals.length === 0) throw new OptionError("<text>", "give the text to analyse");
    const aggregation = checkAggregation(stringOption(values, "aggregation") ?? "first");
    const model = await loadEncoderFromOptions(values, io);
    const entities = await model.ner(positionals.join(" "), { aggregation });
    if (values["json"] === true) {
      io.stdout.write(`${JSON.stringify(entities)}\n`);
      return 0;
    }
    const width = Math.max(0, ...entities.map((e) => e.entityGroup.length));
    for (const e of entities) {
      io.stdout.write(`${e.entityGroup.padEnd(width)}  ${formatScore(e.score)}  [${e.start}, ${e.end})  ${JSON.stringify(e.word)}\n`);
    }
    if (entities.length === 0) io.stdout.write("no entities\n");
    return 0;
  },
};
