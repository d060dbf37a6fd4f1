// Turns what a user wrote for a model into a local path: a file or folder that
// exists is itself (a local path wins over a hub id of the same name); a hub id
// ("org/name", "hf:org/name@rev:Q4_K_M", …) is fetched into the hub cache and
// becomes its snapshot folder or GGUF file there; anything else is returned as
// given, for the loaders to report.
import { stat } from "node:fs/promises";
import { HUB_PREFIX, parseHubModelId } from "./model-id.js";
import { downloadModel, type DownloadResult, type HubFetchOptions } from "./snapshot.js";

export type { DownloadResult, HubFetchOptions } from "./snapshot.js";

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** The local path `spec` stands for, downloading from the hub when it names a hub model. */
export async function resolveModelPath(spec: string, options: HubFetchOptions = {}): Promise<string> {
  if (!spec.startsWith(HUB_PREFIX) && (await exists(spec))) return spec;
  const id = parseHubModelId(spec);
  if (id === undefined) return spec;
  return (await downloadModel(id, options)).path;
}

/** Downloads what a load of the hub model `spec` ("org/name", "hf:org/name@rev:Q4_K_M", …) needs into the Hugging Face cache. */
export async function downloadHubModel(spec: string, options: HubFetchOptions = {}): Promise<DownloadResult> {
  return downloadModel(parseHubModelId(spec.startsWith(HUB_PREFIX) ? spec : `${HUB_PREFIX}${spec}`)!, options);
}
