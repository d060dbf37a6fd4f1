// `lmscope similarity`: cosine similarity of sentence embeddings.

import type { Command } from "../command.js";
import { checkPooling } from "../../embeddings/pooling.js";
import { cosineSimilarity } from "../../embeddings/similarity.js";
import { loadZScore } from "../../embeddings/zscore.js";
import { OptionError } from "../../errors.js";
import { parseCommandLine, stringOption } from "../options.js";
import { formatScore, loadEncoderFromOptions, MODEL_OPTIONS, MODEL_USAGE } from "./encoder-cli.js";

const usage = `usage: lmscope similarity --model <dir> [options] <text> <text>…

Prints the cosine similarity of the first text's embedding with each other
text's, one line per text: the similarity, then the text.

${MODEL_USAGE}
  --pooling mean|cls        mean of the real tokens (default) or the [CLS] vector
  --zscore <stats.json>     standardize the embeddings first (see lmscope embed --fit)
`;

export const similarityCommand: Command = {
  name: "similarity",
  summary: "cosine similarity of sentence embeddings (BERT)",
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandLine(argv, { ...MODEL_OPTIONS, pooling: { type: "string" }, zscore: { type: "string" } }, true);
    if (positionals.length < 2) throw new OptionError("<text>", "give at least two texts to compare");
    const pooling = checkPooling(stringOption(values, "pooling") ?? "mean", "--pooling");
    const zscorePath = stringOption(values, "zscore");
    const zscore = zscorePath === undefined ? null : await loadZScore(zscorePath);
    const model = await loadEncoderFromOptions(values, io);
    const [first, ...others] = await model.embed(positionals, { pooling, zscore });
    others.forEach((v, i) => io.stdout.write(`${formatScore(cosineSimilarity(first!, v))}  ${positionals[i + 1]}\n`));
    return 0;
  },
};
