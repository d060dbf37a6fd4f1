// An encoder's forward pass with the inspection options of Hugging Face
// (output_attentions, output_hidden_states), named captures and interventions —
// the decoder's (decoder-inspection.ts) for the bidirectional stack. Hidden states
// follow HF's BERT convention: 0 is the embeddings after their LayerNorm, i the
// output of layer i − 1, the last equals last_hidden_state.

import type { EncoderInputs, EncoderNetwork, EncoderOutputs } from "../models/encoder.js";
import type { ForwardObserver } from "../nn/observer.js";
import { captureName, selectCaptureSites, type CaptureSite } from "./capture-names.js";
import { checkInspectOptions, hiddenStateSites, type InspectOptions } from "./decoder-inspection.js";
import { InterventionObserver, meanPoints, type Intervention } from "./interventions.js";
import { CaptureRecorder, ObserverChain, type CapturedArray } from "./recorder.js";

export interface InspectedEncoderOutputs extends EncoderOutputs {
  readonly attentions?: CapturedArray[];
  readonly hiddenStates?: CapturedArray[];
  readonly captures?: Map<string, CapturedArray>;
}

export function inspectEncoderForward(network: EncoderNetwork, inputs: EncoderInputs, options: InspectOptions & { heads?: boolean }): InspectedEncoderOutputs {
  const { heads, ...inspect } = options;
  checkInspectOptions(inspect);
  const layers = network.config.numLayers;
  const batch = inputs.inputIds.length;
  const seq = inputs.inputIds[0]?.length ?? 0;
  const attentionSites = inspect.outputAttentions === true ? Array.from({ length: layers }, (_, l): CaptureSite => ({ layer: l, point: "attn.pattern" })) : [];
  const hiddenSites = inspect.outputHiddenStates === true ? hiddenStateSites(layers, false) : [];
  const namedSites = inspect.captures === undefined ? [] : selectCaptureSites(inspect.captures, layers, false);
  const observers: ForwardObserver[] = [];
  const interventions = inspect.interventions ?? [];
  if (interventions.length > 0) observers.push(new InterventionObserver(interventions, shapeOf(network), meansOver(network, inputs, interventions)));
  const recorder = new CaptureRecorder([...attentionSites, ...hiddenSites, ...namedSites], batch, seq);
  if (attentionSites.length + hiddenSites.length + namedSites.length > 0) observers.push(recorder);
  const observer = observers.length === 0 ? null : new ObserverChain(observers);
  const outputs = network.forward(inputs, { ...(heads === undefined ? {} : { heads }), observer });
  const captured = recorder.results();
  const result: InspectedEncoderOutputs & { attentions?: CapturedArray[]; hiddenStates?: CapturedArray[]; captures?: Map<string, CapturedArray> } = { ...outputs };
  if (attentionSites.length > 0) result.attentions = attentionSites.map((s) => captured.get(captureName(s))!);
  if (hiddenSites.length > 0) result.hiddenStates = hiddenSites.map((s) => captured.get(captureName(s))!);
  if (namedSites.length > 0) result.captures = new Map(namedSites.map((s) => [captureName(s), captured.get(captureName(s))!]));
  return result;
}

function shapeOf(network: EncoderNetwork) {
  const { numLayers, numHeads, headDim, intermediateSize } = network.config;
  return { layers: numLayers, numHeads, headDim, intermediateSize, hasFinalNorm: false };
}

/** Means over every real (unmasked) position of the batch, from a clean pass. */
function meansOver(network: EncoderNetwork, inputs: EncoderInputs, interventions: readonly Intervention[]): Map<string, Float32Array> {
  const points = meanPoints(interventions);
  const means = new Map<string, Float32Array>();
  if (points.length === 0) return means;
  const seq = inputs.inputIds[0]!.length;
  const recorder = new CaptureRecorder(points, inputs.inputIds.length, seq);
  network.forward(inputs, { heads: false, observer: recorder });
  for (const [name, array] of recorder.results()) {
    const width = array.shape[2]!;
    const sum = new Float64Array(width);
    let count = 0;
    inputs.inputIds.forEach((row, b) =>
      row.forEach((_, t) => {
        if (inputs.attentionMask?.[b]?.[t] === 0) return;
        count++;
        for (let j = 0; j < width; j++) sum[j] += array.data[(b * seq + t) * width + j]!;
      }),
    );
    means.set(name, Float32Array.from(sum, (s) => s / count));
  }
  return means;
}
