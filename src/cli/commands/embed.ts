// `lmscope embed`: sentence embeddings (mean or [CLS] pooling), optionally
// z-score standardized; fits the z-score statistics on a corpus and reports
// the average cosine similarity of unrelated sentences before and after.

import type { Command } from "../command.js";
import { checkPooling } from "../../embeddings/pooling.js";
import { averagePairwiseCosine } from "../../embeddings/similarity.js";
import { applyZScore, fitZScore, loadZScore, saveZScore, type ZScoreStats } from "../../embeddings/zscore.js";
import { OptionError } from "../../errors.js";
import type { EncoderModel } from "../../encoder-model.js";
import type { CliIo } from "../command.js";
import { parseCommandLine, stringOption } from "../options.js";
import { formatScore, loadEncoderFromOptions, MODEL_OPTIONS, MODEL_USAGE, readLines } from "./encoder-cli.js";

const usage = `usage: lmscope embed --model <dir> [options] [<text>…]

Prints one sentence embedding per text (each argument, then each line of
--file) as a JSON array on its own line.

Raw BERT embeddings are anisotropic: unrelated sentences have a high cosine
similarity. Z-scoring each dimension with a corpus's mean and standard
deviation removes the shared component:
  lmscope embed --model <dir> --fit corpus.txt --zscore stats.json [<text>…]
fits the statistics on the corpus lines, saves them to stats.json and prints
the average cosine similarity of the texts (or of the corpus, without texts)
before and after; --zscore stats.json alone applies saved statistics.

${MODEL_USAGE}
  --pooling mean|cls        mean of the real tokens (default) or the [CLS] vector
  --file <path>             more texts, one per line
  --zscore <stats.json>     standardize with these statistics (written by --fit)
  --fit <corpus.txt>        fit z-score statistics on the corpus (one sentence per
                            line) and write them to the --zscore path
  --report                  print the texts' average pairwise cosine similarity
                            before and after z-scoring instead of the vectors
  --normalize               scale every printed vector to unit length
`;

/** The similarity figure uses at most this many sentences (n² pairs). */
const MAX_REPORT_SENTENCES = 200;

export const embedCommand: Command = {
  name: "embed",
  summary: "sentence embeddings, with z-score standardization (BERT)",
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandLine(
      argv,
      {
        ...MODEL_OPTIONS,
        pooling: { type: "string" },
        file: { type: "string" },
        zscore: { type: "string" },
        fit: { type: "string" },
        report: { type: "boolean" },
        normalize: { type: "boolean" },
      },
      true,
    );
    const pooling = checkPooling(stringOption(values, "pooling") ?? "mean", "--pooling");
    const zscorePath = stringOption(values, "zscore");
    const corpusPath = stringOption(values, "fit");
    const report = values["report"] === true;
    if (corpusPath !== undefined && zscorePath === undefined) throw new OptionError("--fit", "needs --zscore <stats.json> to write the statistics to");
    if (report && zscorePath === undefined) throw new OptionError("--report", "compares before and after z-scoring: give --zscore");
    const file = stringOption(values, "file");
    const texts = [...positionals, ...(file === undefined ? [] : await readLines(file))];
    if (texts.length === 0 && corpusPath === undefined) throw new OptionError("<text>", "give at least one text (or --file, or --fit)");

    const model = await loadEncoderFromOptions(values, io);
    let stats: ZScoreStats | null = null;
    if (corpusPath !== undefined) {
      const corpus = await readLines(corpusPath);
      if (corpus.length < 2) throw new OptionError("--fit", `${corpusPath} needs at least 2 non-empty lines, has ${corpus.length}`);
      const raw = await model.embed(corpus, { pooling });
      stats = fitZScore(raw, { model: model.source.path, pooling, corpus: corpusPath });
      await saveZScore(zscorePath!, stats);
      io.stdout.write(`fitted z-score statistics on ${corpus.length} sentences (${stats.mean.length} dimensions, ${pooling} pooling) → ${zscorePath}\n`);
      if (texts.length < 2) {
        writeReport(io, raw.slice(0, MAX_REPORT_SENTENCES), stats, "the corpus sentences");
        return 0;
      }
    } else if (zscorePath !== undefined) {
      stats = await loadZScore(zscorePath);
      const saved = stats.meta?.["pooling"];
      if (saved !== undefined && saved !== pooling) {
        throw new OptionError("--pooling", `${zscorePath} was fitted on ${saved} pooling, not ${pooling}`);
      }
    }
    if (corpusPath !== undefined || report) {
      if (texts.length < 2) throw new OptionError("--report", "needs at least 2 texts to compare");
      writeReport(io, (await model.embed(texts.slice(0, MAX_REPORT_SENTENCES), { pooling })), stats!, "the texts");
      return 0;
    }
    await writeVectors(io, model, texts, { pooling, zscore: stats, normalize: values["normalize"] === true });
    return 0;
  },
};

function writeReport(io: CliIo, raw: Float32Array[], stats: ZScoreStats, what: string): void {
  const before = averagePairwiseCosine(raw);
  const after = averagePairwiseCosine(raw.map((v) => applyZScore(v, stats)));
  const pairs = (raw.length * (raw.length - 1)) / 2;
  io.stdout.write(`average cosine similarity between ${what} (${raw.length} sentences, ${pairs} pairs):\n`);
  io.stdout.write(`  before z-score  ${formatScore(before)}\n  after z-score   ${formatScore(after)}\n`);
}

async function writeVectors(io: CliIo, model: EncoderModel, texts: string[], options: Parameters<EncoderModel["embed"]>[1]): Promise<void> {
  for (const v of await model.embed(texts, options)) {
    io.stdout.write(`[${Array.from(v, (x) => Number(x.toPrecision(7))).join(",")}]\n`);
  }
}
