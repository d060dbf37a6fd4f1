// `lmscope tokenizer train`: trains a byte-level BPE tokenizer on text files
// and writes tokenizer.json + tokenizer_config.json to a folder.

import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "../command.js";
import { OptionError } from "../../errors.js";
import { trainByteLevelBpe } from "../../tokenizers/index.js";
import { numberOption, parseCommandLine, requiredString } from "../options.js";

const usage = `usage: lmscope tokenizer train --vocab-size <n> --out <dir> [options] <corpus.txt>…

Trains byte-level BPE (GPT-2 pre-tokenization) on the text files and writes
<dir>/tokenizer.json and <dir>/tokenizer_config.json. Training is
deterministic: the same files and options give the same tokenizer.

  --vocab-size <n>        vocabulary size, 256 byte tokens and specials included
  --out <dir>             output folder (created if missing)
  --min-frequency <n>     never merge pairs seen fewer times (default 2)
  --special-token <s>     add a special token (repeatable), e.g. "<|endoftext|>";
                          the first one is also bos/eos in tokenizer_config.json
`;

export const tokenizerTrainCommand: Command = {
  name: "tokenizer train",
  summary: "train a byte-level BPE tokenizer on text files",
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandLine(
      argv,
      {
        "vocab-size": { type: "string" },
        out: { type: "string" },
        "min-frequency": { type: "string" },
        "special-token": { type: "string", multiple: true },
      },
      true,
    );
    const vocabSize = numberOption(values, "vocab-size");
    if (vocabSize === undefined) throw new OptionError("--vocab-size", "is required");
    const out = requiredString(values, "out");
    if (positionals.length === 0) throw new OptionError("<corpus.txt>", "give at least one text file");
    const specialTokens = (values["special-token"] as string[] | undefined) ?? [];
    const texts = await Promise.all(positionals.map((p) => readFile(p, "utf8")));
    const started = Date.now();
    const json = trainByteLevelBpe(texts, { vocabSize, minFrequency: numberOption(values, "min-frequency") ?? 2, specialTokens });
    await mkdir(out, { recursive: true });
    await writeFile(join(out, "tokenizer.json"), `${JSON.stringify(json, null, 2)}\n`);
    const first = specialTokens[0] ?? null;
    const config = { tokenizer_class: "PreTrainedTokenizerFast", bos_token: first, eos_token: first, unk_token: null, pad_token: null, add_bos_token: false, clean_up_tokenization_spaces: false };
    await writeFile(join(out, "tokenizer_config.json"), `${JSON.stringify(config, null, 2)}\n`);
    const model = (json as { model: { merges: unknown[] } }).model;
    io.stdout.write(`trained ${model.merges.length} merges (vocabulary ${256 + specialTokens.length + model.merges.length}) in ${Date.now() - started} ms; wrote ${join(out, "tokenizer.json")}\n`);
    return 0;
  },
};
