// Everything the pictures and the inspector page show about one prompt, from one
// forward pass: the prompt's tokens as text, each position's next-token
// distribution (top tokens, entropy, the probability and surprisal of the token
// that came next), the logit lens read the same way at every layer, and the
// attention maps of the chosen layers — with interventions applied when asked.
// The captures are sized before the pass and refused past a memory limit.

import { InputError, OptionError } from "../errors.js";
import type { DecoderOnlyModel } from "../models/decoder-only.js";
import type { Tokenizer } from "../tokenizers/tokenizer.js";
import { captureName, type CaptureSite } from "./capture-names.js";
import { hiddenStateSites, inspectForward, logitLensSummaries } from "./decoder-inspection.js";
import type { Intervention } from "./interventions.js";
import { estimateCaptureBytes, type CapturedArray } from "./recorder.js";
import { summarizePositions, type PositionSummary } from "./token-probabilities.js";
import { tokenTexts } from "./token-texts.js";

/** What inspectPrompt reads from a model (a LanguageModel has both). */
export interface InspectableModel {
  readonly network: DecoderOnlyModel;
  readonly tokenizer: Tokenizer;
}

export interface PromptInspectionOptions {
  /** Tokens listed per position of the next-token distribution (default 10). */
  readonly topK?: number;
  /** Tokens listed per cell of the logit lens (default 3). */
  readonly lensTopK?: number;
  /** Layers whose attention maps are captured (default all). */
  readonly attentionLayers?: readonly number[];
  /** Ablations and patches applied to the pass. */
  readonly interventions?: readonly Intervention[];
  /** Refuse captures larger than this many bytes (default 1 GiB). */
  readonly maxCaptureBytes?: number;
}

export interface PromptInspection {
  /** The prompt's ids (special tokens added, as the model reads it). */
  readonly ids: number[];
  /** The display text of each id (token-texts.ts). */
  readonly tokens: string[];
  /** After each position, the next-token distribution; `next` is absent at the last. */
  readonly positions: PositionSummary[];
  /** The logit lens: [layers + 1][seq] summaries; the last layer equals `positions`. */
  readonly lens: PositionSummary[][];
  /** The layers of `attentions`, in order. */
  readonly attentionLayers: number[];
  /** One [1, heads, seq, seq] map per entry of attentionLayers (after softmax; query rows). */
  readonly attentions: CapturedArray[];
  /** The display text of every id the inspection names, by id. */
  readonly texts: Record<string, string>;
  readonly interventions: readonly Intervention[];
  /** The model's vocabulary size (the surprisal scale ends at log₂ of it). */
  readonly vocabSize: number;
}

const DEFAULT_MAX_CAPTURE_BYTES = 2 ** 30;

/** The ids of a prompt, checked: non-empty text, within the context window and the vocabulary. */
export function promptIdsFor(model: InspectableModel, prompt: string | { readonly ids: readonly number[] }): number[] {
  const { contextLength, vocabSize } = model.network.config;
  if (typeof prompt === "string" && prompt.length === 0) throw new InputError("the prompt is empty: type some text to inspect");
  const ids = typeof prompt === "string" ? model.tokenizer.encode(prompt, { addSpecialTokens: true }) : [...prompt.ids];
  if (ids.length === 0) throw new InputError("the prompt has no tokens: there is nothing to inspect");
  if (ids.length > contextLength) {
    throw new InputError(`the prompt has ${ids.length} tokens, more than the model's context window of ${contextLength}: shorten it to at most ${contextLength} tokens`);
  }
  ids.forEach((id, t) => {
    if (!Number.isSafeInteger(id) || id < 0 || id >= vocabSize) throw new InputError(`prompt token ${t} is ${String(id)}, outside the vocabulary [0, ${vocabSize})`);
  });
  return ids;
}

/** Runs the prompt once and reads everything off that pass. */
export function inspectPrompt(
  model: InspectableModel,
  prompt: string | { readonly ids: readonly number[] },
  options: PromptInspectionOptions = {},
): PromptInspection {
  const network = model.network;
  const { numLayers: layers, hiddenSize, numHeads, headDim, intermediateSize, vocabSize } = network.config;
  const topK = positiveInteger(options.topK ?? 10, "topK");
  const lensTopK = positiveInteger(options.lensTopK ?? 3, "lensTopK");
  const attentionLayers = checkLayers(options.attentionLayers ?? Array.from({ length: layers }, (_, l) => l), layers);
  const interventions = options.interventions ?? [];
  const ids = promptIdsFor(model, prompt);
  const seq = ids.length;

  const attentionSites = attentionLayers.map((layer): CaptureSite => ({ layer, point: "attn.pattern" }));
  const widths = { hiddenSize, numHeads, headDim, intermediateSize };
  const attentionBytes = estimateCaptureBytes(attentionSites, 1, seq, widths);
  // The hidden states, the logits and the lens's one-layer block beside the maps.
  const bytes = attentionBytes + estimateCaptureBytes(hiddenStateSites(layers, true), 1, seq, widths) + 2 * 4 * seq * vocabSize;
  const limit = options.maxCaptureBytes ?? DEFAULT_MAX_CAPTURE_BYTES;
  if (bytes > limit) {
    throw new InputError(
      `inspecting ${seq} tokens takes ${megabytes(bytes)} (the attention maps of ${attentionLayers.length} layers: ${megabytes(attentionBytes)}), ` +
        `over the limit of ${megabytes(limit)}: choose fewer attention layers or a shorter prompt`,
    );
  }

  const forward = inspectForward(network, [ids], {
    outputHiddenStates: true,
    ...(attentionSites.length === 0 ? {} : { captures: attentionSites.map(captureName) }),
    ...(interventions.length === 0 ? {} : { interventions }),
  });
  const positions = summarizePositions(forward.logits, seq, vocabSize, topK, (t) => ids[t + 1]);
  const lens = logitLensSummaries(network, ids, lensTopK, { hiddenStates: forward.hiddenStates! });
  const attentions = attentionSites.map((site) => forward.captures!.get(captureName(site))!);

  const textOf = tokenTexts(model.tokenizer);
  const texts: Record<string, string> = {};
  const name = (id: number) => (texts[id] ??= textOf(id));
  const tokens = ids.map(name);
  for (const summary of [positions, ...lens].flat()) for (const { tokenId } of summary.top) name(tokenId);
  return { ids, tokens, positions, lens, attentionLayers, attentions, texts, interventions, vocabSize };
}

function checkLayers(chosen: readonly number[], layers: number): number[] {
  if (!Array.isArray(chosen)) throw new OptionError("attentionLayers", "expected a list of layer indices");
  for (const layer of chosen) {
    if (!Number.isInteger(layer) || layer < 0 || layer >= layers) {
      throw new OptionError("attentionLayers", `layer ${String(layer)} does not exist (the model has layers 0…${layers - 1})`);
    }
  }
  return [...new Set(chosen)].sort((a, b) => a - b);
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new OptionError(name, `expected a positive integer, got ${String(value)}`);
  return value;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
