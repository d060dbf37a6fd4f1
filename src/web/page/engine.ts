// Where the page's numbers come from. Served by `lmscope inspect --web`, the
// page asks the inspector server's API; as a static page it loads a GGUF file
// and runs the model itself through lmscope/browser. Both call the same
// inspection API (inspectPrompt, traceGeneration): the page only draws.

import type { GenerationTrace, TraceOptions } from "../../inspect/generation-trace.js";
import type { Intervention } from "../../inspect/interventions.js";
import type { PromptInspection } from "../../inspect/prompt-inspection.js";
import { decodeInspection } from "../wire.js";

export interface ModelDescription {
  readonly name: string;
  readonly architecture: string;
  readonly layers: number;
  readonly heads: number;
  readonly contextLength: number;
  readonly vocabSize: number;
}

export type GenerationRequest = Pick<TraceOptions, "maxTokens" | "temperature" | "topK" | "topP" | "minP" | "seed" | "candidates"> & {
  readonly interventions: readonly Intervention[];
};

export interface Engine {
  readonly model: ModelDescription;
  /** "server" or "browser": where the model runs. */
  readonly runsIn: string;
  inspect(prompt: string, interventions: readonly Intervention[]): Promise<PromptInspection>;
  generate(prompt: string, request: GenerationRequest): Promise<GenerationTrace>;
}

/** An error the page shows as it is (the API's or the server's message). */
export class PageError extends Error {}

const TOP_K = 10;

export async function remoteEngine(api: string): Promise<Engine> {
  const model = (await call(`${api}/model`)).json as ModelDescription;
  return {
    model,
    runsIn: "server",
    async inspect(prompt, interventions) {
      const { bytes } = await call(`${api}/inspect`, { prompt, interventions, topK: TOP_K });
      return decodeInspection(bytes!);
    },
    async generate(prompt, request) {
      return (await call(`${api}/generate`, { prompt, ...request })).json as GenerationTrace;
    },
  };
}

async function call(url: string, body?: unknown): Promise<{ json?: unknown; bytes?: ArrayBuffer }> {
  let response: Response;
  try {
    response = await fetch(url, body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  } catch {
    throw new PageError("the inspector server does not answer: is `lmscope inspect --web` still running?");
  }
  const type = response.headers.get("Content-Type") ?? "";
  if (!response.ok) {
    const answer = type.startsWith("application/json") ? ((await response.json()) as { error?: { message?: string } }) : {};
    throw new PageError(answer.error?.message ?? `the server answered ${response.status} ${response.statusText}`);
  }
  return type.startsWith("application/json") ? { json: await response.json() } : { bytes: await response.arrayBuffer() };
}

/** The model of a GGUF file (a URL or a File), run in this page. */
export async function localEngine(source: { readonly url: string } | { readonly file: File }): Promise<Engine> {
  const browser = await import("../../browser.js");
  const name = "url" in source ? decodeURIComponent(source.url.split("/").pop() ?? source.url) : source.file.name;
  const model =
    "url" in source ? await browser.fetchModel(source.url, { name }) : await browser.loadModelFromGguf(await source.file.arrayBuffer(), { name });
  const info = model.info();
  return {
    model: { name, architecture: info.architecture, layers: info.layers, heads: info.heads, contextLength: info.contextLength, vocabSize: info.vocabSize },
    runsIn: "browser",
    async inspect(prompt, interventions) {
      return browser.inspectPrompt(model, prompt, { topK: TOP_K, interventions });
    },
    async generate(prompt, request) {
      return browser.traceGeneration(model, prompt, request);
    },
  };
}
