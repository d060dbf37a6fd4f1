// The inspector's HTTP API, a thin client of the inspection API: requests are
// checked field by field (unknown fields, wrong types and out-of-range numbers
// are refused by name), then handed to inspectPrompt and traceGeneration, whose
// own typed errors also come back as 400s. Only ablations travel over HTTP
// (activation patching needs arrays from another run: use the library).

import { LmscopeError } from "../errors.js";
import { traceGeneration, type TraceOptions } from "../inspect/generation-trace.js";
import type { Intervention } from "../inspect/interventions.js";
import { inspectPrompt } from "../inspect/prompt-inspection.js";
import type { LanguageModel } from "../language-model.js";
import { encodeInspection } from "./wire.js";

/** A client mistake: answered with `status` and a JSON body naming it. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = "BadRequest",
  ) {
    super(message);
  }
}

export interface ApiAnswer {
  readonly type: string;
  readonly body: string | Uint8Array;
}

const MAX_GENERATED = 512;
const MAX_LISTED = 100;

export function modelDescription(model: LanguageModel, name: string): Record<string, unknown> {
  const info = model.info();
  return {
    name,
    architecture: info.architecture,
    layers: info.layers,
    heads: info.heads,
    kvHeads: info.kvHeads,
    contextLength: info.contextLength,
    vocabSize: info.vocabSize,
    parameters: info.parameters,
  };
}

/** POST /api/inspect: the prompt's inspection (wire.ts's binary message). */
export function answerInspect(model: LanguageModel, body: unknown): ApiAnswer {
  const request = fields(body, ["prompt", "interventions", "topK"]);
  const prompt = stringField(request, "prompt");
  const topK = integerField(request, "topK", 1, MAX_LISTED) ?? 10;
  const interventions = ablations(request["interventions"]);
  const inspection = lmscopeErrors(() => inspectPrompt(model, prompt, { topK, interventions }));
  return { type: "application/octet-stream", body: encodeInspection(inspection) };
}

/** POST /api/generate: a generation run with the sampler's decision at every step (JSON). */
export async function answerGenerate(model: LanguageModel, body: unknown): Promise<ApiAnswer> {
  const request = fields(body, ["prompt", "maxTokens", "temperature", "topK", "topP", "minP", "repetitionPenalty", "seed", "candidates", "interventions", "stopOnEos"]);
  const prompt = stringField(request, "prompt");
  const options: TraceOptions & Record<string, unknown> = {
    maxTokens: integerField(request, "maxTokens", 1, MAX_GENERATED) ?? 24,
    candidates: integerField(request, "candidates", 1, MAX_LISTED) ?? 10,
    interventions: ablations(request["interventions"]),
  };
  for (const name of ["temperature", "topK", "topP", "minP", "repetitionPenalty", "seed"]) {
    const value = request[name];
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isFinite(value)) throw new RequestError(400, `"${name}" must be a finite number, got ${JSON.stringify(value)}`);
    options[name] = value;
  }
  if (request["stopOnEos"] !== undefined) {
    if (typeof request["stopOnEos"] !== "boolean") throw new RequestError(400, `"stopOnEos" must be true or false`);
    options.stopOnEos = request["stopOnEos"];
  }
  const trace = await lmscopeErrorsAsync(() => traceGeneration(model, prompt, options));
  return { type: "application/json; charset=utf-8", body: JSON.stringify(trace) };
}

function fields(body: unknown, known: readonly string[]): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new RequestError(400, "the body must be a JSON object");
  const unknown = Object.keys(body).filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new RequestError(400, `unknown field "${unknown[0]}" (known: ${known.join(", ")})`);
  return body as Record<string, unknown>;
}

function stringField(request: Record<string, unknown>, name: string): string {
  const value = request[name];
  if (typeof value !== "string") throw new RequestError(400, `"${name}" must be a string, got ${value === undefined ? "nothing" : JSON.stringify(value)}`);
  return value;
}

function integerField(request: Record<string, unknown>, name: string, min: number, max: number): number | undefined {
  const value = request[name];
  if (value === undefined) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new RequestError(400, `"${name}" must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The interventions of a request: ablations only, checked in depth by the inspection API. */
function ablations(value: unknown): Intervention[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new RequestError(400, `"interventions" must be a list such as [{"ablate": "heads", "layer": 0, "heads": [1]}]`);
  return value.map((item, i) => {
    if (typeof item !== "object" || item === null || !("ablate" in item)) {
      throw new RequestError(400, `interventions[${i}] must be an ablation ({"ablate": "heads" | "neurons" | "attention" | "mlp", …}); patching is offered by the library, not over HTTP`);
    }
    return item as Intervention;
  });
}

function lmscopeErrors<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw asRequestError(error);
  }
}

async function lmscopeErrorsAsync<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw asRequestError(error);
  }
}

function asRequestError(error: unknown): unknown {
  return error instanceof LmscopeError ? new RequestError(400, error.message, error.name) : error;
}
