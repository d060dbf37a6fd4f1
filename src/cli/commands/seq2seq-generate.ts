// `lmscope generate` for an encoder–decoder model (T5, BART, Marian): the prompt is
// the input to transform (a sentence to translate, a text to summarise). Greedy or
// sampled output streams; with beam search (--num-beams, or the model's
// generation_config.json num_beams) whole sequences are printed, best first.
// --task applies a task of config.json's task_specific_params (T5's
// "translation_en_to_de", "summarization": a prefix and generation settings).

import type { CliIo } from "../command.js";
import { OptionError } from "../../errors.js";
import type { Seq2SeqGenerateOptions, SequenceGenerationOptions } from "../../generation/seq2seq-options.js";
import { generateForTask } from "../../pipelines/text2text.js";
import type { Seq2SeqModel } from "../../seq2seq-model.js";
import { numberOption, requiredString, stringOption, type Parsed } from "../options.js";

export const SEQ2SEQ_GENERATE_OPTIONS = {
  "num-beams": { type: "string" },
  "length-penalty": { type: "string" },
  "no-repeat-ngram-size": { type: "string" },
  "num-return-sequences": { type: "string" },
  task: { type: "string" },
} as const;

export const SEQ2SEQ_GENERATE_USAGE = `
encoder–decoder models (T5, BART, Marian): --prompt is the input (a text to translate
or summarise); only the output is printed. Generation defaults come from the model's
generation_config.json (greedy unless it says otherwise; --temperature samples).
  --num-beams <n>           beam search with n beams (default: the generation config's)
  --length-penalty <x>      beam score = log-probability / length^x (default 1)
  --no-repeat-ngram-size <n>  never repeat an n-gram
  --num-return-sequences <n>  print the n best sequences (beam search)
  --task <name>             a task of config.json's task_specific_params (T5:
                            summarization, translation_en_to_de, …): its prefix and settings
`;

export async function generateWithSeq2Seq(model: Seq2SeqModel, values: Parsed["values"], io: CliIo): Promise<number> {
  const prompt = requiredString(values, "prompt");
  if (values["stats"] === true) throw new OptionError("--stats", "is not available for encoder–decoder models");
  const common: Seq2SeqGenerateOptions & SequenceGenerationOptions = {
    maxTokens: numberOption(values, "max-tokens"),
    temperature: numberOption(values, "temperature"),
    topK: numberOption(values, "top-k"),
    topP: numberOption(values, "top-p"),
    minP: numberOption(values, "min-p"),
    repetitionPenalty: numberOption(values, "repetition-penalty"),
    seed: numberOption(values, "seed"),
    noRepeatNgramSize: numberOption(values, "no-repeat-ngram-size"),
  };
  const beam: SequenceGenerationOptions = {
    numBeams: numberOption(values, "num-beams"),
    lengthPenalty: numberOption(values, "length-penalty"),
    numReturnSequences: numberOption(values, "num-return-sequences"),
  };
  const drop = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
  const task = stringOption(values, "task");
  const sampling = common.temperature !== undefined && common.temperature > 0;
  const numBeams = beam.numBeams ?? (sampling ? 1 : (model.generationDefaults.numBeams ?? 1));
  if (task !== undefined || numBeams > 1 || beam.numReturnSequences !== undefined) {
    const options = drop({ ...common, ...beam, numBeams });
    const outputs = task === undefined ? await generateForTask(model, [prompt], null, options) : await generateForTask(model, [prompt], task, options);
    for (const text of outputs[0]!) io.stdout.write(`${text}\n`);
    return 0;
  }
  const run = model.generate(prompt, drop({ ...common, stop: (values["stop"] as string[] | undefined) ?? [], stopOnEos: values["ignore-eos"] !== true }));
  for await (const piece of run) io.stdout.write(piece.text);
  io.stdout.write("\n");
  return 0;
}
