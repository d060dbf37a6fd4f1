// Independent random streams for training, one per (purpose, iteration, micro-step):
// the batch drawn at iteration 7 and the dropout masks of that step come from
// generators seeded by mixing the run's seed with those numbers (splitmix64's
// finaliser, https://prng.di.unimi.it/splitmix64.c, applied to each part in turn).
// Nothing but the iteration number is needed to resume a run exactly where it
// stopped: no generator state is carried from step to step, so none has to be
// saved in a checkpoint, and evaluation never shifts the training batches.
import { Rng } from "../tensor/random.js";

const MASK_64 = (1n << 64n) - 1n;

/** What a stream is for; part of its seed, so the purposes never share draws. */
export const Stream = {
  trainBatch: 1,
  dropout: 2,
  evalBatch: 3,
} as const;

function mix64(z: bigint): bigint {
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK_64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK_64;
  return z ^ (z >> 31n);
}

/** A 53-bit seed derived from the run's seed and the integers naming one stream. */
export function streamSeed(seed: number, ...parts: readonly number[]): number {
  let state = mix64(BigInt.asUintN(64, BigInt(seed)));
  for (const part of parts) state = mix64((state + 0x9e3779b97f4a7c15n + BigInt.asUintN(64, BigInt(part))) & MASK_64);
  return Number(state >> 11n);
}

/** The generator of one stream. */
export function streamRng(seed: number, ...parts: readonly number[]): Rng {
  return new Rng(streamSeed(seed, ...parts));
}
