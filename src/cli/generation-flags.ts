// The generation flags `generate` and `chat` share: the decoding strategy, stops,
// and the backend the model runs on; their usage lines and their parsing.

import type { GenerateOptions } from "../generation/generate.js";
import { numberOption, stringOption, type OptionSpec, type Parsed } from "./options.js";
import type { BackendName } from "../backend/select.js";

export const GENERATION_FLAGS: OptionSpec = {
  "max-tokens": { type: "string" },
  temperature: { type: "string" },
  "top-k": { type: "string" },
  "top-p": { type: "string" },
  "min-p": { type: "string" },
  "repetition-penalty": { type: "string" },
  seed: { type: "string" },
  stop: { type: "string", multiple: true },
  "ignore-eos": { type: "boolean" },
  backend: { type: "string" },
  threads: { type: "string" },
};

export const SAMPLING_USAGE = `  --temperature <t>         0 = greedy (default 1)
  --top-k <k>               sample from the k most likely tokens (default 0 = off)
  --top-p <p>               nucleus sampling, in (0, 1] (default 1 = off)
  --min-p <p>               drop tokens below p × the top probability (default 0 = off)
  --repetition-penalty <r>  CTRL penalty for seen tokens (default 1 = off)
  --seed <n>                random seed (default 0)
  --stop <text>             stop before this text (repeatable)`;

export const BACKEND_USAGE = `  --backend <js|wasm|auto>  compute backend (default auto: wasm where WebAssembly SIMD runs)
  --threads <n>             threads of the wasm backend (default: the available cores)`;

/** The generation options the flags give (absent flags left out, so the defaults apply). */
export function generationOptions(values: Parsed["values"]): GenerateOptions {
  const options: GenerateOptions = {
    maxTokens: numberOption(values, "max-tokens"),
    temperature: numberOption(values, "temperature"),
    topK: numberOption(values, "top-k"),
    topP: numberOption(values, "top-p"),
    minP: numberOption(values, "min-p"),
    repetitionPenalty: numberOption(values, "repetition-penalty"),
    seed: numberOption(values, "seed"),
    stop: (values["stop"] as string[] | undefined) ?? [],
    stopOnEos: values["ignore-eos"] !== true,
  };
  for (const key of Object.keys(options) as (keyof GenerateOptions)[]) if (options[key] === undefined) delete options[key];
  return options;
}

/** The backend choice of --backend and --threads. */
export function backendFlags(values: Parsed["values"]): { backend: BackendName; threads?: number } {
  const backend = (stringOption(values, "backend") ?? "auto") as BackendName;
  const threads = numberOption(values, "threads");
  return threads === undefined ? { backend } : { backend, threads };
}
