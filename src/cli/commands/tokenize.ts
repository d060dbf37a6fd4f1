// `lmscope tokenize`: the tokens of a text under a model's tokenizer, as
// pieces with their ids, or ids only.

import type { Command } from "../command.js";
import { OptionError } from "../../errors.js";
import { loadTokenizer } from "../../tokenizers/index.js";
import { parseCommandLine, requiredString } from "../options.js";
import { resolveModelOption } from "../model-argument.js";

const usage = `usage: lmscope tokenize --model <path> [--ids] [--no-special-tokens] <text>…

Encodes the text (several arguments are joined with spaces) and prints one
line per token: its id and its vocabulary piece as a JSON string.

  --model <path>          model folder or tokenizer file (tokenizer.json,
                          vocab.json + merges.txt, vocab.txt, llama2.c .bin), or
                          a hub id (org/name: only its tokenizer files are fetched)
  --ids                   print only the ids, space-separated, on one line
  --no-special-tokens     do not add BOS / [CLS] / [SEP]
`;

export const tokenizeCommand: Command = {
  name: "tokenize",
  summary: "show the tokens and ids of a text",
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandLine(
      argv,
      { model: { type: "string" }, ids: { type: "boolean" }, "no-special-tokens": { type: "boolean" } },
      true,
    );
    if (positionals.length === 0) throw new OptionError("<text>", "give the text to tokenize");
    await resolveModelOption(values, io, "tokenizer");
    const tokenizer = await loadTokenizer(requiredString(values, "model"));
    const ids = tokenizer.encode(positionals.join(" "), { addSpecialTokens: values["no-special-tokens"] !== true });
    if (values["ids"] === true) {
      io.stdout.write(`${ids.join(" ")}\n`);
      return 0;
    }
    const width = String(Math.max(0, ...ids)).length;
    for (const id of ids) io.stdout.write(`${String(id).padStart(width)}  ${JSON.stringify(tokenizer.idToToken(id) ?? "")}\n`);
    io.stdout.write(`${ids.length} tokens\n`);
    return 0;
  },
};
