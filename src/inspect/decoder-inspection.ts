// A decoder's forward pass with the inspection options of Hugging Face
// (output_attentions, output_hidden_states), named captures and interventions, and
// what is read from it: the logit lens (nostalgebraist 2020) — the final norm and
// the LM head applied to every layer's residual stream — and summaries of each
// position's next-token distribution.

import { InputError } from "../errors.js";
import type { DecoderOnlyModel } from "../models/decoder-only.js";
import type { ForwardObserver } from "../nn/observer.js";
import { selectCaptureSites, type CaptureSelector, type CaptureSite } from "./capture-names.js";
import { InterventionObserver, meanPoints, type Intervention, type InterventionShape } from "./interventions.js";
import { CaptureRecorder, ObserverChain, type CapturedArray } from "./recorder.js";
import { summarizePositions, type PositionSummary } from "./token-probabilities.js";

export interface InspectOptions {
  /** HF output_attentions: one [batch, heads, seq, seq] map per layer, after softmax. */
  readonly outputAttentions?: boolean;
  /** HF output_hidden_states: layers + 1 arrays [batch, seq, hidden] (0: embeddings; last: after the final norm). */
  readonly outputHiddenStates?: boolean;
  /** More capture points by name (nn/observer.ts): `blocks.3.mlp.post`, `blocks.*.attn.z`, … */
  readonly captures?: CaptureSelector;
  /** Ablations and patches applied during the pass. */
  readonly interventions?: readonly Intervention[];
}

export interface InspectedForward {
  /** [batch, seq, vocab] */
  readonly logits: Float32Array;
  readonly attentions?: CapturedArray[];
  readonly hiddenStates?: CapturedArray[];
  /** The `captures` asked for, by name. */
  readonly captures?: Map<string, CapturedArray>;
}

const INSPECT_KEYS = new Set(["outputAttentions", "outputHiddenStates", "captures", "interventions"]);

export function checkInspectOptions(options: InspectOptions): void {
  if (typeof options !== "object" || options === null) throw new InputError("forward options must be an object");
  for (const key of Object.keys(options)) {
    if (!INSPECT_KEYS.has(key)) throw new InputError(`unknown forward option "${key}" (known: ${[...INSPECT_KEYS].join(", ")})`);
  }
}

export function interventionShape(network: DecoderOnlyModel): InterventionShape {
  const { numLayers, numHeads, headDim, intermediateSize } = network.config;
  return { layers: numLayers, numHeads, headDim, intermediateSize, hasFinalNorm: true };
}

/** An observer applying `interventions`; "mean" ablations take their means from a clean pass over `batch`. */
export function interventionObserver(network: DecoderOnlyModel, batch: readonly (readonly number[])[], interventions: readonly Intervention[]): InterventionObserver {
  return new InterventionObserver(interventions, interventionShape(network), meansOver(network, batch, interventions));
}

/** The sites HF's hidden_states are made of: resid_pre of block 0, resid_post of the others, final_norm. */
export function hiddenStateSites(layers: number, finalNorm: boolean): CaptureSite[] {
  const sites: CaptureSite[] = [{ layer: 0, point: "resid_pre" }];
  for (let l = 0; l < layers - 1; l++) sites.push({ layer: l, point: "resid_post" });
  sites.push(finalNorm ? { layer: layers, point: "final_norm" } : { layer: layers - 1, point: "resid_post" });
  return sites;
}

/** Runs rows of equal length through the network, recording and intervening as asked. */
export function inspectForward(network: DecoderOnlyModel, batch: readonly (readonly number[])[], options: InspectOptions): InspectedForward {
  checkInspectOptions(options);
  const { numLayers: layers, vocabSize } = network.config;
  const seq = batch[0]!.length;
  const attentionSites = options.outputAttentions === true ? Array.from({ length: layers }, (_, l): CaptureSite => ({ layer: l, point: "attn.pattern" })) : [];
  const hiddenSites = options.outputHiddenStates === true ? hiddenStateSites(layers, true) : [];
  const namedSites = options.captures === undefined ? [] : selectCaptureSites(options.captures, layers, true);
  const recorder = new CaptureRecorder([...attentionSites, ...hiddenSites, ...namedSites], batch.length, seq);
  const interventions = options.interventions ?? [];
  const observers: ForwardObserver[] = [];
  if (interventions.length > 0) observers.push(interventionObserver(network, batch, interventions));
  if (attentionSites.length + hiddenSites.length + namedSites.length > 0) observers.push(recorder);
  const logits = new Float32Array(batch.length * seq * vocabSize);
  runRows(network, batch, logits, observers.length === 0 ? null : new ObserverChain(observers));
  const captured = recorder.results();
  const nameOf = (s: CaptureSite) => (s.point === "final_norm" ? "final_norm" : `blocks.${s.layer}.${s.point}`);
  const result: { logits: Float32Array; attentions?: CapturedArray[]; hiddenStates?: CapturedArray[]; captures?: Map<string, CapturedArray> } = { logits };
  if (attentionSites.length > 0) result.attentions = attentionSites.map((s) => captured.get(nameOf(s))!);
  if (hiddenSites.length > 0) result.hiddenStates = hiddenSites.map((s) => captured.get(nameOf(s))!);
  if (namedSites.length > 0) result.captures = new Map(namedSites.map((s) => [nameOf(s), captured.get(nameOf(s))!]));
  return result;
}

/** Each row from position 0 on a fresh cache, logits at every position into `logits` [batch, seq, vocab]. */
function runRows(network: DecoderOnlyModel, batch: readonly (readonly number[])[], logits: Float32Array, observer: ForwardObserver | null): void {
  const seq = batch[0]!.length;
  const vocab = network.config.vocabSize;
  const state = network.acquireState(seq);
  try {
    batch.forEach((row, b) => {
      state.cache.reset();
      observer?.beginSequence?.(b);
      network.forward(row, state.cache, logits.subarray(b * seq * vocab, (b + 1) * seq * vocab), "all", observer);
    });
  } finally {
    network.releaseState(state);
  }
}

/** The mean over the batch's positions of every point a "mean" ablation needs, from a clean pass. */
function meansOver(network: DecoderOnlyModel, batch: readonly (readonly number[])[], interventions: readonly Intervention[]): Map<string, Float32Array> {
  const points = meanPoints(interventions);
  const means = new Map<string, Float32Array>();
  if (points.length === 0) return means;
  const seq = batch[0]!.length;
  const recorder = new CaptureRecorder(points, batch.length, seq);
  runRows(network, batch, new Float32Array(batch.length * seq * network.config.vocabSize), recorder);
  for (const [name, array] of recorder.results()) {
    const width = array.shape[2]!;
    const rows = array.data.length / width;
    const sum = new Float64Array(width);
    for (let r = 0; r < rows; r++) for (let j = 0; j < width; j++) sum[j] += array.data[r * width + j]!;
    means.set(name, Float32Array.from(sum, (s) => s / rows));
  }
  return means;
}

/**
 * The logit lens: for each of the layers + 1 hidden states of HF's convention,
 * lm_head(final_norm(h)) — the last one is already normed, so the LM head alone —
 * for one row of ids: [layers + 1, seq, vocab]. Its last entry equals the logits.
 */
export function logitLens(network: DecoderOnlyModel, ids: readonly number[], options: Pick<InspectOptions, "interventions"> = {}): CapturedArray {
  const { numLayers: layers, vocabSize: vocab } = network.config;
  const seq = ids.length;
  const out = new Float32Array((layers + 1) * seq * vocab); // [layers + 1, seq, vocab]
  const hidden = hiddenStatesOf(network, ids, options);
  forEachLensLayer(network, hidden, (i) => out.subarray(i * seq * vocab, (i + 1) * seq * vocab));
  return { data: out, shape: [layers + 1, seq, vocab] };
}

/**
 * The logit lens read as next-token distributions: for each hidden state i (0 …
 * layers) of one row of ids and each position t, the top `topK` tokens, the entropy
 * and the rank and probability of the token that came next — summarizePositions of
 * each layer of logitLens. `hiddenStates` (HF's layers + 1 arrays [1, seq, hidden])
 * come from a forward pass already run, or one is run. The lens is computed one
 * layer at a time, so a long prompt on a large vocabulary never holds more than one
 * [seq, vocab] block.
 */
export function logitLensSummaries(
  network: DecoderOnlyModel,
  ids: readonly number[],
  topK: number,
  options: Pick<InspectOptions, "interventions"> & { hiddenStates?: readonly CapturedArray[] } = {},
): PositionSummary[][] {
  const vocab = network.config.vocabSize;
  const seq = ids.length;
  const hidden = options.hiddenStates ?? hiddenStatesOf(network, ids, options);
  const block = new Float32Array(seq * vocab); // [seq, vocab], one layer at a time
  const summaries: PositionSummary[][] = [];
  forEachLensLayer(network, hidden, () => block, () => {
    summaries.push(summarizePositions(block, seq, vocab, topK, (t) => ids[t + 1]));
  });
  return summaries;
}

function hiddenStatesOf(network: DecoderOnlyModel, ids: readonly number[], options: Pick<InspectOptions, "interventions">): CapturedArray[] {
  const interventions = options.interventions === undefined ? {} : { interventions: options.interventions };
  return inspectForward(network, [ids], { outputHiddenStates: true, ...interventions }).hiddenStates!;
}

/** Writes the lens logits of hidden state i ([seq, vocab]) into target(i), calling done(i) after each. */
function forEachLensLayer(
  network: DecoderOnlyModel,
  hidden: readonly CapturedArray[],
  target: (i: number) => Float32Array,
  done: (i: number) => void = () => {},
): void {
  const { numLayers: layers, vocabSize: vocab, hiddenSize: dim } = network.config;
  const seq = hidden[0]!.shape[1]!;
  const pass = network.passFor(1);
  const chunk = pass.scratch.sizes.rows;
  for (let i = 0; i <= layers; i++) {
    const out = target(i); // [seq, vocab]
    for (let start = 0; start < seq; start += chunk) {
      const rows = Math.min(chunk, seq - start);
      const h = hidden[i]!.data.subarray(start * dim, (start + rows) * dim); // [rows, dim]
      const logits = out.subarray(start * vocab, (start + rows) * vocab); // [rows, vocab]
      if (i < layers) network.logitsOf(pass, h, rows, start, logits);
      else network.headOf(h, rows, logits);
    }
    done(i);
  }
}
