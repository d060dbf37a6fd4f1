// Z-score standardization of embeddings against anisotropy (raw BERT sentence
// vectors share a large common component, so unrelated sentences look similar):
// fit each dimension's mean and standard deviation on a corpus, save them as
// JSON, and apply (x − mean) / std to every embedding afterwards.

import { readFile, writeFile } from "node:fs/promises";
import { InputError, ModelFormatError } from "../errors.js";

export interface ZScoreStats {
  /** [dim] per-dimension mean over the corpus */
  readonly mean: Float32Array;
  /** [dim] per-dimension (population) standard deviation */
  readonly std: Float32Array;
  /** How many vectors the statistics were fitted on. */
  readonly count: number;
  /** Free-form provenance saved with the numbers (model path, pooling). */
  readonly meta?: Readonly<Record<string, string>>;
}

const FORMAT = "lmscope-zscore";
const VERSION = 1;
/** Dimensions whose spread is below this are only centred, not scaled. */
const MIN_STD = 1e-6;

/** Fits mean and standard deviation per dimension (float64 sums; two passes for a stable variance). */
export function fitZScore(vectors: readonly ArrayLike<number>[], meta?: Record<string, string>): ZScoreStats {
  if (vectors.length < 2) throw new InputError(`fitting z-score statistics needs at least 2 vectors, got ${vectors.length}`);
  const dim = vectors[0]!.length;
  const mean = new Float64Array(dim);
  for (const v of vectors) {
    if (v.length !== dim) throw new InputError(`vectors of ${v.length} and ${dim} dimensions cannot be fitted together`);
    for (let d = 0; d < dim; d++) mean[d]! += v[d]!;
  }
  for (let d = 0; d < dim; d++) mean[d]! /= vectors.length;
  const variance = new Float64Array(dim);
  for (const v of vectors) {
    for (let d = 0; d < dim; d++) {
      const c = v[d]! - mean[d]!;
      variance[d]! += c * c;
    }
  }
  const std = Float32Array.from(variance, (s) => Math.sqrt(s / vectors.length));
  return { mean: Float32Array.from(mean), std, count: vectors.length, ...(meta === undefined ? {} : { meta }) };
}

/** (v − mean) / std per dimension, into a new vector. */
export function applyZScore(v: ArrayLike<number>, stats: ZScoreStats): Float32Array {
  const dim = stats.mean.length;
  if (v.length !== dim) throw new InputError(`a ${v.length}-dimensional vector cannot use z-score statistics of ${dim} dimensions`);
  const out = new Float32Array(dim);
  for (let d = 0; d < dim; d++) {
    const std = stats.std[d]!;
    out[d] = (v[d]! - stats.mean[d]!) / (std < MIN_STD ? 1 : std);
  }
  return out;
}

export function zScoreToJson(stats: ZScoreStats): object {
  return {
    format: FORMAT,
    version: VERSION,
    dimension: stats.mean.length,
    count: stats.count,
    ...(stats.meta === undefined ? {} : { meta: stats.meta }),
    mean: Array.from(stats.mean),
    std: Array.from(stats.std),
  };
}

/** Checks a parsed JSON value is z-score statistics; `source` names it in errors. */
export function zScoreFromJson(json: unknown, source: string): ZScoreStats {
  const fail = (detail: string): never => {
    throw new ModelFormatError(source, `not z-score statistics: ${detail}`);
  };
  if (typeof json !== "object" || json === null || Array.isArray(json)) return fail("expected a JSON object");
  const o = json as Record<string, unknown>;
  if (o["format"] !== FORMAT) fail(`"format" must be "${FORMAT}", got ${JSON.stringify(o["format"])}`);
  if (o["version"] !== VERSION) fail(`"version" ${JSON.stringify(o["version"])} is not supported (expected ${VERSION})`);
  const dim = o["dimension"];
  if (typeof dim !== "number" || !Number.isSafeInteger(dim) || dim <= 0) return fail(`"dimension" must be a positive integer`);
  const vector = (key: string, min: number): Float32Array => {
    const raw = o[key];
    if (!Array.isArray(raw) || raw.length !== dim) return fail(`"${key}" must be a list of ${dim} numbers`);
    const bad = raw.findIndex((x) => typeof x !== "number" || !Number.isFinite(x) || x < min);
    if (bad !== -1) fail(`"${key}"[${bad}] is ${JSON.stringify(raw[bad])}`);
    return Float32Array.from(raw as number[]);
  };
  const count = o["count"];
  if (typeof count !== "number" || !Number.isSafeInteger(count) || count < 2) fail(`"count" must be an integer ≥ 2`);
  const meta = o["meta"];
  const stats: ZScoreStats = { mean: vector("mean", -Infinity), std: vector("std", 0), count: count as number };
  if (meta !== undefined && typeof meta === "object" && meta !== null && !Array.isArray(meta)) {
    return { ...stats, meta: Object.fromEntries(Object.entries(meta).map(([k, v]) => [k, String(v)])) };
  }
  return stats;
}

export async function saveZScore(path: string, stats: ZScoreStats): Promise<void> {
  await writeFile(path, `${JSON.stringify(zScoreToJson(stats))}\n`);
}

export async function loadZScore(path: string): Promise<ZScoreStats> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch {
    throw new ModelFormatError(path, "cannot read z-score statistics: no such file");
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelFormatError(path, `is not valid JSON (${(error as Error).message})`);
  }
  return zScoreFromJson(json, path);
}
