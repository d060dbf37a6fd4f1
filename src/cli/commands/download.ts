// `lmscope download`: fetch a model from the Hugging Face hub into the Hugging
// Face cache (the one transformers uses) and print where it is.
import { OptionError } from "../../errors.js";
import { formatBytes } from "../../io/hub/download-progress.js";
import { formatHubModelId, HUB_PREFIX, parseHubModelId, type HubModelId } from "../../io/hub/model-id.js";
import { downloadMatching, downloadModel, type DownloadResult } from "../../io/hub/snapshot.js";
import type { Command } from "../command.js";
import { parseCommandLine, stringOption } from "../options.js";

const usage = `usage: lmscope download <model> [--include GLOB]… [--revision R]

Downloads a model from the Hugging Face hub into the Hugging Face cache (shared
with transformers and huggingface_hub) and prints its local path. Without
--include it fetches what loading needs: config.json, generation_config.json,
the tokenizer files and the safetensors weights (or their index and shards) —
or, for a GGUF repo, the chosen .gguf file. Pickled weights (.bin, .pt, .pth)
are never downloaded. Files already in the cache are not fetched again, and an
interrupted download resumes where it stopped.

  <model>            org/name, or hf:org/name[@revision][:QUANT | /path/file.gguf]
                     (:Q4_K_M picks a GGUF repo's file by its quant label)
  --include GLOB     only the repo files matching GLOB (repeatable; * also
                     matches "/", e.g. --include "*.json" --include "*Q8_0*")
  --revision R       a branch, tag or commit (default: main)

Environment: HF_TOKEN (gated or private repos; else the file $HF_HOME/token),
HF_ENDPOINT, HF_HUB_CACHE (else $HF_HOME/hub, else ~/.cache/huggingface/hub),
HF_HUB_OFFLINE=1 (cache only).`;

function parseId(spec: string, revision: string | undefined): HubModelId {
  const id = parseHubModelId(spec.startsWith(HUB_PREFIX) ? spec : `${HUB_PREFIX}${spec}`)!;
  if (revision === undefined) return id;
  if (id.revision !== "main" && id.revision !== revision) throw new OptionError("--revision", `conflicts with the revision in ${JSON.stringify(spec)}`);
  return { ...id, revision };
}

export const downloadCommand: Command = {
  name: "download",
  summary: "fetch a model from the Hugging Face hub into the shared cache",
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandLine(argv, { include: { type: "string", multiple: true }, revision: { type: "string" } }, true);
    if (positionals.length !== 1) throw new OptionError("<model>", "give exactly one hub model id, e.g. Qwen/Qwen2.5-0.5B");
    const id = parseId(positionals[0]!, stringOption(values, "revision"));
    const include = (values["include"] as string[] | undefined) ?? [];
    const options = {
      progress: io.stderr,
      onLockWait: (file: string) => io.stderr.write(`waiting: another process is downloading ${file}\n`),
    };
    let result: DownloadResult;
    if (include.length > 0) {
      const matching = await downloadMatching(id, include, options);
      if (matching.skippedPickles.length > 0) io.stderr.write(`skipped pickled weights: ${matching.skippedPickles.join(", ")}\n`);
      result = matching;
    } else {
      result = await downloadModel(id, options);
    }
    const fetched = result.downloadedBytes > 0 ? `downloaded ${formatBytes(result.downloadedBytes)}` : "all in the cache already";
    io.stderr.write(`${formatHubModelId(id)} (commit ${result.commit}): ${result.files.length} file${result.files.length === 1 ? "" : "s"}, ${fetched}\n`);
    io.stdout.write(`${result.path}\n`);
    return 0;
  },
};
