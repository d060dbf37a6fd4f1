// Translation and summarisation with an encoder–decoder model, as Hugging Face's
// TranslationPipeline and SummarizationPipeline run them: T5 was trained with a
// task prefix ("translate English to German: ", "summarize: ") and keeps, in
// config.json's task_specific_params, each task's prefix and generation settings
// (beam count, length limits, …), which apply on top of the generation config;
// explicit options win. Models trained for one direction (Marian's opus-mt) have
// no prefixes. The best sequence is decoded without special tokens.

import { InputError } from "../errors.js";
import { generateSequences, type Seq2SeqInput } from "../generation/seq2seq-generate.js";
import { generationDefaultsFromJson, type GenerationDefaults, type SequenceGenerationOptions } from "../generation/seq2seq-options.js";
import type { JsonObject } from "../models/config-reader.js";
import type { Seq2SeqNetwork } from "../models/seq2seq/encoder-decoder.js";
import type { Tokenizer } from "../tokenizers/tokenizer.js";

/** What the helpers need of a model. */
export interface Text2TextModel {
  readonly network: Seq2SeqNetwork;
  readonly tokenizer: Tokenizer;
  readonly hfConfig: JsonObject;
  readonly generationDefaults: GenerationDefaults;
}

export interface TranslateOptions extends SequenceGenerationOptions {
  /** Source language code ("en"): with `target`, names the task translation_<source>_to_<target>. */
  source?: string;
  target?: string;
}

export type SummarizeOptions = SequenceGenerationOptions;

/** The task's prefix and generation settings from task_specific_params, or null when the model has none for it. */
function taskSettings(model: Text2TextModel, task: string): { prefix: string; defaults: GenerationDefaults } | null {
  const all = model.hfConfig["task_specific_params"];
  if (all === undefined || all === null) return null;
  if (typeof all !== "object" || Array.isArray(all)) throw new InputError(`config.json's task_specific_params is not an object`);
  const params = (all as Record<string, unknown>)[task];
  if (params === undefined) return null;
  if (typeof params !== "object" || params === null || Array.isArray(params)) throw new InputError(`config.json's task_specific_params.${task} is not an object`);
  const { prefix, ...generation } = params as Record<string, unknown>;
  if (prefix !== undefined && typeof prefix !== "string") throw new InputError(`config.json's task_specific_params.${task}.prefix is not a string`);
  return { prefix: prefix ?? "", defaults: { ...model.generationDefaults, ...generationDefaultsFromJson(generation, `config.json task_specific_params.${task}`) } };
}

function tasksOf(model: Text2TextModel): string[] {
  const all = model.hfConfig["task_specific_params"];
  return typeof all === "object" && all !== null ? Object.keys(all) : [];
}

/**
 * The decoded output sequences (best first) of each text under a task of
 * task_specific_params (its prefix and settings; an unknown task is an error when the
 * model has any), or under the model's own settings when task is null.
 */
export async function generateForTask(model: Text2TextModel, texts: readonly string[], task: string | null, options: SequenceGenerationOptions): Promise<string[][]> {
  if (!Array.isArray(texts) || texts.length === 0 || !texts.every((t) => typeof t === "string")) throw new InputError("expected a text or a non-empty array of texts");
  const settings = task === null ? null : taskSettings(model, task);
  if (task !== null && settings === null && tasksOf(model).length > 0) {
    throw new InputError(`the model has no task "${task}" (its task_specific_params: ${tasksOf(model).join(", ")})`);
  }
  const prefix = settings?.prefix ?? "";
  const inputs: Seq2SeqInput[] = texts.map((t) => prefix + t);
  const results = generateSequences(model.network, model.tokenizer, inputs, options, settings?.defaults ?? model.generationDefaults);
  return results.map((sequences) => sequences.map((s) => model.tokenizer.decode(s.ids, { skipSpecialTokens: true })));
}

async function run(model: Text2TextModel, texts: string | readonly string[], task: string, required: boolean, options: SequenceGenerationOptions): Promise<string | string[]> {
  const list = typeof texts === "string" ? [texts] : texts;
  const usable = required || tasksOf(model).includes(task) ? task : null;
  const outputs = (await generateForTask(model, list, usable, options)).map((sequences) => sequences[0]!);
  return typeof texts === "string" ? outputs[0]! : outputs;
}

export async function translate(model: Text2TextModel, texts: string | readonly string[], options: TranslateOptions = {}): Promise<string | string[]> {
  const { source, target, ...generation } = options;
  if ((source === undefined) !== (target === undefined)) throw new InputError("give both source and target languages, or neither");
  if (source === undefined) {
    const translations = tasksOf(model).filter((t) => t.startsWith("translation_"));
    if (translations.length > 0) throw new InputError(`this model translates several language pairs; name one with { source, target } (${translations.join(", ")})`);
    return run(model, texts, "translation", false, generation);
  }
  return run(model, texts, `translation_${source}_to_${target}`, true, generation);
}

export async function summarize(model: Text2TextModel, texts: string | readonly string[], options: SummarizeOptions = {}): Promise<string | string[]> {
  return run(model, texts, "summarization", false, options);
}
