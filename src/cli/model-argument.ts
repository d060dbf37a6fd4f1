// What the commands take as a model: a local file or folder, or a hub id
// ("org/name", "hf:org/name@revision:Q4_K_M"; a local path of the same name
// wins), fetched into the Hugging Face cache with progress bars on stderr when
// it is a terminal. Every command resolves --model (or its <model> argument)
// here before loading.
import { resolveModelPath } from "../io/hub/resolve-model.js";
import type { CliIo } from "./command.js";
import type { Parsed } from "./options.js";

/** The local path of a model argument. `need: "tokenizer"` fetches only a hub repo's tokenizer and config files. */
export async function resolveModelArgument(value: string, io: CliIo, need: "model" | "tokenizer" = "model"): Promise<string> {
  return resolveModelPath(value, { progress: io.stderr, need });
}

/** Replaces a parsed --model value by its local path (no-op when --model is absent). */
export async function resolveModelOption(values: Parsed["values"], io: CliIo, need: "model" | "tokenizer" = "model"): Promise<void> {
  const value = values["model"];
  if (typeof value === "string") values["model"] = await resolveModelArgument(value, io, need);
}
