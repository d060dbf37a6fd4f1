// Choosing the GGUF file of a repo that offers one model in several
// quantizations (bartowski, unsloth, lmstudio-community, TheBloke …:
// "Llama-3.2-1B-Instruct-Q4_K_M.gguf", "model.Q8_0.gguf", "qwen2.5-0.5b-instruct-fp16.gguf").
// A file's quant label is the last name part that looks like one; `:Q4_K_M`
// picks the file with that label (case-insensitive), as llama.cpp's
// `-hf org/name:QUANT` does. Without a label, a repo's only GGUF file is taken,
// else its Q4_K_M (llama.cpp's default), else the choice is the user's.
// Split files (-00001-of-00003) and vision projectors (mmproj) are never taken.
import { HubError } from "../../errors.js";

const LABEL = /^(?:I?Q\d(?:_[A-Z0-9]+)*|F16|F32|BF16|FP16|FP32)$/i;
const SPLIT = /-\d{5}-of-\d{5}\.gguf$/i;
const DEFAULT_QUANT = "Q4_K_M";

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** The quant label of a GGUF file name ("Q4_K_M"), upper-cased; undefined when the name has none. */
export function ggufQuantLabel(path: string): string | undefined {
  const stem = baseName(path).replace(SPLIT, ".gguf").replace(/\.gguf$/i, "");
  const parts = stem.split(/[-.]/);
  for (let i = parts.length - 1; i >= 0; i--) {
    // Labels hold "_" themselves, so also try the tail of a part split at "_" ("model_Q8_0").
    const part = parts[i]!;
    const pieces = part.split("_");
    for (let k = 0; k < pieces.length; k++) {
      const candidate = pieces.slice(k).join("_");
      if (LABEL.test(candidate)) return candidate.toUpperCase();
    }
  }
  return undefined;
}

function isCandidate(path: string): boolean {
  return /\.gguf$/i.test(path) && !/mmproj/i.test(baseName(path));
}

/** The GGUF file of `files` that `quant` names (or the default one); a HubError says what the repo offers otherwise. */
export function chooseGgufFile(repo: string, files: readonly string[], quant: string | undefined): string {
  const ggufs = files.filter(isCandidate);
  const offered = (): string => {
    const labels = [...new Set(ggufs.map((f) => ggufQuantLabel(f)).filter((l) => l !== undefined))];
    return labels.length > 0 ? `it offers ${labels.join(", ")} (name one: hf:${repo}:${labels[0]})` : `its GGUF files: ${ggufs.join(", ") || "none"}`;
  };
  const wanted = quant?.toUpperCase() ?? (ggufs.length === 1 ? undefined : DEFAULT_QUANT);
  const matching = wanted === undefined ? ggufs : ggufs.filter((f) => ggufQuantLabel(f) === wanted);
  const whole = matching.filter((f) => !SPLIT.test(f));
  if (whole.length === 0 && matching.length > 0) {
    const label = wanted === undefined ? "" : `${wanted} `;
    throw new HubError(repo, "unsupported", `its ${label}GGUF is split into several files (${matching[0]}, …), which lmscope does not load yet`);
  }
  if (whole.length === 0) {
    if (quant === undefined && ggufs.length > 1) throw new HubError(repo, "not-found", `holds several GGUF files and no ${DEFAULT_QUANT}: ${offered()}`);
    throw new HubError(repo, "not-found", quant === undefined ? "holds no GGUF file" : `has no GGUF file with quant ${quant}: ${offered()}`);
  }
  // Prefer the file at the top of the repo, then the shortest path.
  const sorted = [...whole].sort((a, b) => a.split("/").length - b.split("/").length || a.length - b.length || (a < b ? -1 : 1));
  if (sorted.length > 1 && sorted[0]!.split("/").length === sorted[1]!.split("/").length) {
    throw new HubError(repo, "not-found", `holds several GGUF files with quant ${wanted ?? "(none)"}: ${sorted.join(", ")}; name one as hf:${repo}/<file>`);
  }
  return sorted[0]!;
}
