// `lmscope info`: what a model file or folder holds, without running it.

import type { Command } from "../command.js";
import type { EncoderModel } from "../../encoder-model.js";
import { loadModel, type LanguageModel } from "../../language-model.js";
import type { Seq2SeqModel } from "../../seq2seq-model.js";
import { OptionError } from "../../errors.js";
import { parseCommandLine } from "../options.js";

const usage = `usage: lmscope info <model> [--json]

Prints the architecture, exact parameter count beside the 12·n_layers·d_model²
estimate, context length, vocabulary size, weight dtype and file size.

  <model>   Hugging Face folder, or llama2.c .bin file / folder
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
    const model = await loadModel<LanguageModel | EncoderModel | Seq2SeqModel>(positionals[0]!);
    if (values["json"] === true) {
      io.stdout.write(`${JSON.stringify(model.info(), null, 2)}\n`);
      return 0;
    }
    if (model.kind === "seq2seq") {
      const s = model.info();
      const seq2seqRows: [string, string][] = [
        ["architecture", `${s.architecture} (encoder–decoder)`],
        ["format", s.source.format],
        ["parameters", formatCount(s.parameters)],
        ["layers", `${s.encoderLayers} encoder + ${s.decoderLayers} decoder`],
        ["hidden size", String(s.hiddenSize)],
        ["attention heads", `${s.heads} (head size ${s.headDim})`],
        ["feed-forward size", String(s.intermediateSize)],
        ["input length", formatCount(s.maxSourcePositions)],
        ["output length", formatCount(s.maxTargetPositions)],
        ["vocabulary size", formatCount(s.vocabSize)],
        ["weight dtype", s.source.dtypes.join(", ")],
        ["file size", formatBytes(s.source.fileBytes)],
        ["tokenizer", model.hasTokenizer ? "yes" : "none found"],
      ];
      for (const [key, value] of seq2seqRows) io.stdout.write(`${key.padEnd(20)} ${value}\n`);
      return 0;
    }
    const info = model.info();
    const rows: [string, string][] = [
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
