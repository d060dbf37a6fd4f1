// A generation run as a timeline of the sampler's decisions: each step's token,
// its text, and the decision (the raw and adjusted candidates, what top-k, top-p
// and min-p removed, the renormalised survivors, the token drawn), with the
// display text of every token the decisions name.

import type { GenerateOptions, GenerationPiece, GenerationResult, FinishReason, Prompt } from "../generation/generate.js";
import type { SamplerDecision } from "../generation/sampler.js";
import type { Tokenizer } from "../tokenizers/tokenizer.js";
import type { Intervention } from "./interventions.js";
import { tokenTexts } from "./token-texts.js";

/** What traceGeneration needs of a model (a LanguageModel has it). */
export interface TraceableModel {
  readonly tokenizer: Tokenizer;
  generate(prompt: Prompt, options: GenerateOptions & { readonly interventions?: readonly Intervention[] }): AsyncGenerator<GenerationPiece, GenerationResult>;
}

export interface TraceOptions extends Omit<GenerateOptions, "trace" | "observer"> {
  /** Candidates listed per step (default 10). */
  readonly candidates?: number;
  readonly interventions?: readonly Intervention[];
}

export interface TracedStep {
  readonly tokenId: number;
  /** The text this step completed (streamed: "" while a character is still partial). */
  readonly text: string;
  /** The sampler's decision, its `kept` list cut to the most likely `candidates` survivors. */
  readonly decision: SamplerDecision;
  /** How many tokens could be drawn (the whole `kept` set). */
  readonly keptCount: number;
  /** The renormalised probability the drawn token had among them. */
  readonly chosenProbability: number;
}

export interface GenerationTrace {
  readonly steps: TracedStep[];
  readonly finishReason: FinishReason;
  /** The display text of every id the decisions name, by id. */
  readonly texts: Record<string, string>;
}

export async function traceGeneration(model: TraceableModel, prompt: Prompt, options: TraceOptions = {}): Promise<GenerationTrace> {
  const { candidates, interventions, ...rest } = options;
  const listed = candidates ?? 10;
  const run = model.generate(prompt, { ...rest, trace: listed, ...(interventions === undefined ? {} : { interventions }) });
  const steps: (Omit<TracedStep, "text"> & { text: string })[] = [];
  let next = await run.next();
  while (next.done !== true) {
    const { tokenId, text, decision } = next.value;
    if (tokenId !== null && decision !== undefined) {
      const chosenProbability = decision.kept.find((c) => c.tokenId === tokenId)?.probability ?? 0;
      steps.push({ tokenId, text, decision: { ...decision, kept: decision.kept.slice(0, listed) }, keptCount: decision.kept.length, chosenProbability });
    } else if (steps.length > 0) steps[steps.length - 1]!.text += text; // text held back until the end
    next = await run.next();
  }
  const textOf = tokenTexts(model.tokenizer);
  const texts: Record<string, string> = {};
  for (const { tokenId, decision } of steps) {
    for (const id of [tokenId, ...[decision.raw, decision.adjusted, decision.kept].flat().map((c) => c.tokenId)]) texts[id] ??= textOf(id);
  }
  return { steps, finishReason: next.value.finishReason, texts };
}
