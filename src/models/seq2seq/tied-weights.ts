// Tied weights as Hugging Face transformers 5 loads them (PreTrainedModel.tie_weights
// during from_pretrained): a group of tensors that share one storage (the token
// embedding of the encoder and of the decoder, and the LM head) appears once in a
// safetensors file. A member the file lacks uses the source; a member the file
// stores with the same values is the same tensor (old .bin checkpoints store every
// member); one stored with different values is its own tensor (the config was
// wrong about tying). When the source itself is missing, the first member present
// takes its place.

import type { WeightStore } from "../weight-store.js";

/**
 * The data of each name of a tied group [source, ...members] (same shape), one
 * array for the members that share storage. Every stored member is marked used.
 */
export function tiedTables(weights: WeightStore, names: readonly string[], shape: readonly number[]): Float32Array[] {
  // The first stored member; when none is stored, the source itself (a new model's initializer creates it, else it is missing).
  const source = names.find((name) => weights.has(name)) ?? names[0]!;
  const sourceValues = weights.raw(source, shape);
  const sourceData = weights.take(source, shape);
  return names.map((name) => {
    if (name === source || !weights.has(name)) return sourceData;
    return sameValues(weights.duplicate(name, shape), sourceValues) ? sourceData : weights.take(name, shape);
  });
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}
