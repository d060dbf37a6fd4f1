// `lmscope info`: what a model file or folder holds, without running it.

import type { Command } from "../command.js";
import type { EncoderModel } from "../../encoder-model.js";
import { loadModel, type LanguageModel } from "../../language-model.js";
import type { RecurrentInfo, RnnLanguageModel } from "../../recurrent-model.js";
import { OptionError } from "../../errors.js";
import { parseCommandLine } from "../options.js";
import { resolveModelArgument } from "../model-argument.js";

const usage = `usage: lmscope info <model> [--json]

Prints the architecture, exact parameter count beside the 12·n_layers·d_model²
estimate, context length, vocabulary size, weight dtype and file size.

  <model>   Hugging Face folder, GGUF file, llama2.c .bin file / folder, or a hub id (org/name)
  --json    print the same as JSON
`;

const formatCount = (n: number): string => n.toLocaleString("en-US");

function formatBytes(n: number): string {
  const units = ["B", "KB", "MB", "GB"];
  let value = n;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 2)} ${units[unit]} (${formatCount(n)} bytes)`;
}

export const infoCommand: Command = {
  name: "info",
  summary: "describe a model: architecture, parameters, context, vocabulary, dtype, size",
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandLine(argv, { json: { type: "boolean" } }, true);
    if (positionals.length !== 1) throw new OptionError("<model>", "give exactly one model path");
    const model = await loadModel<LanguageModel | EncoderModel | RnnLanguageModel>(await resolveModelArgument(positionals[0]!, io));
    const info = model.info();
    if (values["json"] === true) {
      io.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
      return 0;
    }
    const rows: [string, string][] = "cell" in info ? recurrentRows(info, model.hasTokenizer) : [
      ["architecture", "head" in info ? `${info.architecture} (${info.head} head)` : info.architecture],
      ["format", info.source.format],
      ["parameters", formatCount(info.parameters)],
      ["12·L·d² estimate", `${formatCount(info.parametersEstimate)} (${((info.parametersEstimate / info.parameters) * 100).toFixed(1)}% of exact)`],
      ["layers", String(info.layers)],
      ["hidden size", String(info.hiddenSize)],
      ["attention heads", `${info.heads} (${info.kvHeads} key/value heads, head size ${info.headDim})`],
      ["feed-forward size", String(info.intermediateSize)],
      ["context length", formatCount(info.contextLength)],
      ["vocabulary size", formatCount(info.vocabSize)],
      ["weight dtype", info.source.dtypes.join(", ")],
      ["file size", formatBytes(info.source.fileBytes)],
      ["tokenizer", model.hasTokenizer ? "yes" : "none found"],
    ];
    for (const [key, value] of rows) io.stdout.write(`${key.padEnd(20)} ${value}\n`);
    return 0;
  },
};

function recurrentRows(info: RecurrentInfo, hasTokenizer: boolean): [string, string][] {
  return [
    ["architecture", `${info.architecture} (${info.cell === "rnn" ? "Elman, tanh" : info.cell.toUpperCase()} cell)`],
    ["format", info.source.format],
    ["parameters", formatCount(info.parameters)],
    ["recurrent layers", `${formatCount(info.recurrentParameters)} parameters`],
    ["12·L·d² estimate", `${formatCount(info.parametersEstimate)} (a transformer of this depth and width)`],
    ["layers", String(info.layers)],
    ["embedding size", String(info.embeddingDim)],
    ["hidden size", String(info.hiddenSize)],
    ["context length", info.contextLength === null ? "none (recurrent)" : `none (recurrent); trained on windows of ${formatCount(info.contextLength)}`],
    ["vocabulary size", formatCount(info.vocabSize)],
    ["weight dtype", info.source.dtypes.join(", ")],
    ["file size", formatBytes(info.source.fileBytes)],
    ["tokenizer", hasTokenizer ? "yes" : "none found"],
  ];
}
